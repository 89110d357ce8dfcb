/*
 * conv2d_bwd_data_depthwise.cl — the input gradient of a depthwise convolution with depth multiplier DEPTH_MULT (γ;
 * output channel o reads input channel o / γ), any kernel, stride, dilation and asymmetric padding, as a gather:
 *   dx[n][c][iy][ix] = Σ_{m < γ} Σ_{ky,kx} dz[n][c·γ + m][oy][ox] · wei[c·γ + m][0][ky][kx]
 * over the taps with iy = oy·SH − pad_top + ky·DH and ix = ox·SW − pad_left + kx·DW inside dz.
 *
 * One work-item computes VEC consecutive columns of one input row of one channel of one image, with the channel's
 * γ·KH·KW weights held in private memory; the row taps that exist are found once per row. Columns past the row's
 * end are not stored.
 * Grid: dim0 = ceil(w_in / VEC), dim1 = h_in, dim2 = n_batch · c_in; padded to the local size (the tail returns).
 *
 * Required defines: KH, KW, SH, SW, DH, DW (convcl_window.h); DEPTH_MULT (γ); VEC (columns per work-item);
 *   HAS_BIAS 0 and ACTIVATION 0 (convcl_common.h; unused).
 * Arguments: src = dz [n_batch][c_in·γ][h_out][w_out], wei [c_in·γ][1][KH][KW], dst = dx [n_batch][c_in][h_in][w_in],
 *   then int n_batch, c_in, h_in, w_in, h_out, w_out, pad_top, pad_left, accumulate (1: dx += gradient, 0: dx =).
 */
#include "convcl_window.h"
#include "convcl_bwd.h"
#ifndef DEPTH_MULT
#error "DEPTH_MULT (the depth multiplier γ) must be defined"
#endif
#ifndef VEC
#error "VEC (input columns per work-item) must be defined"
#endif

__kernel void conv2d_bwd_data_depthwise(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT wei,
                                        __global real *CONVCL_RESTRICT dst,
                                        const int n_batch, const int c_in, const int h_in, const int w_in,
                                        const int h_out, const int w_out, const int pad_top, const int pad_left,
                                        const int accumulate) {
    const int x0 = (int)get_global_id(0) * VEC;
    const int iy = (int)get_global_id(1);
    const int z = (int)get_global_id(2);
    if (x0 >= w_in || iy >= h_in || z >= n_batch * c_in) return;
    const int n = z / c_in, c = z - (z / c_in) * c_in;

    real w[DEPTH_MULT * KH * KW];
    for (int t = 0; t < DEPTH_MULT * KH * KW; t++) w[t] = wei[c * DEPTH_MULT * KH * KW + t];
    int oys[KH];
    for (int ky = 0; ky < KH; ky++) oys[ky] = convcl_bwd_source(iy, pad_top, ky, DH, SH, h_out);

    real acc[VEC];
    for (int v = 0; v < VEC; v++) acc[v] = (real)(0);
    for (int m = 0; m < DEPTH_MULT; m++) {
        __global const real *plane = src + (n * c_in * DEPTH_MULT + c * DEPTH_MULT + m) * h_out * w_out;
        for (int ky = 0; ky < KH; ky++) {
            if (oys[ky] < 0) continue;
            __global const real *row = plane + oys[ky] * w_out;
            for (int kx = 0; kx < KW; kx++) {
                const real wv = w[(m * KH + ky) * KW + kx];
                for (int v = 0; v < VEC; v++) {
                    const int ox = convcl_bwd_source(x0 + v, pad_left, kx, DW, SW, w_out);
                    if (ox >= 0) acc[v] += wv * row[ox];
                }
            }
        }
    }
    const int base = ((n * c_in + c) * h_in + iy) * w_in;
    for (int v = 0; v < VEC; v++)
        if (x0 + v < w_in) convcl_bwd_store(dst, base + x0 + v, acc[v], accumulate);
}
