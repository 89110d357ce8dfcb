/*
 * conv2d_bwd_data.cl — the input gradient of a full, grouped or pointwise convolution (any stride, dilation and
 * asymmetric padding) as an implicit GEMM over the transposed, flipped weights: a gather, each element of dx written
 * by one work-item (no col2im scatter, no atomics):
 *   dx[n][i][iy][ix] = Σ_{o of i's group} Σ_{ky,kx} dz[n][o][oy][ox] · wei[o][i − g·c_in/groups][ky][kx]
 * over the taps with iy = oy·SH − pad_top + ky·DH and ix = ox·SW − pad_left + kx·DW inside dz (taps without such an
 * (oy, ox) add nothing, so a non-finite weight never meets padding).
 *
 * One work-item computes VEC consecutive input columns of one input row for TILE_IC consecutive input channels of one
 * group of one image: each dz value loaded feeds TILE_IC products. Channels past the group's end read a clamped
 * channel's weights and are not stored; columns past the row's end are not stored.
 * Grid: dim0 = ceil(w_in / VEC), dim1 = h_in, dim2 = n_batch · groups · ceil((c_in/groups) / TILE_IC); padded to the
 * local size (the tail returns).
 *
 * Required defines: KH, KW, SH, SW, DH, DW (convcl_window.h); TILE_IC (input channels per work-item), VEC (columns per
 *   work-item); HAS_BIAS 0 and ACTIVATION 0 (convcl_common.h; unused).
 * Arguments: src = dz [n_batch][c_out][h_out][w_out], wei [c_out][c_in/groups][KH][KW], dst = dx
 *   [n_batch][c_in][h_in][w_in], then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out, groups, pad_top, pad_left,
 *   accumulate (1: dx += gradient, 0: dx = gradient).
 */
#include "convcl_window.h"
#include "convcl_bwd.h"
#ifndef TILE_IC
#error "TILE_IC (input channels per work-item) must be defined"
#endif
#ifndef VEC
#error "VEC (input columns per work-item) must be defined"
#endif

__kernel void conv2d_bwd_data(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT wei,
                              __global real *CONVCL_RESTRICT dst,
                              const int n_batch, const int c_in, const int h_in, const int w_in,
                              const int c_out, const int h_out, const int w_out,
                              const int groups, const int pad_top, const int pad_left, const int accumulate) {
    const int x0 = (int)get_global_id(0) * VEC;
    const int iy = (int)get_global_id(1);
    const int z = (int)get_global_id(2);
    const int in_per_group = c_in / groups;
    const int out_per_group = c_out / groups;
    const int blocks = (in_per_group + TILE_IC - 1) / TILE_IC;
    if (x0 >= w_in || iy >= h_in || z >= n_batch * groups * blocks) return;
    const convcl_group_block blk = convcl_decode_group_block(z, groups, blocks, TILE_IC);
    const int n = blk.n, g = blk.g, first = blk.first; /* first: first input channel of the tile within the group */

    real acc[TILE_IC][VEC];
    for (int c = 0; c < TILE_IC; c++)
        for (int v = 0; v < VEC; v++) acc[c][v] = (real)(0);

    for (int oi = 0; oi < out_per_group; oi++) {
        const int o = g * out_per_group + oi;
        __global const real *plane = src + (n * c_out + o) * h_out * w_out;
        __global const real *w_o = wei + o * in_per_group * KH * KW;
        for (int ky = 0; ky < KH; ky++) {
            const int oy = convcl_bwd_source(iy, pad_top, ky, DH, SH, h_out);
            if (oy < 0) continue;
            __global const real *row = plane + oy * w_out;
            for (int kx = 0; kx < KW; kx++) {
                real w[TILE_IC];
                for (int c = 0; c < TILE_IC; c++) w[c] = w_o[min(first + c, in_per_group - 1) * KH * KW + ky * KW + kx];
                for (int v = 0; v < VEC; v++) {
                    const int ox = convcl_bwd_source(x0 + v, pad_left, kx, DW, SW, w_out);
                    if (ox < 0) continue;
                    const real d = row[ox];
                    for (int c = 0; c < TILE_IC; c++) acc[c][v] += w[c] * d;
                }
            }
        }
    }

    for (int c = 0; c < TILE_IC; c++) {
        if (first + c >= in_per_group) break;
        const int base = ((n * c_in + g * in_per_group + first + c) * h_in + iy) * w_in;
        for (int v = 0; v < VEC; v++)
            if (x0 + v < w_in) convcl_bwd_store(dst, base + x0 + v, acc[c][v], accumulate);
    }
}
