/*
 * conv2d_pointwise.cl — 1x1 convolution (stride 1, no padding, groups 1) as a register-blocked GEMM per
 * image: out[n] = W · X[n] with W [c_out][c_in] (M = c_out, K = c_in) and X[n] [c_in][h·w] (N = h·w).
 *
 * One work-item computes a TILE_OC x VEC block: TILE_OC consecutive output channels times VEC consecutive
 * pixels (flattened y·w + x) of one image, kept in TILE_OC vector registers. K is walked KSTEP channels at a
 * time: each step loads KSTEP input vectors, then does TILE_OC·KSTEP vector FMAs, each with one scalar
 * weight broadcast straight from memory (an FMA memory operand on AVX-512, a load port rather than a
 * shuffle: extracting the lanes of a loaded weight vector instead competes with the FMAs for their port and
 * measured 15-20% slower on PoCL). Every block uses vector loads and stores: the image's last, partial block is
 * shifted back to end at the last pixel (and stores only the outputs its neighbour does not);
 * images smaller than VEC pixels take a guarded path whose lanes run over the columns of the GEMM over
 * the whole batch (image, pixel), so a 1x1 layer such as a classifier multiplies W by all its images at
 * once and reads W once, not once per image (not with WEI_BATCH, whose images have weights of their own). Output channels past c_out are
 * computed on a clamped row and not stored. The epilogue (bias, residual, activation) is applied before the store.
 * Grid: dim0 = ceil(h·w / VEC), dim1 = ceil(c_out / TILE_OC), dim2 = n_batch; padded to the local size. For
 * images smaller than VEC pixels without WEI_BATCH: dim0 = ceil(n_batch·h·w / VEC), dim2 = 1 (Plan.globalSize).
 *
 * Required defines: TILE_OC (output channels per work-item), VEC (pixels per work-item: 2, 4, 8 or 16),
 *   and HAS_BIAS, ACTIVATION (convcl_common.h).
 * Optional defines: KSTEP (input channels per step: 1, 2, 4, 8 or 16), default 4; WEI_BATCH (batched GEMM with
 *   cycling weights: image n multiplies weight matrix n % WEI_BATCH of wei [WEI_BATCH][c_out][c_in]; the
 *   Winograd layers use 16), absent by default (one weight matrix for every image).
 * Arguments (shared by all conv2d kernels):
 *   src [n_batch][c_in][h_in][w_in], wei [c_out][c_in], bia [c_out] (read only when HAS_BIAS),
 *   dst [n_batch][c_out][h_out][w_out], then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out,
 *   groups, pad_top, pad_left (here h_out == h_in, w_out == w_in; groups and pads are unused).
 */
#ifndef TILE_OC
#error "TILE_OC must be defined (output channels per work-item)"
#endif
#ifndef VEC
#error "VEC must be defined (pixels per work-item: 2, 4, 8 or 16)"
#endif
#ifndef KSTEP
#define KSTEP 4
#endif
#include "convcl_vector.h"
__kernel void conv2d_pointwise(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT wei,
                               __global const real *CONVCL_RESTRICT bia, __global real *CONVCL_RESTRICT dst,
                               const int n_batch, const int c_in, const int h_in, const int w_in,
                               const int c_out, const int h_out, const int w_out,
                               const int groups, const int pad_top, const int pad_left CONVCL_RESIDUAL_ARG) {
    const int pixels = h_in * w_in;
    int p0 = (int)get_global_id(0) * VEC;
    const int o0 = (int)get_global_id(1) * TILE_OC;
    const int n = (int)get_global_id(2);
    const bool whole = pixels >= VEC;
#ifdef WEI_BATCH
    const int columns = pixels; /* each image has weights of its own: a work-item stays in one image */
#else
    const int columns = whole ? pixels : n_batch * pixels; /* small images: lanes run across the batch */
#endif
    if (p0 >= columns || o0 >= c_out || n >= n_batch) return;
    /* the image's last block, shifted back to end at the last pixel, stores only the lanes from `fresh` on */
    const int fresh = whole ? max(0, p0 - (pixels - VEC)) : 0;
    if (whole) p0 -= fresh;
#ifdef WEI_BATCH
    wei += (size_t)(n % WEI_BATCH) * c_out * c_in;
#endif

    __global const real *in = src + (size_t)n * c_in * pixels + (whole ? p0 : 0);
    __global const real *w[TILE_OC];
#pragma unroll
    for (int i = 0; i < TILE_OC; i++) w[i] = wei + (size_t)min(o0 + i, c_out - 1) * c_in;

    realv acc[TILE_OC];
#pragma unroll
    for (int i = 0; i < TILE_OC; i++) acc[i] = (realv)(0);

    const int k_main = c_in - c_in % KSTEP;
    int img[VEC], pix[VEC]; /* image and pixel of each lane (set and used only when !whole) */
    if (whole) {
        for (int c = 0; c < k_main; c += KSTEP) {
            realv x[KSTEP];
#pragma unroll
            for (int k = 0; k < KSTEP; k++) x[k] = VLOAD(0, in + (size_t)(c + k) * pixels);
#pragma unroll
            for (int i = 0; i < TILE_OC; i++) {
#pragma unroll
                for (int k = 0; k < KSTEP; k++) acc[i] = fma((realv)(w[i][c + k]), x[k], acc[i]);
            }
        }
        for (int c = k_main; c < c_in; c++) {
            const realv x = VLOAD(0, in + (size_t)c * pixels);
#pragma unroll
            for (int i = 0; i < TILE_OC; i++) acc[i] = fma((realv)(w[i][c]), x, acc[i]);
        }
    } else {
        /* images smaller than one vector: lane j is column p0 + j (clamped to the last) of the GEMM over the
         * batch, image q / pixels, pixel q % pixels, loaded one by one */
#pragma unroll
        for (int j = 0; j < VEC; j++) {
            const int q = min(p0 + j, columns - 1);
            img[j] = q / pixels;
            pix[j] = q - img[j] * pixels; /* not q % pixels: LLVM's freeze for a div/rem pair stops Oclgrind */
        }
        for (int c = 0; c < c_in; c++) {
            real xs[VEC];
#pragma unroll
            for (int j = 0; j < VEC; j++) xs[j] = in[((size_t)img[j] * c_in + c) * pixels + pix[j]];
            const realv x = VLOAD(0, xs);
#pragma unroll
            for (int i = 0; i < TILE_OC; i++) acc[i] = fma((realv)(w[i][c]), x, acc[i]);
        }
    }

    const size_t out_at = (size_t)n * c_out * pixels + (whole ? p0 : 0);
    __global real *out = dst + out_at;
#pragma unroll
    for (int i = 0; i < TILE_OC; i++) {
        const int o = o0 + i;
        if (o >= c_out) break;
        realv r = CONVCL_RESIDUAL_V(out_at + (size_t)o * pixels, 0, VEC); /* whole: the shifted block is inside the image */
#if HAS_RESIDUAL
        if (!whole) {
            real rs[VEC]; /* lanes past the last column repeat it (clamped), so every read is inside */
#pragma unroll
            for (int j = 0; j < VEC; j++) rs[j] = res[((size_t)img[j] * c_out + o) * pixels + pix[j]];
            r = VLOAD(0, rs);
        }
#endif
        const realv v = convcl_epilogue_rv(acc[i], bia, o, r);
        if (whole && fresh == 0) {
            VSTORE(v, 0, out + (size_t)o * pixels);
        } else if (whole) {
            convcl_store_lanes(v, out + (size_t)o * pixels, fresh, VEC);
        } else {
            real vs[VEC];
            VSTORE(v, 0, vs);
            for (int j = 0; j < min(VEC, columns - p0); j++) out[((size_t)img[j] * c_out + o) * pixels + pix[j]] = vs[j];
        }
    }
}
