/*
 * conv2d_full.cl — direct convolution for full (groups 1) and grouped specs, any stride, dilation and
 * (asymmetric) padding. Weights wei[c_out][c_in/groups][KH][KW].
 *
 * One work-item computes one output pixel (x, y) for TILE_OC consecutive output channels of one group
 * of one image: each input value loaded feeds TILE_OC products. Channels past the group's end are
 * computed on a clamped channel and not stored.
 * Grid: dim0 = w_out, dim1 = h_out, dim2 = n_batch · groups · ceil((c_out/groups) / TILE_OC);
 * padded to the local size.
 *
 * Required defines: KH, KW (kernel), SH, SW (stride), DH, DW (dilation), and HAS_BIAS, ACTIVATION
 *   (convcl_common.h).
 * Optional defines: TILE_OC (output channels per work-item), default 1.
 * Arguments (shared by all conv2d kernels):
 *   src [n_batch][c_in][h_in][w_in], wei as above, bia [c_out] (read only when HAS_BIAS),
 *   dst [n_batch][c_out][h_out][w_out], then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out,
 *   groups, pad_top, pad_left (bottom/right padding is implied by h_out, w_out).
 */
#include "convcl_window.h"
#ifndef TILE_OC
#define TILE_OC 1
#endif

__kernel void conv2d_full(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT wei,
                          __global const real *CONVCL_RESTRICT bia, __global real *CONVCL_RESTRICT dst,
                          const int n_batch, const int c_in, const int h_in, const int w_in,
                          const int c_out, const int h_out, const int w_out,
                          const int groups, const int pad_top, const int pad_left CONVCL_RESIDUAL_ARG) {
    const int ox = (int)get_global_id(0);
    const int oy = (int)get_global_id(1);
    const int z = (int)get_global_id(2);
    const int in_per_group = c_in / groups;
    const int out_per_group = c_out / groups;
    const int blocks = (out_per_group + TILE_OC - 1) / TILE_OC;
    if (ox >= w_out || oy >= h_out || z >= n_batch * groups * blocks) return;
    const convcl_group_block blk = convcl_decode_group_block(z, groups, blocks, TILE_OC);
    const int n = blk.n, g = blk.g, first = blk.first; /* first: first channel of this tile within the group */

    const int iy0 = oy * SH - pad_top;
    const int ix0 = ox * SW - pad_left;
    __global const real *in = src + (n * c_in + g * in_per_group) * h_in * w_in;
    const int wstride = in_per_group * (KH * KW); /* weights per output channel */
    __global const real *w[TILE_OC];
#pragma unroll
    for (int t = 0; t < TILE_OC; t++) w[t] = wei + (g * out_per_group + min(first + t, out_per_group - 1)) * wstride;

    real acc[TILE_OC];
#pragma unroll
    for (int t = 0; t < TILE_OC; t++) acc[t] = (real)(0);

    for (int ic = 0; ic < in_per_group; ic++) {
        __global const real *plane = in + ic * h_in * w_in;
        const int wbase = ic * (KH * KW);
#pragma unroll
        for (int ky = 0; ky < KH; ky++) {
            const int iy = iy0 + ky * DH;
            if (iy < 0 || iy >= h_in) continue;
#pragma unroll
            for (int kx = 0; kx < KW; kx++) {
                const int ix = ix0 + kx * DW;
                if (ix < 0 || ix >= w_in) continue;
                const real v = plane[iy * w_in + ix];
#pragma unroll
                for (int t = 0; t < TILE_OC; t++) acc[t] += v * w[t][wbase + ky * KW + kx];
            }
        }
    }

#pragma unroll
    for (int t = 0; t < TILE_OC; t++) {
        if (first + t < out_per_group) {
            const int o = g * out_per_group + first + t;
            const size_t at = (((size_t)n * c_out + o) * h_out + oy) * w_out + ox;
            dst[at] = convcl_epilogue_at(acc[t], bia, o, at CONVCL_RESIDUAL_PASS);
        }
    }
}
