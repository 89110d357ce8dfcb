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
 * output (rewriting a few outputs with identical values) unless the row is narrower than VEC; channels past
 * the group's end are computed on a clamped channel and not stored.
 * Grid: dim0 = ceil(w_out / VEC), dim1 = h_out, dim2 = n_batch · groups · ceil((c_out/groups) / TILE_OC);
 * padded to the local size.
 *
 * Required defines: KH, KW (kernel), SH, SW (stride), DH, DW (dilation), TILE_OC (output channels per
 *   work-item), VEC (outputs along x: 2, 4, 8 or 16; at most 8 when SW == 2), and HAS_BIAS, ACTIVATION
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

/* One kx tap: the VEC inputs it reads times each of the TILE_OC weights. */
#define IGEMM_TAP(taps_expr)                                                                          \
    do {                                                                                              \
        const VFLOAT x = (taps_expr);                                                                 \
        _Pragma("unroll") for (int i = 0; i < TILE_OC; i++)                                          \
            acc[i] = fma((VFLOAT)(w[i][wbase + ky * KW + kx]), x, acc[i]);                            \
    } while (0)
/* The same for a tap crossing the image's edge: lanes outside the row keep their accumulator. */
#define IGEMM_TAP_MASKED(taps_expr)                                                                   \
    do {                                                                                              \
        const VFLOAT x = (taps_expr);                                                                 \
        const VINT valid = convcl_tap_valid(ix0 + kx * DW, w_in);                                     \
        _Pragma("unroll") for (int i = 0; i < TILE_OC; i++)                                          \
            acc[i] = select(acc[i], fma((VFLOAT)(w[i][wbase + ky * KW + kx]), x, acc[i]), valid);     \
    } while (0)

__kernel void conv2d_igemm(__global const float *restrict src, __global const float *restrict wei,
                           __global const float *restrict bia, __global float *restrict dst,
                           const int n_batch, const int c_in, const int h_in, const int w_in,
                           const int c_out, const int h_out, const int w_out,
                           const int groups, const int pad_top, const int pad_left) {
    int ox0 = (int)get_global_id(0) * VEC;
    const int oy = (int)get_global_id(1);
    const int z = (int)get_global_id(2);
    const int in_per_group = c_in / groups;
    const int out_per_group = c_out / groups;
    const int blocks = (out_per_group + TILE_OC - 1) / TILE_OC;
    if (ox0 >= w_out || oy >= h_out || z >= n_batch * groups * blocks) return;
    const bool whole = w_out >= VEC;
    if (whole) ox0 = min(ox0, w_out - VEC);
    const convcl_group_block blk = convcl_decode_group_block(z, groups, blocks, TILE_OC);
    const int n = blk.n, g = blk.g, first = blk.first; /* first: first channel of this block within the group */

    const int iy0 = oy * SH - pad_top;
    const int ix0 = ox0 * SW - pad_left;
    const bool inside_x = ix0 >= 0 && ix0 + CONVCL_SPAN <= w_in;
    const long src_len = (long)n_batch * c_in * h_in * w_in;
    __global const float *in = src + (size_t)(n * c_in + g * in_per_group) * h_in * w_in;
    const int wstride = in_per_group * (KH * KW); /* weights per output channel */
    __global const float *w[TILE_OC];
#pragma unroll
    for (int i = 0; i < TILE_OC; i++) w[i] = wei + (size_t)(g * out_per_group + min(first + i, out_per_group - 1)) * wstride;

    VFLOAT acc[TILE_OC];
#pragma unroll
    for (int i = 0; i < TILE_OC; i++) acc[i] = (VFLOAT)(0.0f);

    for (int ic = 0; ic < in_per_group; ic++) {
        __global const float *plane = in + (size_t)ic * h_in * w_in;
        const int wbase = ic * (KH * KW);
#pragma unroll
        for (int ky = 0; ky < KH; ky++) {
            const int iy = iy0 + ky * DH;
            if (iy < 0 || iy >= h_in) continue;
            __global const float *row = plane + iy * w_in + ix0;
            if (inside_x) {
#pragma unroll
                for (int kx = 0; kx < KW; kx++) IGEMM_TAP(convcl_taps_global(row, kx * DW));
            } else if (convcl_maskable(row - src, src_len)) {
#pragma unroll
                for (int kx = 0; kx < KW; kx++) IGEMM_TAP_MASKED(convcl_taps_global(row, kx * DW));
            } else {
                float span[CONVCL_SPAN_ALLOC];
                convcl_load_span(span, row, ix0, w_in, false);
#pragma unroll
                for (int kx = 0; kx < KW; kx++) IGEMM_TAP_MASKED(convcl_taps(span, kx * DW));
            }
        }
    }

#pragma unroll
    for (int i = 0; i < TILE_OC; i++) {
        if (first + i >= out_per_group) break;
        const int o = g * out_per_group + first + i;
        __global float *out = dst + ((size_t)(n * c_out + o) * h_out + oy) * w_out + ox0;
        const VFLOAT v = convcl_epilogue_v(acc[i], bia, o);
        if (whole) {
            VSTORE(v, 0, out);
        } else {
            float vs[VEC];
            VSTORE(v, 0, vs);
            for (int j = 0; j < w_out - ox0; j++) out[j] = vs[j];
        }
    }
}
