/*
 * conv2d_bwd_filter_depthwise.cl — the weight gradient of a depthwise convolution with depth multiplier DEPTH_MULT
 * (γ; output channel o reads input channel o / γ), any kernel, stride, dilation and asymmetric padding:
 *   dw[o][0][ky][kx] = Σ_n Σ_oy Σ_ox dz[n][o][oy][ox] · x[n][o/γ][oy·SH − pad_top + ky·DH][ox·SW − pad_left + kx·DW]
 * over the taps inside x, reduced by one work-item in a fixed order (images, rows, columns in VEC lanes, lanes summed
 * last in lane order): the same bits on every run.
 *
 * One work-item computes the KW taps of KROWS kernel rows (1 or KH) of one output channel: each step loads VEC dz values
 * of a row (a vector, once for all its kernel rows) and, per tap, the VEC inputs they meet (the taps of convcl_taps.h: one load at stride 1, two at stride
 * 2, else lane by lane), one vector FMA per tap into realv accumulators. A row's last step is its last VEC outputs,
 * the lanes summed by the step before keeping their accumulators. Where a tap's inputs leave the row they are read
 * with clamped indices (convcl_taps_clamped) and the lanes outside keep their accumulators (never multiplied by a
 * zero). Lanes are summed in lane
 * order at the end.
 * Grid: dim0 = KH / KROWS, dim1 = c_out; padded to the local size (the tail returns).
 *
 * Required defines: KH, KW, SH, SW, DH, DW (convcl_window.h); DEPTH_MULT (γ); KROWS (kernel rows per work-item: 1 or
 *   KH); VEC (columns per step: 2, 4, 8 or 16;
 *   convcl_vector.h); HAS_BIAS 0 and ACTIVATION 0 (convcl_common.h; unused).
 * Arguments: src = x [n_batch][c_in][h_in][w_in], grad = dz [n_batch][c_in·γ][h_out][w_out], dst = dw [c_in·γ][1][KH][KW],
 *   then int n_batch, c_in, h_in, w_in, h_out, w_out, pad_top, pad_left, accumulate (1: dw += gradient, 0: dw =).
 */
#include "convcl_window.h"
#include "convcl_bwd.h"
#ifndef DEPTH_MULT
#error "DEPTH_MULT (the depth multiplier γ) must be defined"
#endif
#if !defined(KROWS) || (KROWS != 1 && KROWS != KH)
#error "KROWS (kernel rows per work-item) must be defined as 1 or KH"
#endif
#ifndef VEC
#error "VEC (columns per step: 2, 4, 8 or 16) must be defined"
#endif
#include "convcl_vector.h"
#include "convcl_taps.h"

__kernel void conv2d_bwd_filter_depthwise(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT grad,
                                          __global real *CONVCL_RESTRICT dst,
                                          const int n_batch, const int c_in, const int h_in, const int w_in,
                                          const int h_out, const int w_out, const int pad_top, const int pad_left,
                                          const int accumulate) {
    const int ky0 = (int)get_global_id(0) * KROWS;
    const int o = (int)get_global_id(1);
    const int c_out = c_in * DEPTH_MULT;
    if (ky0 >= KH || o >= c_out) return;
    const int c = o / DEPTH_MULT;

    realv acc[KROWS][KW];
#pragma unroll
    for (int r = 0; r < KROWS; r++)
#pragma unroll
        for (int kx = 0; kx < KW; kx++) acc[r][kx] = (realv)(0);
    for (int n = 0; n < n_batch; n++) {
        __global const real *plane = src + (n * c_in + c) * h_in * w_in;
        for (int oy = 0; oy < h_out; oy++) {
            __global const real *drow = grad + ((n * c_out + o) * h_out + oy) * w_out;
            for (int ox0 = 0; ox0 < w_out; ox0 += VEC) {
                /* the step's outputs q … q + VEC − 1: a row's last step ends at the row's end, its lanes before
                 * `skip` (summed by the step before) kept; a row shorter than VEC is one step of `count` lanes */
                const int q = w_out >= VEC ? min(ox0, w_out - VEC) : 0;
                const int count = min(VEC, w_out), skip = ox0 - q;
                const intv keep = CONVCL_IOTA >= (intv)(skip) && CONVCL_IOTA < (intv)(count);
                realv d;
                if (count == VEC) {
                    d = convcl_load_global(drow + q);
                } else {
                    real lanes[VEC];
                    for (int v = 0; v < VEC; v++) lanes[v] = v < count ? drow[v] : (real)(0);
                    d = VLOAD(0, lanes);
                }
#pragma unroll
                for (int r = 0; r < KROWS; r++) {
                    const int iy = oy * SH - pad_top + (ky0 + r) * DH;
                    if (iy < 0 || iy >= h_in) continue;
                    __global const real *xrow = plane + iy * w_in;
#pragma unroll
                    for (int kx = 0; kx < KW; kx++) {
                        const int first = q * SW - pad_left + kx * DW;
                        if (first >= 0 && first + (VEC - 1) * SW < w_in) {
                            const realv sum = fma(d, convcl_taps_global(xrow, first), acc[r][kx]);
                            acc[r][kx] = skip == 0 && count == VEC ? sum : select(acc[r][kx], sum, keep);
                        } else {
                            const intv ix = (intv)(first) + CONVCL_IOTA * (intv)(SW);
                            const intv inside = keep && ix >= (intv)(0) && ix < (intv)(w_in);
                            acc[r][kx] = select(acc[r][kx], fma(d, convcl_taps_clamped(xrow, first, w_in), acc[r][kx]), inside);
                        }
                    }
                }
            }
        }
    }
    for (int r = 0; r < KROWS; r++) {
        for (int kx = 0; kx < KW; kx++) {
            real lanes[VEC];
            VSTORE(acc[r][kx], 0, lanes);
            real sum = (real)(0);
            for (int v = 0; v < VEC; v++) sum += lanes[v];
            convcl_bwd_store(dst, (o * KH + ky0 + r) * KW + kx, sum, accumulate);
        }
    }
}
