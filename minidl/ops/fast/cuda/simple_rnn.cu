// The forward and backward time loops of the SimpleRNN, each in one launch: one thread block
// per sample (see minidl/ops/fast/rnn_cuda.py). They must equal the generic loops of the
// fast op on the CPU, which in turn must equal the readable cell in minidl/ops/reference/.

#include "rnn_common.cuh"

// cell (T, u, B): in x W + b, out act(...). states (T+1, u, B) with [0] set. kernel (u, u).
extern "C" __global__ void simple_forward(
        scalar_t* cell, scalar_t* states, const scalar_t* kernel, const scalar_t* rmasks, const scalar_t* keep,
        int time, int batch, int units, int has_masks, int has_padding, int kernel_in_shared, int act_code) {
    const int b = blockIdx.x, k = threadIdx.x;
    scalar_t* h_sh = (scalar_t*)rnn_shared_bytes;  // two buffers of units, alternating by step
    scalar_t* mask_sh = h_sh + 2 * units;
    scalar_t* kernel_sh = mask_sh + units;
    const scalar_t* U = stage_matrix(kernel, kernel_sh, (index_t)units * units, kernel_in_shared);
    const bool active = k < units;
    scalar_t a_next = 0;
    if (active) {
        mask_sh[k] = has_masks ? rmasks[(index_t)k * batch + b] : (scalar_t)1;
        h_sh[k] = states[(index_t)k * batch + b];
        a_next = cell[(index_t)k * batch + b];
    }
    __syncthreads();
    for (int t = 0; t < time; ++t) {
        const scalar_t* h = h_sh + (t & 1) * units;
        scalar_t* h_new = h_sh + ((t + 1) & 1) * units;
        if (active) {
            const index_t at = ((index_t)t * units + k) * batch + b;
            scalar_t z = a_next;
            if (t + 1 < time) a_next = cell[at + (index_t)units * batch];
            z += masked_dot(has_masks, U + k, units, h, mask_sh, units);
            const scalar_t value = activate(act_code, z);
            cell[at] = value;
            scalar_t new_h = value;
            if (has_padding && keep[(index_t)t * batch + b] == (scalar_t)0) new_h = h[k];
            h_new[k] = new_h;
            states[at + (index_t)units * batch] = new_h;
        }
        __syncthreads();
    }
}

// kernel_t (u, u) = U^T. grad_pre (T, u, B) out. dh (u, B) in/out.
extern "C" __global__ void simple_backward(
        const scalar_t* cell, const scalar_t* kernel_t, const scalar_t* rmasks, const scalar_t* keep,
        const scalar_t* per_step, scalar_t* grad_pre, scalar_t* dh_io,
        int time, int batch, int units, int has_masks, int has_padding, int has_per_step, int kernel_in_shared,
        int act_code) {
    const int b = blockIdx.x, k = threadIdx.x;
    scalar_t* dz_sh = (scalar_t*)rnn_shared_bytes;  // two buffers of units
    scalar_t* kernel_sh = dz_sh + 2 * units;
    const scalar_t* UT = stage_matrix(kernel_t, kernel_sh, (index_t)units * units, kernel_in_shared);
    const bool active = k < units;
    scalar_t dh = 0, m = 1;
    if (active) {
        dh = dh_io[(index_t)k * batch + b];
        if (has_masks) m = rmasks[(index_t)k * batch + b];
    }
    __syncthreads();
    for (int t = time - 1; t >= 0; --t) {
        scalar_t* dz = dz_sh + (t & 1) * units;
        scalar_t kept = 1;
        if (active) {
            const index_t at = ((index_t)t * units + k) * batch + b;
            if (has_per_step && t < time - 1) dh += per_step[at];
            if (has_padding) kept = keep[(index_t)t * batch + b];
            const scalar_t value = dh * derivative(act_code, cell[at]) * kept;  // dz = dh act'(z)
            grad_pre[at] = value;
            dz[k] = value;
        }
        __syncthreads();
        if (active) {  // dh_prev = r * (U dz)
            scalar_t new_dh = m * column_dot<false>(UT + k, units, dz, nullptr, units);
            if (has_padding) new_dh += dh * ((scalar_t)1 - kept);
            dh = new_dh;
        }
    }
    if (active) dh_io[(index_t)k * batch + b] = dh;
}
