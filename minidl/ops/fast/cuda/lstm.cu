// The forward and backward time loops of the LSTM, each in one launch: one thread block
// per sample (see minidl/ops/fast/rnn_cuda.py). They must equal the generic loops of the
// fast op on the CPU, which in turn must equal the readable cell in minidl/ops/reference/.

#include "rnn_common.cuh"

// Gates in the op's internal order (o, i, f, g); o, i, f use sigma, g uses act.
// gates (T, 4u, B): in x W + b, out the gate values. states_h/c (T+1, u, B) with [0] set.
// act_c (T, u, B) out. kernel (u, 4u). rmasks (4, u, B). keep (T, B). One block per sample.
extern "C" __global__ void lstm_forward(
        scalar_t* gates, scalar_t* states_h, scalar_t* states_c, scalar_t* act_c,
        const scalar_t* kernel, const scalar_t* rmasks, const scalar_t* keep,
        int time, int batch, int units, int has_masks, int has_padding, int kernel_in_shared,
        int sigma_code, int act_code) {
    const int width = 4 * units, b = blockIdx.x, tid = threadIdx.x;
    scalar_t* h_sh = (scalar_t*)rnn_shared_bytes;
    scalar_t* gate_sh = h_sh + units;
    scalar_t* mask_sh = gate_sh + width;
    scalar_t* kernel_sh = mask_sh + width;
    const scalar_t* U = stage_matrix(kernel, kernel_sh, (index_t)units * width, kernel_in_shared);
    for (int j = tid; j < width; j += blockDim.x) mask_sh[j] = has_masks ? rmasks[(index_t)j * batch + b] : (scalar_t)1;
    scalar_t c = 0;
    if (tid < units) {
        h_sh[tid] = states_h[(index_t)tid * batch + b];
        c = states_c[(index_t)tid * batch + b];
    }
    const int j = tid;
    const bool gate_thread = j < width;
    const int gate = gate_thread ? j / units : 0;
    scalar_t a_next = gate_thread ? gates[(index_t)j * batch + b] : (scalar_t)0;
    __syncthreads();
    for (int t = 0; t < time; ++t) {
        if (gate_thread) {
            const index_t at = ((index_t)t * width + j) * batch + b;
            scalar_t z = a_next;
            if (t + 1 < time) a_next = gates[at + (index_t)width * batch];  // prefetch the next step
            z += masked_dot(has_masks, U + j, width, h_sh, mask_sh + gate * units, units);
            const scalar_t value = activate(gate < 3 ? sigma_code : act_code, z);
            gates[at] = value;
            gate_sh[j] = value;
        }
        __syncthreads();
        if (tid < units) {
            const int k = tid;
            const scalar_t o = gate_sh[k], i = gate_sh[units + k], f = gate_sh[2 * units + k], g = gate_sh[3 * units + k];
            scalar_t new_c = f * c + i * g;
            const scalar_t activated = activate(act_code, new_c);
            scalar_t new_h = o * activated;
            const index_t at = ((index_t)t * units + k) * batch + b;
            act_c[at] = activated;
            if (has_padding && keep[(index_t)t * batch + b] == (scalar_t)0) {  // a skipped step carries the states
                new_h = h_sh[k];
                new_c = c;
            }
            c = new_c;
            h_sh[k] = new_h;
            states_h[at + (index_t)units * batch] = new_h;
            states_c[at + (index_t)units * batch] = new_c;
        }
        __syncthreads();
    }
}

// Backward time loop. kernel_t (4u, u) = U^T. per_step (T, u, B) output gradients or unused.
// dh, dc (u, B): in the gradients arriving at the last step, out those of the initial states.
// grad_gates (T, 4u, B) out: dL/d(pre-activations). One block per sample; per step, threads
// k < u do the element-wise part of unit k, then thread j = g*u + k forms gate g's share of
// dh_prev[k] (a dot product of length u), and thread k adds up the four shares.
extern "C" __global__ void lstm_backward(
        const scalar_t* gates, const scalar_t* states_c, const scalar_t* act_c, const scalar_t* kernel_t,
        const scalar_t* rmasks, const scalar_t* keep, const scalar_t* per_step,
        scalar_t* grad_gates, scalar_t* dh_io, scalar_t* dc_io,
        int time, int batch, int units, int has_masks, int has_padding, int has_per_step, int kernel_in_shared,
        int sigma_code, int act_code) {
    const int width = 4 * units, b = blockIdx.x, tid = threadIdx.x;
    scalar_t* dz = (scalar_t*)rnn_shared_bytes;  // dL/dz of the step, (o, i, f, g) blocks
    scalar_t* share = dz + width;                // gate g's share of dh_prev, per unit
    scalar_t* kernel_sh = share + width;
    const scalar_t* UT = stage_matrix(kernel_t, kernel_sh, (index_t)units * width, kernel_in_shared);
    const int k = tid;
    const bool unit_thread = k < units;
    const bool gate_thread = tid < width;
    const int share_gate = gate_thread ? tid / units : 0, share_unit = gate_thread ? tid % units : 0;
    const index_t plane = (index_t)units * batch;  // one gate block of one step
    scalar_t dh = 0, dc = 0, mask = 1;
    if (unit_thread) {
        dh = dh_io[(index_t)k * batch + b];
        dc = dc_io[(index_t)k * batch + b];
    }
    if (gate_thread && has_masks) mask = rmasks[(index_t)tid * batch + b];  // r_g[k] for g*u + k = tid
    const scalar_t* column = UT + (index_t)share_gate * units * units + share_unit;
    __syncthreads();
    for (int t = time - 1; t >= 0; --t) {
        scalar_t kept = 1;
        if (unit_thread) {
            const index_t gate_at = ((index_t)t * width + k) * batch + b;
            const index_t unit_at = ((index_t)t * units + k) * batch + b;
            if (has_per_step && t < time - 1) dh += per_step[unit_at];
            const scalar_t o = gates[gate_at], i = gates[gate_at + plane];
            const scalar_t f = gates[gate_at + 2 * plane], g = gates[gate_at + 3 * plane];
            const scalar_t activated = act_c[unit_at], c_prev = states_c[unit_at];
            if (has_padding) kept = keep[(index_t)t * batch + b];
            const scalar_t dz_o = dh * (activated * derivative(sigma_code, o) * kept);  // d h/d z_o = act(c) sigma'(o)
            dc += dh * (o * derivative(act_code, activated) * kept);                    // d h/d c = o act'(c)
            const scalar_t dz_i = dc * (g * derivative(sigma_code, i) * kept);            // d c/d z_i = g sigma'(i)
            const scalar_t dz_f = dc * (c_prev * derivative(sigma_code, f) * kept);       // d c/d z_f = c_prev sigma'(f)
            const scalar_t dz_g = dc * (i * derivative(act_code, g) * kept);              // d c/d z_g = i act'(g)
            dc *= (kept != (scalar_t)0) ? f : (scalar_t)1;                                // d c/d c_prev = f
            grad_gates[gate_at] = dz_o;
            grad_gates[gate_at + plane] = dz_i;
            grad_gates[gate_at + 2 * plane] = dz_f;
            grad_gates[gate_at + 3 * plane] = dz_g;
            dz[k] = dz_o; dz[units + k] = dz_i; dz[2 * units + k] = dz_f; dz[3 * units + k] = dz_g;
        }
        __syncthreads();
        if (gate_thread) {  // r_g[k] * (U_g dz_g)[k]
            share[tid] = mask * column_dot<false>(column, units, dz + share_gate * units, nullptr, units);
        }
        __syncthreads();
        if (unit_thread) {  // dh_prev = sum_g r_g * (U_g dz_g)
            scalar_t new_dh = (share[k] + share[units + k]) + (share[2 * units + k] + share[3 * units + k]);
            if (has_padding) new_dh += dh * ((scalar_t)1 - kept);  // a skipped step passes dh through
            dh = new_dh;
        }
    }
    if (unit_thread) {
        dh_io[(index_t)k * batch + b] = dh;
        dc_io[(index_t)k * batch + b] = dc;
    }
}
