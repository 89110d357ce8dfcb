/*
 * conv2d_depthwise_gpu.cl — depthwise convolution (groups == c_in) with depth multiplier DEPTH_MULT (γ) for
 * GPUs: output channel o = ci·γ + m reads only input channel ci, with weights wei[o][0][KH][KW].
 *
 * A work-group of WG_X × WG_Y × WG_C work-items computes a tile of TILE_H × TILE_W outputs (TILE_W = WG_X·RX,
 * TILE_H = WG_Y·RY) of all γ output channels of WG_C (image, input channel) planes. Its work-items first stage the
 * input tile with its halo, IN_TH × IN_TW inputs per plane, in local memory: consecutive work-items load
 * consecutive inputs of a row (coalesced), inputs outside the image or past the last plane are written as zeros
 * and never read from global memory. After one barrier (reached by every work-item) each work-item computes a
 * register block of γ × RY × RX outputs of one plane: RY consecutive output rows, RX outputs along x strided by
 * WG_X (so neighbouring work-items store neighbouring outputs), with the plane's γ·KH·KW weights in registers.
 * Each staged input row is read once per (x block, kx) and feeds every (output row, ky, m) that uses it.
 * Padding is skipped, not multiplied: when all of a plane's weights are finite a padded zero contributes exactly
 * zero and the taps are summed unmasked; otherwise the taps outside the image keep their accumulator, so an
 * infinite weight never meets a padded zero (NaN) where the reference skips the tap. Outputs past the output
 * plane are computed on staged data and not stored.
 * Grid: dim0 = ceil(w_out / TILE_W)·WG_X, dim1 = ceil(h_out / TILE_H)·WG_Y, dim2 = ceil(n_batch·c_in / WG_C)·WG_C
 * (already multiples of the local size, which must be exactly WG_X × WG_Y × WG_C: reqd_work_group_size).
 * Local memory: WG_C·IN_TH·IN_TW reals, IN_TH = (TILE_H − 1)·SH + (KH − 1)·DH + 1,
 * IN_TW = (TILE_W − 1)·SW + (KW − 1)·DW + 1.
 *
 * Required defines: KH, KW (kernel), SH, SW (stride), DH, DW (dilation), DEPTH_MULT (γ), WG_X, WG_Y, WG_C
 *   (work-group shape: items along x, along y, planes), RX, RY (outputs per work-item along x and y), and
 *   HAS_BIAS, ACTIVATION (convcl_common.h).
 * Optional defines: none.
 * Arguments (shared by all conv2d kernels):
 *   src [n_batch][c_in][h_in][w_in], wei [c_out][KH][KW], bia [c_out] (read only when HAS_BIAS),
 *   dst [n_batch][c_out][h_out][w_out], then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out,
 *   groups (== c_in, unused), pad_top, pad_left (bottom/right padding is implied by h_out, w_out).
 */
#include "convcl_window.h"
#ifndef DEPTH_MULT
#error "DEPTH_MULT (depth multiplier, output channels per input channel) must be defined"
#endif
#if !defined(WG_X) || !defined(WG_Y) || !defined(WG_C)
#error "WG_X, WG_Y and WG_C (work-group shape: items along x, along y, planes) must be defined"
#endif
#if !defined(RX) || !defined(RY)
#error "RX and RY (outputs per work-item along x and y) must be defined"
#endif

#define TILE_W (WG_X * RX)
#define TILE_H (WG_Y * RY)
#define IN_TW ((TILE_W - 1) * SW + (KW - 1) * DW + 1)
#define IN_TH ((TILE_H - 1) * SH + (KH - 1) * DH + 1)
#define IN_PLANE (IN_TH * IN_TW)
#define WG_ITEMS (WG_X * WG_Y * WG_C)
/* staged input rows one work-item's RY output rows read */
#define ROWS ((RY - 1) * SH + (KH - 1) * DH + 1)

/* Adds the taps of the staged rows starting at `tile` (the work-item's first input row and column) to acc, with
 * the weights wt[m][ky·KW + kx]. `masked` (a constant after inlining): skip the taps whose input (row iy0 + r,
 * column ix0 + col) lies outside the h_in × w_in image. */
__attribute__((always_inline)) inline void depthwise_gpu_taps(real acc[DEPTH_MULT][RY][RX], __local const real *tile,
                                                              const real wt[DEPTH_MULT][KH * KW], int iy0, int ix0,
                                                              int h_in, int w_in, const bool masked) {
#pragma unroll
    for (int r = 0; r < ROWS; r++) {
        if (masked && (iy0 + r < 0 || iy0 + r >= h_in)) continue;
#pragma unroll
        for (int j = 0; j < RX; j++) {
#pragma unroll
            for (int kx = 0; kx < KW; kx++) {
                const int col = j * WG_X * SW + kx * DW;
                if (masked && (ix0 + col < 0 || ix0 + col >= w_in)) continue;
                const real x = tile[r * IN_TW + col];
#pragma unroll
                for (int t = 0; t < RY; t++) {
#pragma unroll
                    for (int ky = 0; ky < KH; ky++) {
                        if (t * SH + ky * DH != r) continue; /* resolved at compile time after unrolling */
#pragma unroll
                        for (int m = 0; m < DEPTH_MULT; m++) acc[m][t][j] = fma(wt[m][ky * KW + kx], x, acc[m][t][j]);
                    }
                }
            }
        }
    }
}

__kernel __attribute__((reqd_work_group_size(WG_X, WG_Y, WG_C)))
void conv2d_depthwise_gpu(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT wei,
                          __global const real *CONVCL_RESTRICT bia, __global real *CONVCL_RESTRICT dst,
                          const int n_batch, const int c_in, const int h_in, const int w_in,
                          const int c_out, const int h_out, const int w_out,
                          const int groups, const int pad_top, const int pad_left) {
    __local real tile[WG_C * IN_PLANE];
    const int lx = (int)get_local_id(0), ly = (int)get_local_id(1), lc = (int)get_local_id(2);
    const int ox0 = (int)get_group_id(0) * TILE_W, oy0 = (int)get_group_id(1) * TILE_H;
    const int z0 = (int)get_group_id(2) * WG_C;
    const int planes = n_batch * c_in;
    const int tile_ix0 = ox0 * SW - pad_left, tile_iy0 = oy0 * SH - pad_top;

    /* stage the input tiles: element e = (plane p, row r, column c), consecutive work-items on consecutive columns */
    for (int e = lx + WG_X * (ly + WG_Y * lc); e < WG_C * IN_PLANE; e += WG_ITEMS) {
        const int p = e / IN_PLANE;
        const int r = (e - p * IN_PLANE) / IN_TW;
        const int c = e - p * IN_PLANE - r * IN_TW;
        const int iy = tile_iy0 + r, ix = tile_ix0 + c;
        real v = (real)(0);
        if (z0 + p < planes && iy >= 0 && iy < h_in && ix >= 0 && ix < w_in) {
            v = src[(size_t)(z0 + p) * h_in * w_in + (size_t)iy * w_in + ix];
        }
        tile[e] = v;
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    const int z = z0 + lc;
    if (z >= planes) return; /* after the only barrier */
    const int n = z / c_in;
    const int ci = z - n * c_in;

    real wt[DEPTH_MULT][KH * KW];
    bool finite = true;
#pragma unroll
    for (int m = 0; m < DEPTH_MULT; m++) {
#pragma unroll
        for (int k = 0; k < KH * KW; k++) {
            wt[m][k] = wei[(ci * DEPTH_MULT + m) * (KH * KW) + k];
            finite = finite && isfinite(wt[m][k]);
        }
    }
    real acc[DEPTH_MULT][RY][RX];
#pragma unroll
    for (int m = 0; m < DEPTH_MULT; m++)
#pragma unroll
        for (int t = 0; t < RY; t++)
#pragma unroll
            for (int j = 0; j < RX; j++) acc[m][t][j] = (real)(0);

    __local const real *mine = tile + lc * IN_PLANE + ly * RY * SH * IN_TW + lx * SW;
    const int iy0 = tile_iy0 + ly * RY * SH, ix0 = tile_ix0 + lx * SW;
    if (finite) depthwise_gpu_taps(acc, mine, wt, iy0, ix0, h_in, w_in, false);
    else depthwise_gpu_taps(acc, mine, wt, iy0, ix0, h_in, w_in, true);

#pragma unroll
    for (int m = 0; m < DEPTH_MULT; m++) {
        const int o = ci * DEPTH_MULT + m;
        __global real *out = dst + (size_t)(n * c_out + o) * h_out * w_out;
#pragma unroll
        for (int t = 0; t < RY; t++) {
            const int oy = oy0 + ly * RY + t;
#pragma unroll
            for (int j = 0; j < RX; j++) {
                const int ox = ox0 + lx + j * WG_X;
                if (oy < h_out && ox < w_out) out[(size_t)oy * w_out + ox] = convcl_epilogue(acc[m][t][j], bia, o);
            }
        }
    }
}
