/*
 * conv2d_bwd_filter_pointwise.cl — the weight gradient of a pointwise convolution (1×1, stride 1, no padding, groups 1),
 * a GEMM whose depth is the batch's pixels:
 *   dw[o][i] = Σ_n Σ_p dz[n][o][p] · x[n][i][p]
 * The depth k = n·pixels + p is cut into chunks of `chunk` consecutive k (the last one shorter); each chunk is reduced
 * on its own and the chunks are added in chunk order, so the result is the same bits on every run.
 *
 * conv2d_bwd_filter_pointwise: one work-item computes TILE_OC output × TILE_IC input channels of one chunk, a
 *   register-blocked dot-product GEMM: each step loads VEC consecutive pixels of TILE_OC dz rows and TILE_IC input rows
 *   (whole-vector loads) and does TILE_OC·TILE_IC vector FMAs into realv accumulators, whose lanes are summed in lane
 *   order at the end. The last step of an image's range re-reads the range's last VEC pixels with the lanes already
 *   summed set to 0 in both operands (lane by lane when the range is shorter than VEC). Channels past the end read a
 *   clamped channel and are not stored. Writes chunk c's sums to dst + c·c_out·c_in (dw itself when there is one chunk).
 *   Grid: dim0 = ceil(c_in / TILE_IC), dim1 = ceil(c_out / TILE_OC), dim2 = chunks.
 * conv2d_bwd_filter_chunks: one work-item adds the `chunks` partial sums of REDUCE_VEC consecutive elements of dw in
 *   chunk order. Grid: dim0 = ceil(c_out·c_in / REDUCE_VEC).
 * Grids are padded to the local size (the tail returns).
 *
 * Required defines: TILE_OC, TILE_IC (channels per work-item), VEC (pixels per step: 2, 4, 8 or 16; convcl_vector.h);
 *   HAS_BIAS 0 and ACTIVATION 0 (convcl_common.h; unused).
 * Arguments: conv2d_bwd_filter_pointwise: src = x [n_batch][c_in][pixels], grad = dz [n_batch][c_out][pixels],
 *   dst = dw [c_out][c_in] or the partial sums [chunks][c_out][c_in], then int n_batch, c_in, c_out, pixels, chunk,
 *   accumulate (1: dst += sum, 0: dst = sum).
 *   conv2d_bwd_filter_chunks: part = the partial sums [chunks][count], dst = dw [count], then int chunks, count,
 *   accumulate.
 */
#include "convcl_bwd.h"
#if !defined(TILE_OC) || !defined(TILE_IC)
#error "TILE_OC and TILE_IC (channels per work-item) must be defined"
#endif
#ifndef VEC
#error "VEC (pixels per step: 2, 4, 8 or 16) must be defined"
#endif
#include "convcl_vector.h"

/* Elements of dw per work-item of conv2d_bwd_filter_chunks. */
#define REDUCE_VEC 16

/* The pixels p … p1 − 1 (fewer than VEC) of a row at the lanes they take in the range's last whole step: when the
 * range [p0, p1) holds VEC pixels, the vector at p1 − VEC with the lanes before p (already summed) set to 0; else
 * lane by lane from p, the lanes past p1 set to 0. */
inline realv convcl_bwd_tail(__global const real *row, const int p0, const int p, const int p1) {
    if (p1 - p0 >= VEC) {
        const int q = p1 - VEC;
        return select((realv)(0), convcl_load_global(row + q), CONVCL_IOTA >= (intv)(p - q));
    }
    real lanes[VEC];
    for (int v = 0; v < VEC; v++) lanes[v] = p + v < p1 ? row[p + v] : (real)(0);
    return VLOAD(0, lanes);
}

/* VEC elements of a row of `end` from `first`: one vector load when they lie inside, else lane by lane with the lanes
 * at or past `end` set to 0. */
inline realv convcl_bwd_row_part(__global const real *row, const int first, const int end) {
    if (first + VEC <= end) return convcl_load_global(row + first);
    real lanes[VEC];
    for (int v = 0; v < VEC; v++) lanes[v] = first + v < end ? row[first + v] : (real)(0);
    return VLOAD(0, lanes);
}

__kernel void conv2d_bwd_filter_pointwise(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT grad,
                                          __global real *CONVCL_RESTRICT dst,
                                          const int n_batch, const int c_in, const int c_out, const int pixels,
                                          const int chunk, const int accumulate) {
    const int fi = (int)get_global_id(0) * TILE_IC;
    const int fo = (int)get_global_id(1) * TILE_OC;
    const int c = (int)get_global_id(2);
    const int k0 = c * chunk, k1 = min(k0 + chunk, n_batch * pixels);
    if (fi >= c_in || fo >= c_out || k0 >= k1) return;

    realv acc[TILE_OC][TILE_IC];
#pragma unroll
    for (int a = 0; a < TILE_OC; a++)
#pragma unroll
        for (int b = 0; b < TILE_IC; b++) acc[a][b] = (realv)(0);

    for (int n = k0 / pixels; n * pixels < k1; n++) {
        const int p0 = max(k0 - n * pixels, 0), p1 = min(k1 - n * pixels, pixels);
        __global const real *drow[TILE_OC];
        __global const real *xrow[TILE_IC];
#pragma unroll
        for (int a = 0; a < TILE_OC; a++) drow[a] = grad + (n * c_out + min(fo + a, c_out - 1)) * pixels;
#pragma unroll
        for (int b = 0; b < TILE_IC; b++) xrow[b] = src + (n * c_in + min(fi + b, c_in - 1)) * pixels;
        int p = p0;
        for (; p + VEC <= p1; p += VEC) {
            realv d[TILE_OC], xv[TILE_IC];
#pragma unroll
            for (int a = 0; a < TILE_OC; a++) d[a] = convcl_load_global(drow[a] + p);
#pragma unroll
            for (int b = 0; b < TILE_IC; b++) xv[b] = convcl_load_global(xrow[b] + p);
#pragma unroll
            for (int a = 0; a < TILE_OC; a++)
#pragma unroll
                for (int b = 0; b < TILE_IC; b++) acc[a][b] = fma(d[a], xv[b], acc[a][b]);
        }
        if (p < p1) {
            realv d[TILE_OC], xv[TILE_IC];
#pragma unroll
            for (int a = 0; a < TILE_OC; a++) d[a] = convcl_bwd_tail(drow[a], p0, p, p1);
#pragma unroll
            for (int b = 0; b < TILE_IC; b++) xv[b] = convcl_bwd_tail(xrow[b], p0, p, p1);
#pragma unroll
            for (int a = 0; a < TILE_OC; a++)
#pragma unroll
                for (int b = 0; b < TILE_IC; b++) acc[a][b] = fma(d[a], xv[b], acc[a][b]);
        }
    }

    __global real *out = dst + (size_t)c * c_out * c_in;
    for (int a = 0; a < TILE_OC; a++) {
        for (int b = 0; b < TILE_IC; b++) {
            if (fo + a < c_out && fi + b < c_in) {
                real lanes[VEC];
                VSTORE(acc[a][b], 0, lanes);
                real sum = (real)(0);
                for (int v = 0; v < VEC; v++) sum += lanes[v];
                convcl_bwd_store(out, (fo + a) * c_in + fi + b, sum, accumulate);
            }
        }
    }
}

__kernel void conv2d_bwd_filter_pointwise_flat(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT grad,
                                               __global real *CONVCL_RESTRICT dst,
                                               const int n_batch, const int c_in, const int c_out, const int accumulate) {
    const int fi = (int)get_global_id(0) * TILE_IC * VEC;
    const int fo = (int)get_global_id(1) * TILE_OC;
    if (fi >= c_in || fo >= c_out) return;

    realv acc[TILE_OC][TILE_IC];
#pragma unroll
    for (int a = 0; a < TILE_OC; a++)
#pragma unroll
        for (int b = 0; b < TILE_IC; b++) acc[a][b] = (realv)(0);
    for (int n = 0; n < n_batch; n++) {
        realv xv[TILE_IC];
#pragma unroll
        for (int b = 0; b < TILE_IC; b++) xv[b] = convcl_bwd_row_part(src + n * c_in, fi + b * VEC, c_in);
#pragma unroll
        for (int a = 0; a < TILE_OC; a++) {
            const realv d = (realv)(grad[n * c_out + min(fo + a, c_out - 1)]);
#pragma unroll
            for (int b = 0; b < TILE_IC; b++) acc[a][b] = fma(d, xv[b], acc[a][b]);
        }
    }

    for (int a = 0; a < TILE_OC; a++) {
        if (fo + a < c_out) {
            for (int b = 0; b < TILE_IC; b++) {
                __global real *out = dst + (fo + a) * c_in;
                const int first = fi + b * VEC;
                if (first + VEC <= c_in) {
                    convcl_store_global(out + first, accumulate ? convcl_load_global(out + first) + acc[a][b] : acc[a][b]);
                } else if (first < c_in) {
                    real lanes[VEC];
                    VSTORE(acc[a][b], 0, lanes);
                    for (int v = 0; v < c_in - first; v++) convcl_bwd_store(out, first + v, lanes[v], accumulate);
                }
            }
        }
    }
}

__kernel void conv2d_bwd_filter_chunks(__global const real *CONVCL_RESTRICT part, __global real *CONVCL_RESTRICT dst,
                                       const int chunks, const int count, const int accumulate) {
    const int first = (int)get_global_id(0) * REDUCE_VEC;
    for (int i = first; i < min(first + REDUCE_VEC, count); i++) {
        real sum = part[i];
        for (int c = 1; c < chunks; c++) sum += part[(size_t)c * count + i];
        convcl_bwd_store(dst, i, sum, accumulate);
    }
}
