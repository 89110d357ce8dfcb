/*
 * conv2d_bwd_data_gpu.cl — the GPU family's input gradient of a strided convolution (full, grouped, pointwise or
 * depthwise with any depth multiplier; any stride, dilation and asymmetric padding) as a gather, each element of dx
 * written by one work-item (no scatter, no atomics):
 *   dx[n][i][iy][ix] = Σ_{o of i's group} Σ_{ky,kx} dz[n][o][oy][ox] · wei[o][i − g·c_in/groups][ky][kx]
 * over the taps with iy = oy·SH − pad_top + ky·DH and ix = ox·SW − pad_left + kx·DW inside dz (taps without such an
 * (oy, ox) add nothing). A depthwise layer is the case groups = c_in: its γ output channels per group are summed.
 *
 * One work-item per dx element: neighbouring items take neighbouring ix of one row (coalesced stores, and dz reads of
 * neighbouring or equal columns). Each item sums in a fixed order (output channel, then ky, then kx), so every run
 * gives the same bits. plan/BackwardDataGpuDescriptor.
 * Grid: dim0 = w_in, dim1 = h_in, dim2 = n_batch · c_in; padded to the local size (the padding's items return).
 *
 * Required defines: KH, KW, SH, SW, DH, DW (convcl_window.h); HAS_BIAS 0 and ACTIVATION 0 (convcl_common.h; unused);
 *   L0, L1 (the local size, unused by the code).
 * Arguments (those of conv2d_bwd_data.cl): src = dz [n_batch][c_out][h_out][w_out], wei [c_out][c_in/groups][KH][KW],
 *   dst = dx [n_batch][c_in][h_in][w_in], then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out, groups, pad_top,
 *   pad_left, accumulate (1: dx += gradient, 0: dx = gradient).
 */
#include "convcl_window.h"
#include "convcl_bwd.h"

__kernel void conv2d_bwd_data_gpu(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT wei,
                                  __global real *CONVCL_RESTRICT dst,
                                  const int n_batch, const int c_in, const int h_in, const int w_in,
                                  const int c_out, const int h_out, const int w_out,
                                  const int groups, const int pad_top, const int pad_left, const int accumulate) {
    const int ix = (int)get_global_id(0);
    const int iy = (int)get_global_id(1);
    const int z = (int)get_global_id(2);
    if (ix >= w_in || iy >= h_in || z >= n_batch * c_in) return;
    const int n = z / c_in, i = z - n * c_in;
    const int in_per_group = c_in / groups;
    const int out_per_group = c_out / groups;
    const int g = i / in_per_group, il = i - g * in_per_group;

    /* per tap: the dz row / column it reads from, or -1 (none) */
    int oy[KH], ox[KW];
#pragma unroll
    for (int ky = 0; ky < KH; ky++) oy[ky] = convcl_bwd_source(iy, pad_top, ky, DH, SH, h_out);
#pragma unroll
    for (int kx = 0; kx < KW; kx++) ox[kx] = convcl_bwd_source(ix, pad_left, kx, DW, SW, w_out);

    real acc = (real)(0);
    for (int oi = 0; oi < out_per_group; oi++) {
        const int o = g * out_per_group + oi;
        __global const real *plane = src + ((size_t)n * c_out + o) * h_out * w_out;
        __global const real *w_oi = wei + ((size_t)o * in_per_group + il) * KH * KW;
#pragma unroll
        for (int ky = 0; ky < KH; ky++) {
            if (oy[ky] < 0) continue;
            __global const real *row = plane + oy[ky] * w_out;
#pragma unroll
            for (int kx = 0; kx < KW; kx++) {
                if (ox[kx] >= 0) acc = fma(row[ox[kx]], w_oi[ky * KW + kx], acc);
            }
        }
    }
    convcl_bwd_store(dst + (((size_t)n * c_in + i) * h_in + iy) * w_in, ix, acc, accumulate);
}
