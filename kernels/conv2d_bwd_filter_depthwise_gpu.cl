/*
 * conv2d_bwd_filter_depthwise_gpu.cl — the GPU family's weight gradient of a depthwise convolution with depth
 * multiplier DEPTH_MULT (γ; output channel o reads input channel o / γ), any kernel, stride, dilation and padding:
 *   dw[o][ky][kx] = Σ_{n, oy, ox} dz[n][o][oy][ox] · x[n][o/γ][oy·SH − pad_top + ky·DH][ox·SW − pad_left + kx·DW]
 * over the taps inside x (plan/BackwardFilterDepthwiseGpuDescriptor).
 *
 * One work-group of GROUP items per output channel: item l takes the elements e = l, l + GROUP, … of the channel's
 * n·h_out·w_out output gradients (neighbouring items read neighbouring dz values and, per tap, neighbouring inputs:
 * coalesced), keeping one partial sum per tap in private memory; then, tap by tap, the group adds its GROUP partial
 * sums in local memory by a fixed tree (halves added pairwise, barrier between levels), so every element's sum has
 * the same order on every run, and item 0 stores it.
 * Grid: dim0 = GROUP, dim1 = c_out; the local size is exactly (GROUP, 1, 1) (reqd_work_group_size); every item
 * reaches every barrier.
 *
 * Required defines: KH, KW, SH, SW, DH, DW (convcl_window.h); DEPTH_MULT; GROUP (a power of two, 64-256 by default);
 *   HAS_BIAS and ACTIVATION (convcl_common.h; unused).
 * Local memory: GROUP reals.
 * Arguments: src = x [n_batch][c_in][h_in][w_in], grad = dz [n_batch][c_out][h_out][w_out], dst = dw [c_out][1][KH][KW],
 *   then int n_batch, c_in, h_in, w_in, h_out, w_out, pad_top, pad_left, accumulate (1: dst += sum, 0: dst = sum).
 */
#include "convcl_window.h"
#include "convcl_bwd.h"
#ifndef DEPTH_MULT
#error "DEPTH_MULT (the depth multiplier) must be defined"
#endif
#ifndef GROUP
#error "GROUP (work-items per output channel, a power of two) must be defined"
#endif

__kernel __attribute__((reqd_work_group_size(GROUP, 1, 1)))
void conv2d_bwd_filter_depthwise_gpu(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT grad,
                                     __global real *CONVCL_RESTRICT dst, const int n_batch, const int c_in, const int h_in,
                                     const int w_in, const int h_out, const int w_out, const int pad_top, const int pad_left,
                                     const int accumulate) {
    __local real partial[GROUP];
    const int l = (int)get_local_id(0);
    const int o = (int)get_group_id(1);
    const int c_out = c_in * DEPTH_MULT;
    const bool active = o < c_out; /* a padded grid's extra groups still reach every barrier */
    const int ci = o / DEPTH_MULT;
    const int pixels = h_out * w_out;
    real acc[KH * KW];
    for (int t = 0; t < KH * KW; t++) acc[t] = (real)(0);
    if (active) {
        for (int e = l; e < n_batch * pixels; e += GROUP) {
            const int n = e / pixels, p = e - (e / pixels) * pixels;
            const int oy = p / w_out, ox = p - (p / w_out) * w_out;
            const real d = grad[((size_t)n * c_out + o) * pixels + p];
            __global const real *plane = src + ((size_t)n * c_in + ci) * h_in * w_in;
            for (int ky = 0; ky < KH; ky++) {
                const int iy = oy * SH - pad_top + ky * DH;
                if (iy < 0 || iy >= h_in) continue;
                for (int kx = 0; kx < KW; kx++) {
                    const int ix = ox * SW - pad_left + kx * DW;
                    if (ix >= 0 && ix < w_in) acc[ky * KW + kx] += d * plane[iy * w_in + ix];
                }
            }
        }
    }
    for (int t = 0; t < KH * KW; t++) {
        partial[l] = acc[t];
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int span = GROUP / 2; span > 0; span >>= 1) {
            if (l < span) partial[l] += partial[l + span];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (l == 0 && active) convcl_bwd_store(dst, o * KH * KW + t, partial[0], accumulate);
        barrier(CLK_LOCAL_MEM_FENCE); /* item 0 has read partial[0] before the next tap overwrites it */
    }
}
