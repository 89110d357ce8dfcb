/*
 * conv2d_bwd_data.cl — the input gradient of a full, grouped or pointwise convolution (any stride, dilation and
 * asymmetric padding) as an implicit GEMM over the transposed, flipped weights: a gather, each element of dx written
 * by one work-item (no col2im scatter, no atomics):
 *   dx[n][i][iy][ix] = Σ_{o of i's group} Σ_{ky,kx} dz[n][o][oy][ox] · wei[o][i − g·c_in/groups][ky][kx]
 * over the taps with iy = oy·SH − pad_top + ky·DH and ix = ox·SW − pad_left + kx·DW inside dz (taps without such an
 * (oy, ox) add nothing, so a non-finite weight never meets padding).
 *
 * One work-item computes VEC·SW consecutive input columns X0 … X0 + VEC·SW − 1 of one input row for TILE_IC consecutive
 * input channels of one group of one image, phase by phase: the columns X0 + r + SW·v (v < VEC) of phase r receive tap
 * kx from the VEC consecutive dz columns ox0 + v, ox0 = (X0 + r + pad_left − kx·DW) / SW, when that division is exact
 * (the same for every lane), so each step is one VEC-wide dz load feeding TILE_IC vector FMAs (lane by lane, and the
 * lanes outside dz skipped, at the row's ends). Channels past the group's end read a clamped channel's weights and are
 * not stored. Stride 1 stores whole vectors, stride 2 its two phases interleaved in registers as two whole vectors; other
 * strides, and a row's last block when it reaches past the row, store lane by lane (columns past the row's end are not
 * stored).
 * Grid: dim0 = ceil(w_in / (VEC·SW)), dim1 = h_in, dim2 = n_batch · groups · ceil((c_in/groups) / TILE_IC); padded to
 * the local size (the tail returns).
 *
 * Required defines: KH, KW, SH, SW, DH, DW (convcl_window.h); TILE_IC (input channels per work-item), VEC (columns per
 *   phase: 2, 4, 8 or 16; convcl_vector.h); HAS_BIAS 0 and ACTIVATION 0 (convcl_common.h; unused).
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
#error "VEC (input columns per phase: 2, 4, 8 or 16) must be defined"
#endif
#include "convcl_vector.h"

/* Adds w[c] times the dz values row[ox0 + v] to acc[c] for the lanes v with ox0 + v inside [0, w_out): one vector load
 * when all are, else lane by lane with the other lanes' accumulators kept as they are (never multiplied by a zero). */
inline void convcl_bwd_data_step(realv acc[TILE_IC], const real w[TILE_IC], __global const real *row, const int ox0, const int w_out) {
    if (ox0 >= 0 && ox0 + VEC <= w_out) {
        const realv d = convcl_load_global(row + ox0);
#pragma unroll
        for (int c = 0; c < TILE_IC; c++) acc[c] = fma((realv)(w[c]), d, acc[c]);
        return;
    }
    real lanes[VEC];
    for (int v = 0; v < VEC; v++) lanes[v] = ox0 + v >= 0 && ox0 + v < w_out ? row[ox0 + v] : (real)(0);
    const realv d = VLOAD(0, lanes);
    const intv inside = CONVCL_IOTA + (intv)(ox0) >= (intv)(0) && CONVCL_IOTA + (intv)(ox0) < (intv)(w_out);
#pragma unroll
    for (int c = 0; c < TILE_IC; c++) acc[c] = select(acc[c], fma((realv)(w[c]), d, acc[c]), inside);
}

__kernel void conv2d_bwd_data(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT wei,
                              __global real *CONVCL_RESTRICT dst,
                              const int n_batch, const int c_in, const int h_in, const int w_in,
                              const int c_out, const int h_out, const int w_out,
                              const int groups, const int pad_top, const int pad_left, const int accumulate) {
    const int x0 = (int)get_global_id(0) * VEC * SW;
    const int iy = (int)get_global_id(1);
    const int z = (int)get_global_id(2);
    const int in_per_group = c_in / groups;
    const int out_per_group = c_out / groups;
    const int blocks = (in_per_group + TILE_IC - 1) / TILE_IC;
    if (x0 >= w_in || iy >= h_in || z >= n_batch * groups * blocks) return;
    const convcl_group_block blk = convcl_decode_group_block(z, groups, blocks, TILE_IC);
    const int n = blk.n, g = blk.g, first = blk.first; /* first: first input channel of the tile within the group */

    /* per phase r and tap kx: the first dz column, or none (the division is not exact) */
    int ox0[SW][KW];
    bool hit[SW][KW];
#pragma unroll
    for (int r = 0; r < SW; r++) {
#pragma unroll
        for (int kx = 0; kx < KW; kx++) {
            const int t = x0 + r + pad_left - kx * DW;
            const int q = t >= 0 ? t / SW : -((-t + SW - 1) / SW); /* floor(t / SW) */
            ox0[r][kx] = q;
            hit[r][kx] = t - q * SW == 0;
        }
    }

    realv acc[SW][TILE_IC];
#pragma unroll
    for (int r = 0; r < SW; r++)
#pragma unroll
        for (int c = 0; c < TILE_IC; c++) acc[r][c] = (realv)(0);

    for (int oi = 0; oi < out_per_group; oi++) {
        const int o = g * out_per_group + oi;
        __global const real *plane = src + (n * c_out + o) * h_out * w_out;
        __global const real *w_o = wei + o * in_per_group * KH * KW;
        for (int ky = 0; ky < KH; ky++) {
            const int oy = convcl_bwd_source(iy, pad_top, ky, DH, SH, h_out);
            if (oy < 0) continue;
            __global const real *row = plane + oy * w_out;
#pragma unroll
            for (int kx = 0; kx < KW; kx++) {
                real w[TILE_IC];
#pragma unroll
                for (int c = 0; c < TILE_IC; c++) w[c] = w_o[min(first + c, in_per_group - 1) * KH * KW + ky * KW + kx];
#pragma unroll
                for (int r = 0; r < SW; r++) {
                    if (hit[r][kx]) convcl_bwd_data_step(acc[r], w, row, ox0[r][kx], w_out);
                }
            }
        }
    }

    for (int c = 0; c < TILE_IC; c++) {
        if (first + c < in_per_group) {
            __global real *out = dst + ((n * c_in + g * in_per_group + first + c) * h_in + iy) * w_in;
#if SW == 1
            if (x0 + VEC <= w_in) {
                convcl_store_global(out + x0, accumulate ? convcl_load_global(out + x0) + acc[0][c] : acc[0][c]);
                continue;
            }
#elif SW == 2
            if (x0 + 2 * VEC <= w_in) { /* the two phases interleaved in registers, stored as two whole vectors */
                const realv lo = shuffle2(acc[0][c], acc[1][c], CONVCL_INTERLEAVE_LO);
                const realv hi = shuffle2(acc[0][c], acc[1][c], CONVCL_INTERLEAVE_HI);
                convcl_store_global(out + x0, accumulate ? convcl_load_global(out + x0) + lo : lo);
                convcl_store_global(out + x0 + VEC, accumulate ? convcl_load_global(out + x0 + VEC) + hi : hi);
                continue;
            }
#endif
            for (int r = 0; r < SW; r++) {
                real lanes[VEC];
                VSTORE(acc[r][c], 0, lanes);
                for (int v = 0; v < VEC; v++) {
                    const int ix = x0 + r + v * SW;
                    if (ix < w_in) convcl_bwd_store(out, ix, lanes[v], accumulate);
                }
            }
        }
    }
}
