// The forward and backward time loops of the GRU (reset_after=True and False), each in one launch: one thread block
// per sample (see minidl/ops/fast/rnn_cuda.py). They must equal the generic loops of the
// fast op on the CPU, which in turn must equal the readable cell in minidl/ops/reference/.

#include "rnn_common.cuh"

// reset_after=True. gates (T, 3u, B): in x W + b_in, out (z, r, hh). saved (T, 3u, B) out: h U + b'.
// kernel (u, 3u). rbias (3u) or unused.
extern "C" __global__ void gru_after_forward(
        scalar_t* gates, scalar_t* saved, scalar_t* states, const scalar_t* kernel, const scalar_t* rbias,
        const scalar_t* rmasks, const scalar_t* keep,
        int time, int batch, int units, int has_rbias, int has_masks, int has_padding, int kernel_in_shared,
        int sigma_code, int act_code) {
    const int width = 3 * units, b = blockIdx.x, tid = threadIdx.x;
    scalar_t* h_sh = (scalar_t*)rnn_shared_bytes;
    scalar_t* gate_sh = h_sh + units;       // z, r
    scalar_t* rec_sh = gate_sh + 2 * units; // the h-block of h U + b'
    scalar_t* mask_sh = rec_sh + units;
    scalar_t* kernel_sh = mask_sh + width;
    const scalar_t* U = stage_matrix(kernel, kernel_sh, (index_t)units * width, kernel_in_shared);
    for (int j = tid; j < width; j += blockDim.x) mask_sh[j] = has_masks ? rmasks[(index_t)j * batch + b] : (scalar_t)1;
    if (tid < units) h_sh[tid] = states[(index_t)tid * batch + b];
    const int j = tid;
    const bool gate_thread = j < width;
    const int gate = gate_thread ? j / units : 0;
    const scalar_t bias_j = (gate_thread && has_rbias) ? rbias[j] : (scalar_t)0;
    scalar_t a_next = (gate_thread && gate < 2) ? gates[(index_t)j * batch + b] : (scalar_t)0;
    scalar_t candidate_next = tid < units ? gates[((index_t)2 * units + tid) * batch + b] : (scalar_t)0;
    __syncthreads();
    for (int t = 0; t < time; ++t) {
        if (gate_thread) {
            const index_t at = ((index_t)t * width + j) * batch + b;
            scalar_t recurrent = masked_dot(has_masks, U + j, width, h_sh, mask_sh + gate * units, units);
            if (has_rbias) recurrent += bias_j;
            saved[at] = recurrent;
            if (gate < 2) {
                scalar_t z = a_next;
                if (t + 1 < time) a_next = gates[at + (index_t)width * batch];
                const scalar_t value = activate(sigma_code, z + recurrent);
                gates[at] = value;
                gate_sh[j] = value;
            } else {
                rec_sh[j - 2 * units] = recurrent;
            }
        }
        __syncthreads();
        if (tid < units) {
            const int k = tid;
            const index_t at = ((index_t)t * width + 2 * units + k) * batch + b;
            scalar_t candidate = candidate_next;
            if (t + 1 < time) candidate_next = gates[at + (index_t)width * batch];
            const scalar_t z = gate_sh[k], r = gate_sh[units + k], h = h_sh[k];
            const scalar_t hh = activate(act_code, candidate + r * rec_sh[k]);
            gates[at] = hh;
            scalar_t new_h = (h - hh) * z + hh;  // z h + (1 - z) hh
            if (has_padding && keep[(index_t)t * batch + b] == (scalar_t)0) new_h = h;
            h_sh[k] = new_h;
            states[((index_t)(t + 1) * units + k) * batch + b] = new_h;
        }
        __syncthreads();
    }
}

// kernel_t (3u, u) = U^T. grad_gates, grad_recurrent (T, 3u, B) out. dh (u, B) in/out.
extern "C" __global__ void gru_after_backward(
        const scalar_t* gates, const scalar_t* states, const scalar_t* saved, const scalar_t* kernel_t,
        const scalar_t* rmasks, const scalar_t* keep, const scalar_t* per_step,
        scalar_t* grad_gates, scalar_t* grad_recurrent, scalar_t* dh_io,
        int time, int batch, int units, int has_masks, int has_padding, int has_per_step, int kernel_in_shared,
        int sigma_code, int act_code) {
    const int width = 3 * units, b = blockIdx.x, k = threadIdx.x;
    scalar_t* dr_sh = (scalar_t*)rnn_shared_bytes;  // two buffers of width
    scalar_t* kernel_sh = dr_sh + 2 * width;
    const scalar_t* UT = stage_matrix(kernel_t, kernel_sh, (index_t)units * width, kernel_in_shared);
    const bool active = k < units;
    const index_t plane = (index_t)units * batch;
    scalar_t dh = 0, m0 = 1, m1 = 1, m2 = 1;
    if (active) {
        dh = dh_io[(index_t)k * batch + b];
        if (has_masks) {
            const index_t at = (index_t)k * batch + b;
            m0 = rmasks[at]; m1 = rmasks[at + plane]; m2 = rmasks[at + 2 * plane];
        }
    }
    __syncthreads();
    for (int t = time - 1; t >= 0; --t) {
        scalar_t* dr = dr_sh + (t & 1) * width;
        scalar_t carry = 1;
        if (active) {
            const index_t gate_at = ((index_t)t * width + k) * batch + b;
            const index_t unit_at = ((index_t)t * units + k) * batch + b;
            if (has_per_step && t < time - 1) dh += per_step[unit_at];
            const scalar_t z = gates[gate_at], r = gates[gate_at + plane], hh = gates[gate_at + 2 * plane];
            const scalar_t h = states[unit_at], recurrent_h = saved[gate_at + 2 * plane];
            const scalar_t kept = has_padding ? keep[(index_t)t * batch + b] : (scalar_t)1;
            const scalar_t dz_z = dh * ((h - hh) * derivative(sigma_code, z)) * kept;  // d h'/d z_z = (h - hh) sigma'(z)
            const scalar_t dz_h = dh * (((scalar_t)1 - z) * derivative(act_code, hh)) * kept;  // (1 - z) act'(hh)
            const scalar_t dz_r = dz_h * (recurrent_h * derivative(sigma_code, r));  // (h U_h + b'_h) sigma'(r)
            const scalar_t dr_h = dz_h * r;  // d/d(h U_h + b'_h) = r
            if (kept != (scalar_t)0) carry = z;
            grad_gates[gate_at] = dz_z;
            grad_gates[gate_at + plane] = dz_r;
            grad_gates[gate_at + 2 * plane] = dz_h;
            grad_recurrent[gate_at] = dz_z;
            grad_recurrent[gate_at + plane] = dz_r;
            grad_recurrent[gate_at + 2 * plane] = dr_h;
            dr[k] = dz_z; dr[units + k] = dz_r; dr[2 * units + k] = dr_h;
        }
        __syncthreads();
        if (active) {  // dh_prev = sum_g r_g (U_g d(h U)_g) + z dh
            const scalar_t* column = UT + k;
            scalar_t s0 = column_dot<false>(column, units, dr, nullptr, units);
            scalar_t s1 = column_dot<false>(column + (index_t)units * units, units, dr + units, nullptr, units);
            scalar_t s2 = column_dot<false>(column + (index_t)2 * units * units, units, dr + 2 * units, nullptr, units);
            scalar_t new_dh = has_masks ? m0 * s0 + m1 * s1 + m2 * s2 : s0 + s1 + s2;
            dh = new_dh + dh * carry;
        }
    }
    if (active) dh_io[(index_t)k * batch + b] = dh;
}

// reset_after=False. gates (T, 3u, B): in x W + b, out (z, r, hh). saved (T, u, B) out: r * h.
// kernel (u, 3u): columns [0, 2u) read h, columns [2u, 3u) read (r * h).
extern "C" __global__ void gru_before_forward(
        scalar_t* gates, scalar_t* saved, scalar_t* states, const scalar_t* kernel,
        const scalar_t* rmasks, const scalar_t* keep,
        int time, int batch, int units, int has_masks, int has_padding, int kernel_in_shared,
        int sigma_code, int act_code) {
    const int width = 3 * units, b = blockIdx.x, tid = threadIdx.x;
    scalar_t* h_sh = (scalar_t*)rnn_shared_bytes;
    scalar_t* gate_sh = h_sh + units;       // z, r
    scalar_t* rh_sh = gate_sh + 2 * units;  // (r * h) * mask_h
    scalar_t* mask_sh = rh_sh + units;
    scalar_t* kernel_sh = mask_sh + width;
    const scalar_t* U = stage_matrix(kernel, kernel_sh, (index_t)units * width, kernel_in_shared);
    for (int j = tid; j < width; j += blockDim.x) mask_sh[j] = has_masks ? rmasks[(index_t)j * batch + b] : (scalar_t)1;
    if (tid < units) h_sh[tid] = states[(index_t)tid * batch + b];
    const int j = tid;
    const bool gate_thread = j < 2 * units;
    const int gate = gate_thread ? j / units : 0;
    scalar_t a_next = gate_thread ? gates[(index_t)j * batch + b] : (scalar_t)0;
    scalar_t candidate_next = tid < units ? gates[((index_t)2 * units + tid) * batch + b] : (scalar_t)0;
    __syncthreads();
    for (int t = 0; t < time; ++t) {
        if (gate_thread) {
            const index_t at = ((index_t)t * width + j) * batch + b;
            scalar_t z = a_next;
            if (t + 1 < time) a_next = gates[at + (index_t)width * batch];
            z += masked_dot(has_masks, U + j, width, h_sh, mask_sh + gate * units, units);
            const scalar_t value = activate(sigma_code, z);
            gates[at] = value;
            gate_sh[j] = value;
        }
        __syncthreads();
        if (tid < units) {
            const scalar_t reset_h = gate_sh[units + tid] * h_sh[tid];
            saved[((index_t)t * units + tid) * batch + b] = reset_h;
            rh_sh[tid] = reset_h * mask_sh[2 * units + tid];
        }
        __syncthreads();
        if (tid < units) {
            const int k = tid;
            const index_t at = ((index_t)t * width + 2 * units + k) * batch + b;
            scalar_t candidate = candidate_next;
            if (t + 1 < time) candidate_next = gates[at + (index_t)width * batch];
            candidate += column_dot<false>(U + 2 * units + k, width, rh_sh, nullptr, units);
            const scalar_t hh = activate(act_code, candidate);
            gates[at] = hh;
            const scalar_t z = gate_sh[k], h = h_sh[k];
            scalar_t new_h = (h - hh) * z + hh;
            if (has_padding && keep[(index_t)t * batch + b] == (scalar_t)0) new_h = h;
            h_sh[k] = new_h;
            states[((index_t)(t + 1) * units + k) * batch + b] = new_h;
        }
        __syncthreads();
    }
}

// kernel_t (3u, u) = U^T. grad_gates (T, 3u, B) out. dh (u, B) in/out.
extern "C" __global__ void gru_before_backward(
        const scalar_t* gates, const scalar_t* states, const scalar_t* kernel_t,
        const scalar_t* rmasks, const scalar_t* keep, const scalar_t* per_step,
        scalar_t* grad_gates, scalar_t* dh_io,
        int time, int batch, int units, int has_masks, int has_padding, int has_per_step, int kernel_in_shared,
        int sigma_code, int act_code) {
    const int width = 3 * units, b = blockIdx.x, k = threadIdx.x;
    scalar_t* d_sh = (scalar_t*)rnn_shared_bytes;  // two buffers of width: dz_z, dz_r, dz_h
    scalar_t* kernel_sh = d_sh + 2 * width;
    const scalar_t* UT = stage_matrix(kernel_t, kernel_sh, (index_t)units * width, kernel_in_shared);
    const bool active = k < units;
    const index_t plane = (index_t)units * batch;
    scalar_t dh = 0, m0 = 1, m1 = 1, m2 = 1;
    if (active) {
        dh = dh_io[(index_t)k * batch + b];
        if (has_masks) {
            const index_t at = (index_t)k * batch + b;
            m0 = rmasks[at]; m1 = rmasks[at + plane]; m2 = rmasks[at + 2 * plane];
        }
    }
    __syncthreads();
    for (int t = time - 1; t >= 0; --t) {
        scalar_t* d = d_sh + (t & 1) * width;
        scalar_t carry = 1, r = 0, h = 0, sigma_r = 0;
        index_t gate_at = 0;
        if (active) {
            gate_at = ((index_t)t * width + k) * batch + b;
            const index_t unit_at = ((index_t)t * units + k) * batch + b;
            if (has_per_step && t < time - 1) dh += per_step[unit_at];
            const scalar_t z = gates[gate_at], hh = gates[gate_at + 2 * plane];
            r = gates[gate_at + plane];
            h = states[unit_at];
            sigma_r = derivative(sigma_code, r);
            const scalar_t kept = has_padding ? keep[(index_t)t * batch + b] : (scalar_t)1;
            const scalar_t dz_z = dh * ((h - hh) * derivative(sigma_code, z)) * kept;
            const scalar_t dz_h = dh * (((scalar_t)1 - z) * derivative(act_code, hh)) * kept;
            if (kept != (scalar_t)0) carry = z;
            grad_gates[gate_at] = dz_z;
            grad_gates[gate_at + 2 * plane] = dz_h;
            d[k] = dz_z;
            d[2 * units + k] = dz_h;
        }
        __syncthreads();
        scalar_t dr_h = 0;
        if (active) {  // d(r h) = r_h * (U_h dz_h);  dz_r = d(r h) h sigma'(r)
            dr_h = m2 * column_dot<false>(UT + (index_t)2 * units * units + k, units, d + 2 * units, nullptr, units);
            const scalar_t dz_r = dr_h * (h * sigma_r);
            grad_gates[gate_at + plane] = dz_r;
            d[units + k] = dz_r;
        }
        __syncthreads();
        if (active) {  // dh_prev = r_z (U_z dz_z) + r_r (U_r dz_r) + d(r h) r + z dh
            const scalar_t s0 = column_dot<false>(UT + k, units, d, nullptr, units);
            const scalar_t s1 = column_dot<false>(UT + (index_t)units * units + k, units, d + units, nullptr, units);
            const scalar_t new_dh = (m0 * s0 + m1 * s1) + dr_h * r;
            dh = new_dh + dh * carry;
        }
    }
    if (active) dh_io[(index_t)k * batch + b] = dh;
}
