/*
 * conv2d_igemm.cl — implicit-GEMM convolution for full and grouped specs, any stride, dilation and
 * (asymmetric) padding, without an im2col buffer: per group, out = W · im2col(X) with M = c_out/groups,
 * N = h_out·w_out and K = (c_in/groups)·KH·KW, where the im2col columns are read straight from the input.
 * Weights wei[c_out][c_in/groups][KH][KW].
 *
 * One work-item computes a TILE_OC x VEC register block: TILE_OC consecutive output channels of one group
 * times VEC consecutive outputs along x of one output row of one image. K is walked as (input channel, ky):
 * each kx tap vector feeds TILE_OC vector FMAs. A tap vector is an unaligned vector load when the row
 * span lies inside the image; at the image's left and right edges it is the same load running into the
 * neighbouring rows, and only where that load would leave the buffer (or for strides above 2) is it taken
 * from a private copy of the span. Edge lanes outside the row are skipped (the accumulator is kept), never
 * multiplied by a padded zero, so non-finite weights propagate as in the reference. The last block of a row is shifted back to end at the last
 * output (storing only the outputs its neighbour does not) unless the row is narrower than VEC; channels past
 * the group's end are computed on a clamped channel and not stored.
 * Grid: dim0 = ceil(w_out / VEC), dim1 = h_out, dim2 = n_batch · groups · ceil((c_out/groups) / TILE_OC);
 * padded to the local size.
 *
 * Required defines: KH, KW (kernel), SH, SW (stride), DH, DW (dilation), TILE_OC (output channels per
 *   work-item), VEC (outputs along x: 2, 4, 8 or 16), and HAS_BIAS, ACTIVATION
 *   (convcl_common.h).
 * Optional defines: none.
 * Arguments (shared by all conv2d kernels):
 *   src [n_batch][c_in][h_in][w_in], wei as above, bia [c_out] (read only when HAS_BIAS),
 *   dst [n_batch][c_out][h_out][w_out], then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out,
 *   groups, pad_top, pad_left (bottom/right padding is implied by h_out, w_out).
 */
#include "convcl_window.h"
#ifndef TILE_OC
#error "TILE_OC (output channels per work-item) must be defined"
#endif
#ifndef VEC
#error "VEC (outputs along x per work-item: 2, 4, 8 or 16) must be defined"
#endif
#include "convcl_vector.h"
#include "convcl_taps.h"

/* How one input row's taps are formed (see convcl_taps.h). */
#define IGEMM_INSIDE 0 /* read straight from the row, every lane inside it */
#define IGEMM_OVERREAD 1 /* read straight from the row, running into its neighbours; lanes outside masked */
#define IGEMM_SPAN 2 /* from a private copy of the row's span; lanes outside masked */

/* Adds the KW taps of one input row (starting at input x = ix0) times the weights w[i][wk + kx] to acc[i], the
 * taps formed as `how` says (a constant after inlining). */
__attribute__((always_inline)) inline void igemm_row(realv acc[TILE_OC], __global const real *w[TILE_OC], int wk,
                                                     __global const real *row, int ix0, int w_in, const int how) {
    real span[CONVCL_SPAN_ALLOC];
    if (how == IGEMM_SPAN) convcl_load_span(span, row, ix0, w_in, false);
#pragma unroll
    for (int kx = 0; kx < KW; kx++) {
        const realv x = how == IGEMM_SPAN ? convcl_taps(span, kx * DW) : convcl_taps_global(row, kx * DW);
        const intv valid = convcl_tap_valid(ix0 + kx * DW, w_in);
#pragma unroll
        for (int i = 0; i < TILE_OC; i++) {
            const real wt = w[i][wk + kx];
            acc[i] = how == IGEMM_INSIDE ? fma((realv)(wt), x, acc[i]) : convcl_fma_lanes(acc[i], wt, x, valid);
        }
    }
}

__kernel void conv2d_igemm(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT wei,
                           __global const real *CONVCL_RESTRICT bia, __global real *CONVCL_RESTRICT dst,
                           const int n_batch, const int c_in, const int h_in, const int w_in,
                           const int c_out, const int h_out, const int w_out,
                           const int groups, const int pad_top, const int pad_left CONVCL_RESIDUAL_ARG) {
    int ox0 = (int)get_global_id(0) * VEC;
    const int oy = (int)get_global_id(1);
    const int z = (int)get_global_id(2);
    const int in_per_group = c_in / groups;
    const int out_per_group = c_out / groups;
    const int blocks = (out_per_group + TILE_OC - 1) / TILE_OC;
    if (ox0 >= w_out || oy >= h_out || z >= n_batch * groups * blocks) return;
    const bool whole = w_out >= VEC;
    /* the row's last block, shifted back to end at the last output, stores only the lanes from `fresh` on */
    const int fresh = whole ? max(0, ox0 - (w_out - VEC)) : 0;
    if (whole) ox0 -= fresh;
    const convcl_group_block blk = convcl_decode_group_block(z, groups, blocks, TILE_OC);
    const int n = blk.n, g = blk.g, first = blk.first; /* first: first channel of this block within the group */

    const int iy0 = oy * SH - pad_top;
    const int ix0 = ox0 * SW - pad_left;
    const bool inside_x = ix0 >= 0 && ix0 + CONVCL_SPAN <= w_in;
    const long src_len = (long)n_batch * c_in * h_in * w_in;
    __global const real *in = src + (size_t)(n * c_in + g * in_per_group) * h_in * w_in;
    const int wstride = in_per_group * (KH * KW); /* weights per output channel */
    __global const real *w[TILE_OC];
#pragma unroll
    for (int i = 0; i < TILE_OC; i++) w[i] = wei + (size_t)(g * out_per_group + min(first + i, out_per_group - 1)) * wstride;

    realv acc[TILE_OC];
#pragma unroll
    for (int i = 0; i < TILE_OC; i++) acc[i] = (realv)(0);

    for (int ic = 0; ic < in_per_group; ic++) {
        __global const real *plane = in + (size_t)ic * h_in * w_in;
        const int wbase = ic * (KH * KW);
#pragma unroll
        for (int ky = 0; ky < KH; ky++) {
            const int iy = iy0 + ky * DH;
            if (iy < 0 || iy >= h_in) continue;
            __global const real *row = plane + iy * w_in + ix0;
            const int wk = wbase + ky * KW;
            if (inside_x) igemm_row(acc, w, wk, row, ix0, w_in, IGEMM_INSIDE);
            else if (convcl_maskable(row - src, src_len)) igemm_row(acc, w, wk, row, ix0, w_in, IGEMM_OVERREAD);
            else igemm_row(acc, w, wk, row, ix0, w_in, IGEMM_SPAN);
        }
    }

#pragma unroll
    for (int i = 0; i < TILE_OC; i++) {
        if (first + i >= out_per_group) continue; /* not break: a single-exit loop unrolls */
        const int o = g * out_per_group + first + i;
        const size_t out_at = ((size_t)(n * c_out + o) * h_out + oy) * w_out + ox0;
        __global real *out = dst + out_at;
        const realv v = convcl_epilogue_rv(acc[i], bia, o, CONVCL_RESIDUAL_V(out_at, 0, whole ? VEC : w_out - ox0));
        if (whole && fresh == 0) VSTORE(v, 0, out);
        else convcl_store_lanes(v, out, fresh, whole ? VEC : w_out - ox0);
    }
}
