/*
 * conv2d_bwd_filter_depthwise.cl — the weight gradient of a depthwise convolution with depth multiplier DEPTH_MULT
 * (γ; output channel o reads input channel o / γ), any kernel, stride, dilation and asymmetric padding:
 *   dw[o][0][ky][kx] = Σ_n Σ_oy Σ_ox dz[n][o][oy][ox] · x[n][o/γ][oy·SH − pad_top + ky·DH][ox·SW − pad_left + kx·DW]
 * over the taps inside x, reduced by one work-item in a fixed order (images, rows, columns in VEC lanes, lanes summed
 * last in lane order): the same bits on every run.
 *
 * One work-item computes the KW taps of kernel row ky of one output channel: each dz value loaded feeds KW products.
 * Grid: dim0 = KH, dim1 = c_out; padded to the local size (the tail returns).
 *
 * Required defines: KH, KW, SH, SW, DH, DW (convcl_window.h); DEPTH_MULT (γ); VEC (columns per step); HAS_BIAS 0 and
 *   ACTIVATION 0 (convcl_common.h; unused).
 * Arguments: src = x [n_batch][c_in][h_in][w_in], grad = dz [n_batch][c_in·γ][h_out][w_out], dst = dw [c_in·γ][1][KH][KW],
 *   then int n_batch, c_in, h_in, w_in, h_out, w_out, pad_top, pad_left, accumulate (1: dw += gradient, 0: dw =).
 */
#include "convcl_window.h"
#include "convcl_bwd.h"
#ifndef DEPTH_MULT
#error "DEPTH_MULT (the depth multiplier γ) must be defined"
#endif
#ifndef VEC
#error "VEC (columns per step) must be defined"
#endif

__kernel void conv2d_bwd_filter_depthwise(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT grad,
                                          __global real *CONVCL_RESTRICT dst,
                                          const int n_batch, const int c_in, const int h_in, const int w_in,
                                          const int h_out, const int w_out, const int pad_top, const int pad_left,
                                          const int accumulate) {
    const int ky = (int)get_global_id(0);
    const int o = (int)get_global_id(1);
    const int c_out = c_in * DEPTH_MULT;
    if (ky >= KH || o >= c_out) return;
    const int c = o / DEPTH_MULT;

    real acc[KW][VEC];
#pragma unroll
    for (int kx = 0; kx < KW; kx++)
#pragma unroll
        for (int v = 0; v < VEC; v++) acc[kx][v] = (real)(0);
    for (int n = 0; n < n_batch; n++) {
        for (int oy = 0; oy < h_out; oy++) {
            const int iy = oy * SH - pad_top + ky * DH;
            if (iy < 0 || iy >= h_in) continue;
            __global const real *drow = grad + ((n * c_out + o) * h_out + oy) * w_out;
            __global const real *xrow = src + ((n * c_in + c) * h_in + iy) * w_in;
            for (int ox0 = 0; ox0 < w_out; ox0 += VEC) {
                real d[VEC];
#pragma unroll
                for (int v = 0; v < VEC; v++) d[v] = ox0 + v < w_out ? drow[ox0 + v] : (real)(0);
#pragma unroll
                for (int kx = 0; kx < KW; kx++) {
#pragma unroll
                    for (int v = 0; v < VEC; v++) {
                        const int ix = (ox0 + v) * SW - pad_left + kx * DW;
                        const bool inside = ox0 + v < w_out && ix >= 0 && ix < w_in;
                        acc[kx][v] += inside ? d[v] * xrow[ix] : (real)(0);
                    }
                }
            }
        }
    }
#pragma unroll
    for (int kx = 0; kx < KW; kx++) {
        real sum = (real)(0);
#pragma unroll
        for (int v = 0; v < VEC; v++) sum += acc[kx][v];
        convcl_bwd_store(dst, (o * KH + ky) * KW + kx, sum, accumulate);
    }
}
