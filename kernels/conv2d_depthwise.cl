/*
 * conv2d_depthwise.cl — depthwise convolution (groups == c_in) with depth multiplier DEPTH_MULT (γ):
 * output channel o = ci·γ + m reads only input channel ci, with weights wei[o][0][KH][KW].
 *
 * One work-item computes, for one (image, input channel), all γ output channels times TILE_Y output rows
 * times VEC consecutive outputs along x (a vector register each). It walks the input rows those outputs
 * need once; each input row's tap vectors feed every (m, output row, ky, kx) that reads them, so neither
 * γ nor overlapping kernel rows re-read the input. Taps for stride 1 are unaligned vector loads, for
 * stride 2 the even and odd lanes of two loads, otherwise gathered; at the image's edges the loads run
 * into the neighbouring rows (or, at the buffer's ends, come from a private copy of the span) and lanes
 * outside the row are skipped, never multiplied by a padded zero, so non-finite weights propagate. The block of the last columns is shifted back
 * to end at the last output (storing only the outputs its neighbour does not) unless the row is narrower
 * than VEC (7x7, 14x14 planes): then a row is stored as a whole vector when its extra lanes fall into later
 * rows of the same work-item (stored after it, so overwritten), and the tile's last row in a few vector
 * stores; rows past h_out are computed on clamped input and not stored. TILE_Y 7 divides the
 * 112/56/28/14/7 planes of MobileNet and ResNet exactly (no wasted rows).
 * Grid: dim0 = ceil(w_out / VEC), dim1 = ceil(h_out / TILE_Y), dim2 = n_batch · c_in; padded to the local
 * size. Channels batched in dim2 of the local size keep small images (7×7) filling the device.
 *
 * Required defines: KH, KW (kernel), SH, SW (stride), DH, DW (dilation), DEPTH_MULT (γ), VEC (outputs
 *   along x: 2, 4, 8 or 16), and HAS_BIAS, ACTIVATION (convcl_common.h).
 * Optional defines: TILE_Y (output rows per work-item), default 1.
 * Arguments (shared by all conv2d kernels):
 *   src [n_batch][c_in][h_in][w_in], wei [c_out][KH][KW], bia [c_out] (read only when HAS_BIAS),
 *   dst [n_batch][c_out][h_out][w_out], then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out,
 *   groups (== c_in, unused), pad_top, pad_left (bottom/right padding is implied by h_out, w_out).
 */
#include "convcl_window.h"
#ifndef DEPTH_MULT
#error "DEPTH_MULT (depth multiplier, output channels per input channel) must be defined"
#endif
#ifndef VEC
#error "VEC (outputs along x per work-item: 2, 4, 8 or 16) must be defined"
#endif
#ifndef TILE_Y
#define TILE_Y 1
#endif
#include "convcl_vector.h"
#include "convcl_taps.h"

/* input rows read by TILE_Y output rows */
#define ROWS ((TILE_Y - 1) * SH + (KH - 1) * DH + 1)

/* stores the first count (< VEC) lanes of v as a few vector stores (count's binary digits) */
inline void depthwise_store_partial(realv v, __global real *out, int count) {
    real vs[VEC];
    VSTORE(v, 0, vs);
    int j = 0;
#if VEC > 8
    if (count & 8) { vstore8(vload8(0, vs + j), 0, out + j); j += 8; }
#endif
#if VEC > 4
    if (count & 4) { vstore4(vload4(0, vs + j), 0, out + j); j += 4; }
#endif
#if VEC > 2
    if (count & 2) { vstore2(vload2(0, vs + j), 0, out + j); j += 2; }
#endif
    if (count & 1) out[j] = vs[j];
}

/* How the taps are formed (see convcl_taps.h); one choice per work-item, so the hot loop has no per-row path choice. */
#define DW_INSIDE 0 /* read straight from the rows, every lane inside them */
#define DW_OVERREAD 1 /* read straight from the rows, running into their neighbours; lanes outside masked */
#define DW_SPAN 2 /* from a private copy of each row's span; lanes outside masked */

/* The accumulation over the ROWS input rows (from input row iy0, input x ix0) of the plane `in`, the taps formed as
 * `how` says (a constant after inlining): each input row's taps feed every (m, output row t, ky) that reads them,
 * with the weights w[m·KH·KW + ky·KW + kx] of output channel m of the input channel. */
__attribute__((always_inline)) inline void depthwise_rows(realv acc[DEPTH_MULT][TILE_Y], __global const real *in,
                                                          __global const real *w, int iy0, int ix0, int h_in,
                                                          int w_in, const int how) {
#pragma unroll
    for (int r = 0; r < ROWS; r++) {
        const int iy = iy0 + r;
        if (iy < 0 || iy >= h_in) continue;
        __global const real *row = in + iy * w_in + ix0;
        real span[CONVCL_SPAN_ALLOC];
        if (how == DW_SPAN) convcl_load_span(span, row, ix0, w_in, false);
#pragma unroll
        for (int t = 0; t < TILE_Y; t++) {
#pragma unroll
            for (int ky = 0; ky < KH; ky++) {
                if (t * SH + ky * DH != r) continue; /* resolved at compile time after unrolling */
#pragma unroll
                for (int kx = 0; kx < KW; kx++) {
                    const realv x = how == DW_SPAN ? convcl_taps(span, kx * DW) : convcl_taps_global(row, kx * DW);
                    const intv valid = convcl_tap_valid(ix0 + kx * DW, w_in);
#pragma unroll
                    for (int m = 0; m < DEPTH_MULT; m++) {
                        const real wt = w[m * (KH * KW) + ky * KW + kx];
                        acc[m][t] = how == DW_INSIDE ? fma((realv)(wt), x, acc[m][t])
                                                     : convcl_fma_lanes(acc[m][t], wt, x, valid);
                    }
                }
            }
        }
    }
}

__kernel void conv2d_depthwise(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT wei,
                               __global const real *CONVCL_RESTRICT bia, __global real *CONVCL_RESTRICT dst,
                               const int n_batch, const int c_in, const int h_in, const int w_in,
                               const int c_out, const int h_out, const int w_out,
                               const int groups, const int pad_top, const int pad_left) {
    int ox0 = (int)get_global_id(0) * VEC;
    const int oy0 = (int)get_global_id(1) * TILE_Y;
    const int z = (int)get_global_id(2);
    if (ox0 >= w_out || oy0 >= h_out || z >= n_batch * c_in) return;
    const bool whole = w_out >= VEC;
    /* the row's last block, shifted back to end at the last output, stores only the lanes from `fresh` on: the
     * ones before belong to its neighbour, and two work-items never write one output */
    const int fresh = whole ? max(0, ox0 - (w_out - VEC)) : 0;
    if (whole) ox0 -= fresh;
    const int n = z / c_in;
    const int ci = z - n * c_in;

    __global const real *in = src + (size_t)(n * c_in + ci) * h_in * w_in;
    __global const real *w = wei + ci * DEPTH_MULT * (KH * KW);
    const int iy0 = oy0 * SH - pad_top;
    const int ix0 = ox0 * SW - pad_left;
    const bool inside_x = ix0 >= 0 && ix0 + CONVCL_SPAN <= w_in;
    const long src_len = (long)n_batch * c_in * h_in * w_in;
    /* at the image's left/right edges the taps run into the neighbouring rows when every row's load stays
     * inside the buffer (decided once per work-item) */
    const int iy_first = max(iy0, 0), iy_last = min(iy0 + ROWS, h_in) - 1;
    const bool overread = !inside_x && iy_first <= iy_last
            && convcl_maskable(in - src + (long)iy_first * w_in + ix0, src_len)
            && convcl_maskable(in - src + (long)iy_last * w_in + ix0, src_len);

    realv acc[DEPTH_MULT][TILE_Y];
#pragma unroll
    for (int m = 0; m < DEPTH_MULT; m++)
#pragma unroll
        for (int t = 0; t < TILE_Y; t++) acc[m][t] = (realv)(0);

    if (inside_x) depthwise_rows(acc, in, w, iy0, ix0, h_in, w_in, DW_INSIDE);
    else if (overread) depthwise_rows(acc, in, w, iy0, ix0, h_in, w_in, DW_OVERREAD);
    else depthwise_rows(acc, in, w, iy0, ix0, h_in, w_in, DW_SPAN);

#pragma unroll
    for (int m = 0; m < DEPTH_MULT; m++) {
        const int o = ci * DEPTH_MULT + m;
        __global real *out = dst + (size_t)(n * c_out + o) * h_out * w_out + ox0;
#pragma unroll
        for (int t = 0; t < TILE_Y; t++) {
            const int oy = oy0 + t;
            if (oy >= h_out) break;
            const realv v = convcl_epilogue_v(acc[m][t], bia, o);
            if (whole && fresh == 0) {
                VSTORE(v, 0, out + oy * w_out);
            } else if (whole) {
                convcl_store_lanes(v, out + oy * w_out, fresh, VEC);
            } else if ((oy + 1) * w_out + VEC - w_out <= min(oy0 + TILE_Y, h_out) * w_out) {
                /* narrow row (w_out < VEC, ox0 == 0): the extra lanes land in later rows of this tile,
                 * which are stored after this one and overwrite them */
                VSTORE(v, 0, out + oy * w_out);
            } else {
                depthwise_store_partial(v, out + oy * w_out, w_out);
            }
        }
    }
}
