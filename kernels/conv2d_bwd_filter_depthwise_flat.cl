/*
 * conv2d_bwd_filter_depthwise_flat.cl — the weight gradient of a stride-1 depthwise convolution (depth multiplier
 * DEPTH_MULT = γ; output channel o reads input channel o / γ) whose output rows are as wide as its input rows
 * (pad_left + pad_right = (KW − 1)·DW), for small planes:
 *   dw[o][0][ky][kx] = Σ_n Σ_oy Σ_ox dz[n][o][oy][ox] · x[n][o/γ][oy − pad_top + ky·DH][ox − pad_left + kx·DW]
 * over the taps inside x. With equal widths w, tap (ky, kx) of the flat output index p = oy·w + ox reads the flat input
 * index p + (ky·DH − pad_top)·w + kx·DW − pad_left, so one work-item takes a whole channel and walks its dz plane as
 * flat vectors of VEC values (not row by row): per step one dz load and, per tap, one load of the VEC inputs it meets,
 * the lanes whose column leaves the row (a column mask kept per step) or whose row leaves the plane left out of the
 * sum (select, never multiplied by a zero). A plane's last step is its last VEC values, the lanes summed by the step
 * before keeping their accumulators; an input load reaching past the plane loads the nearest VEC values and moves the
 * lanes into place by a shuffle. Reduced in a fixed order (images, flat steps, lanes summed last in lane order): the
 * same bits on every run.
 * Grid: dim0 = c_out; padded to the local size (the tail returns).
 *
 * Required defines: KH, KW, SH = SW = 1, DH, DW (convcl_window.h); DEPTH_MULT (γ); VEC (values per step: 2, 4, 8 or
 *   16; convcl_vector.h); HAS_BIAS 0 and ACTIVATION 0 (convcl_common.h; unused).
 * Arguments: src = x [n_batch][c_in][h_in][w], grad = dz [n_batch][c_in·γ][h_out][w], dst = dw [c_in·γ][1][KH][KW],
 *   then int n_batch, c_in, h_in, w, h_out, pad_top, pad_left, accumulate (1: dw += gradient, 0: dw =); the host
 *   guarantees h_in·w ≥ VEC and h_out·w ≥ VEC.
 */
#include "convcl_window.h"
#ifndef DEPTH_MULT
#error "DEPTH_MULT (the depth multiplier γ) must be defined"
#endif
#if SH != 1 || SW != 1
#error "conv2d_bwd_filter_depthwise_flat needs stride 1"
#endif
#ifndef VEC
#error "VEC (values per step: 2, 4, 8 or 16) must be defined"
#endif
#include "convcl_vector.h"
#include "convcl_bwd.h"
typedef CONVCL_CAT(uint, VEC) uintv;
#define as_uintv CONVCL_CAT(as_uint, VEC)

__kernel void conv2d_bwd_filter_depthwise_flat(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT grad,
                                               __global real *CONVCL_RESTRICT dst,
                                               const int n_batch, const int c_in, const int h_in, const int w,
                                               const int h_out, const int pad_top, const int pad_left, const int accumulate) {
    const int o = (int)get_global_id(0);
    const int c_out = c_in * DEPTH_MULT;
    if (o >= c_out) return;
    const int c = o / DEPTH_MULT;
    const int hw_in = h_in * w, hw_out = h_out * w;

    /* the column of each lane at the first step, and how far a step moves it (modulo w) */
    int first_col[VEC];
    for (int v = 0; v < VEC; v++) first_col[v] = v % w;
    const intv col0 = VLOAD(0, first_col);
    const int advance = VEC % w;

    realv acc[KH * KW];
#pragma unroll
    for (int t = 0; t < KH * KW; t++) acc[t] = (realv)(0);
    for (int n = 0; n < n_batch; n++) {
        __global const real *xp = src + (n * c_in + c) * hw_in;
        __global const real *dp = grad + (n * c_out + o) * hw_out;
        intv col = col0;
        for (int p0 = 0; p0 < hw_out; p0 += VEC) {
            /* the step's values q … q + VEC − 1: the last step ends at the plane's end, its lanes before `skip` kept */
            const int q = min(p0, hw_out - VEC), skip = p0 - q;
            if (skip > 0) { /* the last step's columns, counted from q */
                int cols[VEC];
                for (int v = 0; v < VEC; v++) cols[v] = (q + v) % w;
                col = VLOAD(0, cols);
            }
            const realv d = convcl_load_global(dp + q);
            const intv keep = CONVCL_IOTA >= (intv)(skip);
#pragma unroll
            for (int kx = 0; kx < KW; kx++) {
                const int dxc = kx * DW - pad_left;
                const intv valid_col = keep && col + (intv)(dxc) >= (intv)(0) && col + (intv)(dxc) < (intv)(w);
#pragma unroll
                for (int ky = 0; ky < KH; ky++) {
                    const int xi = q + (ky * DH - pad_top) * w + dxc;
                    realv xv;
                    intv valid = valid_col;
                    if (xi >= 0 && xi + VEC <= hw_in) {
                        xv = convcl_load_global(xp + xi);
                    } else {
                        const int start = clamp(xi, 0, hw_in - VEC);
                        xv = shuffle(convcl_load_global(xp + start), as_uintv(CONVCL_IOTA + (intv)(xi - start)) & (uintv)(VEC - 1));
                        valid = valid && CONVCL_IOTA + (intv)(xi) >= (intv)(0) && CONVCL_IOTA + (intv)(xi) < (intv)(hw_in);
                    }
                    acc[ky * KW + kx] = select(acc[ky * KW + kx], fma(d, xv, acc[ky * KW + kx]), valid);
                }
            }
            col += (intv)(advance);
            col = select(col, col - (intv)(w), col >= (intv)(w));
        }
    }
    for (int t = 0; t < KH * KW; t++) {
        real lanes[VEC];
        VSTORE(acc[t], 0, lanes);
        real sum = (real)(0);
        for (int v = 0; v < VEC; v++) sum += lanes[v];
        convcl_bwd_store(dst, o * KH * KW + t, sum, accumulate);
    }
}
