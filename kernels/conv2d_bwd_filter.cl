/*
 * conv2d_bwd_filter.cl — the weight gradient of a full, grouped or pointwise convolution (any stride, dilation and
 * asymmetric padding), and the bias gradient of any convolution:
 *   dw[o][i'][ky][kx] = Σ_n Σ_oy Σ_ox dz[n][o][oy][ox] · x[n][g·c_in/groups + i'][oy·SH − pad_top + ky·DH][ox·SW − pad_left + kx·DW]
 *   db[o] = Σ_n Σ_p dz[n][o][p]
 * over the taps inside x. Each gradient element is reduced by one work-item in a fixed order (images, then rows, then
 * columns in VEC lanes, the lanes summed last in lane order), so the result is the same bits on every run.
 *
 * conv2d_bwd_filter: one work-item computes one tap (ky, kx) for TILE_OC consecutive output channels × TILE_IC
 *   consecutive input channels of one group (a register-blocked GEMM whose depth is the batch's output pixels, in
 *   realv accumulators): each step's TILE_OC vectors of dz and TILE_IC vectors of input (the taps of convcl_taps.h:
 *   one load at stride 1, two at stride 2, else lane by lane; a row's last step masked) feed TILE_OC·TILE_IC vector products. Only the output
 *   columns whose input column lies inside the row are visited. Channels past the group's end read a clamped channel
 *   and are not stored. A pointwise layer is launched with each plane as one row (h = 1, w = H·W).
 *   Grid: dim0 = ceil((c_in/groups) / TILE_IC), dim1 = KH·KW, dim2 = groups · ceil((c_out/groups) / TILE_OC).
 * conv2d_bwd_bias: one work-item sums one output channel. Grid: dim0 = c_out.
 * Grids are padded to the local size (the tail returns).
 *
 * Required defines: KH, KW, SH, SW, DH, DW (convcl_window.h); TILE_OC, TILE_IC (channels per work-item), VEC
 *   (columns per step: 2, 4, 8 or 16, convcl_vector.h); HAS_BIAS 0 and ACTIVATION 0 (convcl_common.h; unused).
 * Arguments: conv2d_bwd_filter: src = x [n_batch][c_in][h_in][w_in], grad = dz [n_batch][c_out][h_out][w_out],
 *   dst = dw [c_out][c_in/groups][KH][KW], then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out, groups, pad_top,
 *   pad_left, accumulate (1: dw += gradient, 0: dw = gradient).
 *   conv2d_bwd_bias: grad = dz, dst = db [c_out], then int n_batch, c_out, pixels (h_out·w_out), accumulate.
 */
#include "convcl_window.h"
#include "convcl_bwd.h"
#if !defined(TILE_OC) || !defined(TILE_IC)
#error "TILE_OC and TILE_IC (channels per work-item) must be defined"
#endif
#ifndef VEC
#error "VEC (columns per step: 2, 4, 8 or 16) must be defined"
#endif
#include "convcl_vector.h"
#include "convcl_taps.h"

/* VEC input values of one row for the output columns ox0 … ox0 + VEC − 1 (the first `count` of them real, the
 * rest 0) under tap kx: for a whole vector the taps of convcl_taps.h (one load at stride 1, two at stride 2), else
 * lane by lane. */
inline realv convcl_bwd_input_lanes(__global const real *row, const int ox0, const int count, const int kx, const int pad_left) {
    const int ix0 = ox0 * SW - pad_left + kx * DW;
    if (count == VEC) return convcl_taps_global(row, ix0);
    real lanes[VEC];
    for (int v = 0; v < VEC; v++) lanes[v] = v < count ? row[ix0 + v * SW] : (real)(0);
    return VLOAD(0, lanes);
}

/* VEC values of a dz row from ox0 (the first `count` real, the rest 0). */
inline realv convcl_bwd_grad_lanes(__global const real *row, const int ox0, const int count) {
    if (count == VEC) return convcl_load_global(row + ox0);
    real lanes[VEC];
    for (int v = 0; v < VEC; v++) lanes[v] = v < count ? row[ox0 + v] : (real)(0);
    return VLOAD(0, lanes);
}

__kernel void conv2d_bwd_filter(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT grad,
                                __global real *CONVCL_RESTRICT dst,
                                const int n_batch, const int c_in, const int h_in, const int w_in,
                                const int c_out, const int h_out, const int w_out,
                                const int groups, const int pad_top, const int pad_left, const int accumulate) {
    const int bi = (int)get_global_id(0);
    const int tap = (int)get_global_id(1);
    const int z = (int)get_global_id(2);
    const int in_per_group = c_in / groups;
    const int out_per_group = c_out / groups;
    const int in_blocks = (in_per_group + TILE_IC - 1) / TILE_IC;
    const int out_blocks = (out_per_group + TILE_OC - 1) / TILE_OC;
    if (bi >= in_blocks || tap >= KH * KW || z >= groups * out_blocks) return;
    const int g = z / out_blocks;
    const int fo = (z - g * out_blocks) * TILE_OC, fi = bi * TILE_IC;
    const int ky = tap / KW, kx = tap - (tap / KW) * KW;
    const int2 cols = convcl_bwd_valid_range(w_in, pad_left, kx, DW, SW, w_out);

    realv acc[TILE_OC][TILE_IC];
#pragma unroll
    for (int a = 0; a < TILE_OC; a++)
#pragma unroll
        for (int b = 0; b < TILE_IC; b++) acc[a][b] = (realv)(0);

    for (int n = 0; n < n_batch; n++) {
        for (int oy = 0; oy < h_out; oy++) {
            const int iy = oy * SH - pad_top + ky * DH;
            if (iy < 0 || iy >= h_in) continue;
            for (int ox0 = cols.x; ox0 < cols.y; ox0 += VEC) {
                const int count = min(VEC, cols.y - ox0);
                realv d[TILE_OC], xv[TILE_IC];
#pragma unroll
                for (int a = 0; a < TILE_OC; a++) {
                    d[a] = convcl_bwd_grad_lanes(grad + ((n * c_out + g * out_per_group + min(fo + a, out_per_group - 1)) * h_out + oy) * w_out,
                                                 ox0, count);
                }
#pragma unroll
                for (int b = 0; b < TILE_IC; b++) {
                    xv[b] = convcl_bwd_input_lanes(src + ((n * c_in + g * in_per_group + min(fi + b, in_per_group - 1)) * h_in + iy) * w_in,
                                                   ox0, count, kx, pad_left);
                }
#pragma unroll
                for (int a = 0; a < TILE_OC; a++)
#pragma unroll
                    for (int b = 0; b < TILE_IC; b++) acc[a][b] += d[a] * xv[b];
            }
        }
    }

    for (int a = 0; a < TILE_OC; a++) {
        if (fo + a >= out_per_group) break;
        for (int b = 0; b < TILE_IC; b++) {
            if (fi + b >= in_per_group) break;
            real lanes[VEC];
            VSTORE(acc[a][b], 0, lanes);
            real sum = (real)(0);
            for (int v = 0; v < VEC; v++) sum += lanes[v];
            convcl_bwd_store(dst, ((g * out_per_group + fo + a) * in_per_group + fi + b) * KH * KW + tap, sum, accumulate);
        }
    }
}

__kernel void conv2d_bwd_bias(__global const real *CONVCL_RESTRICT grad, __global real *CONVCL_RESTRICT dst,
                              const int n_batch, const int c_out, const int pixels, const int accumulate) {
    const int o = (int)get_global_id(0);
    if (o >= c_out) return;
    real lanes[VEC];
    for (int v = 0; v < VEC; v++) lanes[v] = (real)(0);
    for (int n = 0; n < n_batch; n++) {
        __global const real *plane = grad + (n * c_out + o) * pixels;
        for (int p0 = 0; p0 < pixels; p0 += VEC)
            for (int v = 0; v < VEC; v++) lanes[v] += p0 + v < pixels ? plane[p0 + v] : (real)(0);
    }
    real sum = (real)(0);
    for (int v = 0; v < VEC; v++) sum += lanes[v];
    convcl_bwd_store(dst, o, sum, accumulate);
}
