// What the whole-sequence recurrent kernels (lstm.cu, simple_rnn.cu, gru.cu) share: the scalar
// type, the activations and their derivatives, a column dot product and shared-memory staging.
// Loaded by minidl/ops/fast/rnn_cuda.py, which compiles each .cu file with NVRTC, this header
// written in place of its #include line, and SCALAR defined as float or double.

#ifndef SCALAR
#define SCALAR float  // rnn_cuda.py passes -DSCALAR=float or -DSCALAR=double
#endif

typedef SCALAR scalar_t;
typedef long long index_t;

extern __shared__ __align__(16) unsigned char rnn_shared_bytes[];

__device__ __forceinline__ float tanh_of(float x) { return tanhf(x); }
__device__ __forceinline__ double tanh_of(double x) { return tanh(x); }

// the activations of minidl.ops.fast.rnn_common, by code: 0 tanh, 1 sigmoid, 2 hard_sigmoid, 3 relu, 4 linear
__device__ __forceinline__ scalar_t activate(int code, scalar_t x) {
    const scalar_t half = 0.5, zero = 0, one = 1;
    switch (code) {
    case 0: return tanh_of(x);
    case 1: return tanh_of(x * half) * half + half;  // sigmoid as (1 + tanh(x/2)) / 2, as on the host
    case 2: { scalar_t y = x * (scalar_t)0.2 + half; return y < zero ? zero : (y > one ? one : y); }
    case 3: return x > zero ? x : zero;
    default: return x;
    }
}

// the derivative of an activation, written from its OUTPUT y
__device__ __forceinline__ scalar_t derivative(int code, scalar_t y) {
    const scalar_t zero = 0, one = 1;
    switch (code) {
    case 0: return one - y * y;
    case 1: return y * (one - y);
    case 2: return (y > zero && y < one) ? (scalar_t)0.2 : zero;
    case 3: return y > zero ? one : zero;
    default: return one;
    }
}

// sum_k column[k * stride] * v[k] (* m[k] when masked), with four partial sums for latency
template <bool MASKED>
__device__ __forceinline__ scalar_t column_dot(const scalar_t* column, int stride, const scalar_t* v,
                                               const scalar_t* m, int n) {
    scalar_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int k = 0;
    for (; k + 3 < n; k += 4) {
        if (MASKED) {
            s0 += column[(index_t)k * stride] * (v[k] * m[k]);
            s1 += column[(index_t)(k + 1) * stride] * (v[k + 1] * m[k + 1]);
            s2 += column[(index_t)(k + 2) * stride] * (v[k + 2] * m[k + 2]);
            s3 += column[(index_t)(k + 3) * stride] * (v[k + 3] * m[k + 3]);
        } else {
            s0 += column[(index_t)k * stride] * v[k];
            s1 += column[(index_t)(k + 1) * stride] * v[k + 1];
            s2 += column[(index_t)(k + 2) * stride] * v[k + 2];
            s3 += column[(index_t)(k + 3) * stride] * v[k + 3];
        }
    }
    for (; k < n; ++k) s0 += column[(index_t)k * stride] * (MASKED ? v[k] * m[k] : v[k]);
    return (s0 + s1) + (s2 + s3);
}

__device__ __forceinline__ scalar_t masked_dot(bool masked, const scalar_t* column, int stride, const scalar_t* v,
                                               const scalar_t* m, int n) {
    return masked ? column_dot<true>(column, stride, v, m, n) : column_dot<false>(column, stride, v, nullptr, n);
}

// copy a read-only matrix into shared memory when asked; the pointer the block should read it from
__device__ __forceinline__ const scalar_t* stage_matrix(const scalar_t* matrix, scalar_t* shared, index_t count,
                                                        int in_shared) {
    if (!in_shared) return matrix;
    for (index_t i = threadIdx.x; i < count; i += blockDim.x) shared[i] = matrix[i];
    return shared;
}
