/*
 * conv2d_igemm_gpu.cl — implicit-GEMM convolution for GPUs, for full and grouped specs, any stride, dilation and
 * (asymmetric) padding: per group g, out = W_g · im2col(X_g) with M = c_out/groups (output channels),
 * N = n_batch·h_out·w_out (output pixels of every image) and K = (c_in/groups)·KH·KW, the im2col matrix gathered
 * from the input as it is staged (no buffer). Weights wei[c_out][c_in/groups][KH][KW], i.e. W_g is row-major M × K.
 *
 * A work-group of WG_N × WG_M work-items (WG_N = TN/RN, WG_M = TM/RM) computes a TM × TN output tile of one group:
 * TM output channels × TN consecutive output pixels. It walks K in slices of TK: its work-items stage the TM × TK
 * weight slice (read along K, coalesced) and the TK × TN input slice (consecutive work-items on consecutive
 * pixels, coalesced; taps outside the image and past K are written as zeros, never read) in local memory, then,
 * after a barrier, each work-item adds the slice's products to its register block of RM output channels (strided
 * by WG_M) × RN pixels (strided by WG_N, so neighbouring work-items store neighbouring outputs); a second barrier
 * ends the slice. Every work-item reaches every barrier (the slice count is uniform). Padding is skipped, not
 * multiplied: a padded zero times a finite weight adds exactly zero, and once a staged weight slice holds a
 * non-finite value (a flag in local memory, set atomically while staging) the work-group's remaining slices mask
 * the padded taps instead, so an infinite weight never meets a padded zero. Channels and pixels past the tile's
 * ends are computed on zeros and not stored.
 * Grid: dim0 = ceil(N / TN)·WG_N, dim1 = ceil(M / TM)·WG_M, dim2 = groups (multiples of the local size, which must
 * be exactly WG_N × WG_M × 1: reqd_work_group_size).
 * Local memory: TK·(TM + 1) + TK·TN reals and one int.
 * Remainders are written x − (x / y)·y: a % beside a / of the same operands becomes a `freeze` instruction,
 * which Oclgrind's uninitialised-value check cannot run.
 *
 * Required defines: KH, KW (kernel), SH, SW (stride), DH, DW (dilation), TM, TN, TK (tile: output channels,
 *   pixels, K slice), RM, RN (register block: output channels, pixels; TM % RM == 0, TN % RN == 0, and
 *   WG_N·WG_M a multiple of TN), and HAS_BIAS, ACTIVATION (convcl_common.h).
 * Optional defines: none.
 * Arguments (shared by all conv2d kernels):
 *   src [n_batch][c_in][h_in][w_in], wei as above, bia [c_out] (read only when HAS_BIAS),
 *   dst [n_batch][c_out][h_out][w_out], then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out,
 *   groups, pad_top, pad_left (bottom/right padding is implied by h_out, w_out).
 */
#include "convcl_window.h"
#if !defined(TM) || !defined(TN) || !defined(TK)
#error "TM, TN and TK (tile: output channels, output pixels, K slice) must be defined"
#endif
#if !defined(RM) || !defined(RN)
#error "RM and RN (register block: output channels, output pixels per work-item) must be defined"
#endif
#if TM % RM != 0 || TN % RN != 0
#error "RM must divide TM and RN must divide TN"
#endif

#define WG_M (TM / RM)
#define WG_N (TN / RN)
#define WG_ITEMS (WG_M * WG_N)
#if WG_ITEMS % TN != 0
#error "the work-group (TM/RM)·(TN/RN) must be a multiple of TN (each work-item stages one pixel column)"
#endif
/* weight-slice row pitch: one more than TM, so a staging step's consecutive K indices fall in distinct banks */
#define A_PITCH (TM + 1)
#define TAPS (KH * KW)

/* Adds the products of one staged K slice (rows k0 … k0 + TK − 1) to acc. `masked` (a constant after inlining):
 * skip the products whose tap (k, pixel j) lies outside the image or past K (pixel j: first input row iy0[j],
 * column ix0[j]; pixel_ok[j]: inside the output). */
__attribute__((always_inline)) inline void igemm_gpu_slice(real acc[RM][RN], __local const real *a_tile,
                                                           __local const real *b_tile, int tx, int ty, int k0, int k_len,
                                                           const int iy0[RN], const int ix0[RN], const bool pixel_ok[RN],
                                                           int h_in, int w_in, const bool masked) {
#pragma unroll 4
    for (int kk = 0; kk < TK; kk++) {
        real a[RM], b[RN];
        bool ok[RN];
#pragma unroll
        for (int i = 0; i < RM; i++) a[i] = a_tile[kk * A_PITCH + ty + i * WG_M];
#pragma unroll
        for (int j = 0; j < RN; j++) b[j] = b_tile[kk * TN + tx + j * WG_N];
        if (masked) {
            const int k = k0 + kk;
            const int tap = k - (k / TAPS) * TAPS;
            const int ky = tap / KW, kx = tap - (tap / KW) * KW;
#pragma unroll
            for (int j = 0; j < RN; j++) {
                const int iy = iy0[j] + ky * DH, ix = ix0[j] + kx * DW;
                ok[j] = k < k_len && pixel_ok[j] && iy >= 0 && iy < h_in && ix >= 0 && ix < w_in;
            }
        }
#pragma unroll
        for (int i = 0; i < RM; i++) {
#pragma unroll
            for (int j = 0; j < RN; j++) {
                if (!masked || ok[j]) acc[i][j] = fma(a[i], b[j], acc[i][j]);
            }
        }
    }
}

__kernel __attribute__((reqd_work_group_size(WG_N, WG_M, 1)))
void conv2d_igemm_gpu(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT wei,
                      __global const real *CONVCL_RESTRICT bia, __global real *CONVCL_RESTRICT dst,
                      const int n_batch, const int c_in, const int h_in, const int w_in,
                      const int c_out, const int h_out, const int w_out,
                      const int groups, const int pad_top, const int pad_left CONVCL_RESIDUAL_ARG) {
    __local real a_tile[TK * A_PITCH];
    __local real b_tile[TK * TN];
    __local int nonfinite;
    const int tx = (int)get_local_id(0), ty = (int)get_local_id(1);
    const int lid = tx + WG_N * ty;
    const int g = (int)get_group_id(2);
    const int n0 = (int)get_group_id(0) * TN, m0 = (int)get_group_id(1) * TM;
    const int in_per_group = c_in / groups, out_per_group = c_out / groups;
    const int k_len = in_per_group * TAPS;
    const int hw_out = h_out * w_out;
    const int pixels = n_batch * hw_out;
    const size_t plane = (size_t)h_in * w_in;

    /* the pixel column this work-item stages: its image's group planes and its window's first input row and column */
    const int kr0 = lid / TN; /* the first K row it stages; the column is the rest (no % beside a /: see the header) */
    const int col = lid - kr0 * TN;
    const int p = n0 + col;
    const bool p_ok = p < pixels;
    const int p_img = p_ok ? p / hw_out : 0;
    const int p_pix = p_ok ? p - p_img * hw_out : 0;
    const int p_oy = p_pix / w_out;
    const int p_iy0 = p_oy * SH - pad_top, p_ix0 = (p_pix - p_oy * w_out) * SW - pad_left;
    __global const real *p_src = src + ((size_t)p_img * c_in + (size_t)g * in_per_group) * plane;
    __global const real *w_group = wei + (size_t)g * out_per_group * k_len;

    /* the RN pixels this work-item computes */
    int img[RN], pix[RN], iy0[RN], ix0[RN];
    bool pixel_ok[RN];
#pragma unroll
    for (int j = 0; j < RN; j++) {
        const int q = n0 + tx + j * WG_N;
        pixel_ok[j] = q < pixels;
        img[j] = pixel_ok[j] ? q / hw_out : 0;
        pix[j] = pixel_ok[j] ? q - img[j] * hw_out : 0;
        const int oy = pix[j] / w_out;
        iy0[j] = oy * SH - pad_top;
        ix0[j] = (pix[j] - oy * w_out) * SW - pad_left;
    }

    real acc[RM][RN];
#pragma unroll
    for (int i = 0; i < RM; i++)
#pragma unroll
        for (int j = 0; j < RN; j++) acc[i][j] = (real)(0);

    if (lid == 0) nonfinite = 0;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k0 = 0; k0 < k_len; k0 += TK) {
        /* weight slice: element e = (channel lm, k lk), consecutive work-items on consecutive k */
        for (int e = lid; e < TM * TK; e += WG_ITEMS) {
            const int lm = e / TK, lk = e - (e / TK) * TK;
            real v = (real)(0);
            if (m0 + lm < out_per_group && k0 + lk < k_len) {
                v = w_group[(size_t)(m0 + lm) * k_len + k0 + lk];
                if (!isfinite(v)) atomic_or(&nonfinite, 1);
            }
            a_tile[lk * A_PITCH + lm] = v;
        }
        /* input slice: this work-item's pixel column, rows lid / TN, + WG_ITEMS / TN, ... */
        for (int kr = kr0; kr < TK; kr += WG_ITEMS / TN) {
            const int k = k0 + kr;
            real v = (real)(0);
            if (p_ok && k < k_len) {
                const int ci = k / TAPS, tap = k - (k / TAPS) * TAPS;
                const int ky = tap / KW, kx = tap - (tap / KW) * KW;
                const int iy = p_iy0 + ky * DH, ix = p_ix0 + kx * DW;
                if (iy >= 0 && iy < h_in && ix >= 0 && ix < w_in) v = p_src[(size_t)ci * plane + (size_t)iy * w_in + ix];
            }
            b_tile[kr * TN + col] = v;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        if (nonfinite) igemm_gpu_slice(acc, a_tile, b_tile, tx, ty, k0, k_len, iy0, ix0, pixel_ok, h_in, w_in, true);
        else igemm_gpu_slice(acc, a_tile, b_tile, tx, ty, k0, k_len, iy0, ix0, pixel_ok, h_in, w_in, false);
        barrier(CLK_LOCAL_MEM_FENCE);
    }

#pragma unroll
    for (int i = 0; i < RM; i++) {
        const int m = m0 + ty + i * WG_M;
        if (m >= out_per_group) continue; /* not break: a single-exit loop unrolls */
        const int o = g * out_per_group + m;
#pragma unroll
        for (int j = 0; j < RN; j++) {
            const size_t at = ((size_t)img[j] * c_out + o) * hw_out + pix[j];
            if (pixel_ok[j]) dst[at] = convcl_epilogue_at(acc[i][j], bia, o, at CONVCL_RESIDUAL_PASS);
        }
    }
}
