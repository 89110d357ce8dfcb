/*
 * conv2d_dsblock_gpu.cl — the fused depthwise-separable block for GPUs: depthwise (γ = DEPTH_MULT, KH×KW, stride,
 * dilation, padding) + its folded bias/batch-norm + DW_ACTIVATION, then pointwise MID → c_out + its folded
 * bias/batch-norm + ACTIVATION, in one launch; the depthwise output never goes to global memory.
 *
 * One work-group of LOCAL_SIZE work-items computes a tile of TILE_PIX consecutive output pixels (flattened oy·w_out +
 * ox, one image) × OC_BLOCK consecutive output channels. It walks the MID intermediate channels MID_CHUNK at a time:
 *   1. the work-group computes the depthwise outputs of the chunk's channels for the tile's pixels into local memory
 *      (dw[MID_CHUNK][TILE_PIX]; neighbouring work-items take neighbouring pixels, so their input reads are
 *      neighbouring addresses, SW apart) and stages the chunk's pointwise weights (wt[MID_CHUNK][OC_BLOCK], read along
 *      the weight rows: neighbouring work-items, neighbouring addresses); taps outside the image are skipped (never
 *      read, never multiplied), pixels past the image and channels past c_out or MID are zeros; barrier;
 *   2. each work-item accumulates its register block of OC_PER_ITEM channels × PIX_PER_ITEM pixels from local memory
 *      (pixels PIX_THREADS apart, PIX_THREADS = TILE_PIX / PIX_PER_ITEM, so a row of work-items covers consecutive
 *      pixels); barrier before the next chunk overwrites the tiles.
 * Then bias, ACTIVATION and one store per output, consecutive work-items writing consecutive pixels. Every barrier is
 * reached by every work-item (the tile's tail is guarded at each load and store, never by returning early).
 * Grid: dim0 = ceil(h_out·w_out / TILE_PIX)·LOCAL_SIZE, dim1 = ceil(c_out / OC_BLOCK), dim2 = n_batch; local size
 *   (LOCAL_SIZE, 1, 1).
 *
 * Required defines: KH, KW, SH, SW, DH, DW (convcl_window.h), DEPTH_MULT (γ), MID (intermediate channels, c_in·γ),
 *   DW_ACTIVATION (0 none, 1 ReLU, 2 ReLU6 after the depthwise bias), TILE_PIX (pixels per work-group), OC_BLOCK
 *   (output channels per work-group), MID_CHUNK (intermediate channels per local tile), OC_PER_ITEM and PIX_PER_ITEM
 *   (a work-item's register block), LOCAL_SIZE (= OC_BLOCK / OC_PER_ITEM · TILE_PIX / PIX_PER_ITEM), and HAS_BIAS,
 *   ACTIVATION (convcl_common.h, pointwise step).
 * Optional defines: none.
 * Arguments:
 *   src [n_batch][c_in][h_in][w_in], dw_wei [MID][KH][KW], dw_bia [MID] (always read: zeros when the depthwise step
 *   has no bias), pw_wei [c_out][MID], pw_bia [c_out] (read only when HAS_BIAS), dst [n_batch][c_out][h_out][w_out],
 *   then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out, pad_top, pad_left (bottom/right padding is implied by
 *   h_out, w_out).
 */
#include "convcl_window.h"
#ifndef DEPTH_MULT
#error "DEPTH_MULT (depth multiplier of the depthwise step) must be defined"
#endif
#ifndef MID
#error "MID (intermediate channels, c_in·γ) must be defined"
#endif
#ifndef DW_ACTIVATION
#error "DW_ACTIVATION must be defined: 0 (none), 1 (relu) or 2 (relu6)"
#endif
#if !CONVCL_ACT_VALID(DW_ACTIVATION)
#error "DW_ACTIVATION must be 0 (none), 1 (relu), 2 (relu6) or 3 (hardswish)"
#endif
#if !defined(TILE_PIX) || !defined(OC_BLOCK) || !defined(MID_CHUNK)
#error "TILE_PIX, OC_BLOCK and MID_CHUNK (the work-group's tile) must be defined"
#endif
#if !defined(OC_PER_ITEM) || !defined(PIX_PER_ITEM) || !defined(LOCAL_SIZE)
#error "OC_PER_ITEM, PIX_PER_ITEM (a work-item's register block) and LOCAL_SIZE must be defined"
#endif
#if OC_BLOCK % OC_PER_ITEM != 0 || TILE_PIX % PIX_PER_ITEM != 0
#error "OC_BLOCK must be a multiple of OC_PER_ITEM and TILE_PIX a multiple of PIX_PER_ITEM"
#endif
#define PIX_THREADS (TILE_PIX / PIX_PER_ITEM)
#if LOCAL_SIZE != (OC_BLOCK / OC_PER_ITEM) * PIX_THREADS
#error "LOCAL_SIZE must be (OC_BLOCK / OC_PER_ITEM) * (TILE_PIX / PIX_PER_ITEM)"
#endif

/* The depthwise output (bias and DW_ACTIVATION applied) of intermediate channel c at output pixel (oy, ox) of image n;
 * taps in the padding are skipped, so an infinite weight next to the padding stays finite, as in the reference. */
inline real dw_output(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT dw_wei, real bias,
                      int n, int c, int c_in, int h_in, int w_in, int oy, int ox, int pad_top, int pad_left) {
    __global const real *plane = src + ((long)n * c_in + c / DEPTH_MULT) * h_in * w_in;
    __global const real *w = dw_wei + c * (KH * KW);
    const int iy0 = oy * SH - pad_top, ix0 = ox * SW - pad_left;
    real acc = (real)(0);
#pragma unroll
    for (int ky = 0; ky < KH; ky++) {
        const int iy = iy0 + ky * DH;
        if (iy < 0 || iy >= h_in) continue;
#pragma unroll
        for (int kx = 0; kx < KW; kx++) {
            const int ix = ix0 + kx * DW;
            if (ix >= 0 && ix < w_in) acc = fma(w[ky * KW + kx], plane[iy * w_in + ix], acc);
        }
    }
    return convcl_activate(acc + bias, DW_ACTIVATION);
}

__kernel __attribute__((reqd_work_group_size(LOCAL_SIZE, 1, 1)))
void conv2d_dsblock_gpu(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT dw_wei,
                        __global const real *CONVCL_RESTRICT dw_bia, __global const real *CONVCL_RESTRICT pw_wei,
                        __global const real *CONVCL_RESTRICT pw_bia, __global real *CONVCL_RESTRICT dst,
                        const int n_batch, const int c_in, const int h_in, const int w_in,
                        const int c_out, const int h_out, const int w_out, const int pad_top, const int pad_left) {
    __local real dw[MID_CHUNK * TILE_PIX];
    __local real wt[MID_CHUNK * OC_BLOCK];
    const int lid = (int)get_local_id(0);
    const int pixels = h_out * w_out;
    const int p0 = (int)get_group_id(0) * TILE_PIX;
    const int o0 = (int)get_group_id(1) * OC_BLOCK;
    const int n = (int)get_global_id(2);
    const bool image = n < n_batch; /* uniform across the work-group */
    const int ty = lid / PIX_THREADS;
    const int tx = lid - ty * PIX_THREADS; /* not lid % PIX_THREADS: LLVM's freeze for a div/rem pair stops Oclgrind */

    real acc[OC_PER_ITEM][PIX_PER_ITEM];
#pragma unroll
    for (int i = 0; i < OC_PER_ITEM; i++)
#pragma unroll
        for (int j = 0; j < PIX_PER_ITEM; j++) acc[i][j] = (real)(0);

    for (int c0 = 0; c0 < MID; c0 += MID_CHUNK) {
        /* 1. the chunk's depthwise tile and pointwise weights into local memory */
        for (int e = lid; e < MID_CHUNK * TILE_PIX; e += LOCAL_SIZE) {
            const int k = e / TILE_PIX;
            const int p = p0 + (e - k * TILE_PIX);
            const int c = c0 + k;
            real v = (real)(0);
            if (image && c < MID && p < pixels) {
                const int oy = p / w_out;
                v = dw_output(src, dw_wei, dw_bia[c], n, c, c_in, h_in, w_in, oy, p - oy * w_out, pad_top, pad_left);
            }
            dw[e] = v;
        }
        for (int e = lid; e < MID_CHUNK * OC_BLOCK; e += LOCAL_SIZE) {
            const int o = e / MID_CHUNK;
            const int k = e - o * MID_CHUNK;
            wt[k * OC_BLOCK + o] = o0 + o < c_out && c0 + k < MID ? pw_wei[(long)(o0 + o) * MID + c0 + k] : (real)(0);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        /* 2. the register block's share of the chunk's GEMM */
        for (int k = 0; k < MID_CHUNK; k++) {
            real x[PIX_PER_ITEM];
#pragma unroll
            for (int j = 0; j < PIX_PER_ITEM; j++) x[j] = dw[k * TILE_PIX + tx + j * PIX_THREADS];
#pragma unroll
            for (int i = 0; i < OC_PER_ITEM; i++) {
                const real w = wt[k * OC_BLOCK + ty * OC_PER_ITEM + i];
#pragma unroll
                for (int j = 0; j < PIX_PER_ITEM; j++) acc[i][j] = fma(w, x[j], acc[i][j]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    if (!image) return;
#pragma unroll
    for (int i = 0; i < OC_PER_ITEM; i++) {
        const int o = o0 + ty * OC_PER_ITEM + i;
        if (o >= c_out) continue;
        __global real *out = dst + ((long)n * c_out + o) * pixels;
#pragma unroll
        for (int j = 0; j < PIX_PER_ITEM; j++) {
            const int p = p0 + tx + j * PIX_THREADS;
            if (p < pixels) out[p] = convcl_epilogue(acc[i][j], pw_bia, o);
        }
    }
}
