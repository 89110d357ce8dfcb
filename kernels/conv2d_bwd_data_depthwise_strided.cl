/*
 * conv2d_bwd_data_depthwise_strided.cl — the input gradient of a depthwise convolution (depth multiplier DEPTH_MULT = γ;
 * output channel o reads input channel o / γ) strided along x, any kernel, stride, dilation and asymmetric padding, as a
 * gather phase by phase:
 *   dx[n][c][iy][ix] = Σ_{m < γ} Σ_{ky,kx} dz[n][c·γ + m][oy][ox] · wei[c·γ + m][0][ky][kx]
 * over the taps with iy = oy·SH − pad_top + ky·DH and ix = ox·SW − pad_left + kx·DW inside dz.
 *
 * One work-item computes ROWS input rows × VEC·SW consecutive input columns X0 … of one channel of one image, with the
 * channel's γ·KH·KW weights in private memory. Phase r (columns X0 + r + SW·v, v < VEC) receives tap kx from the VEC
 * consecutive dz columns ox0 + v, ox0 = (X0 + r + pad_left − kx·DW) / SW, when that division is exact; which (r, kx)
 * pairs hit, and how each reads dz, is worked out once per work-item:
 *   - all VEC columns inside dz: one vector load;
 *   - some outside (a row's ends) and w_out ≥ VEC: one vector load of the VEC columns of dz nearest to them, its lanes
 *     moved into place by a shuffle, the lanes outside dz left out of the sum (select, never multiplied by zero);
 *   - w_out < VEC: lane by lane, the lanes outside dz not read.
 * Stride 2 stores its two phases interleaved in registers as whole vectors; a block reaching past the row's end, and
 * other strides, store lane by lane (columns past the row's end are not stored).
 * Grid: dim0 = ceil(w_in / (VEC·SW)), dim1 = ceil(h_in / ROWS), dim2 = n_batch · c_in; padded to the local size (the
 * tail returns).
 *
 * Required defines: KH, KW, SH, SW, DH, DW (convcl_window.h); DEPTH_MULT (γ); VEC (columns per phase: 2, 4, 8 or 16;
 *   convcl_vector.h); ROWS (input rows per work-item); HAS_BIAS 0 and ACTIVATION 0 (convcl_common.h; unused).
 * Arguments: src = dz [n_batch][c_in·γ][h_out][w_out], wei [c_in·γ][1][KH][KW], dst = dx [n_batch][c_in][h_in][w_in],
 *   then int n_batch, c_in, h_in, w_in, h_out, w_out, pad_top, pad_left, accumulate (1: dx += gradient, 0: dx =).
 */
#include "convcl_window.h"
#include "convcl_bwd.h"
#ifndef DEPTH_MULT
#error "DEPTH_MULT (the depth multiplier γ) must be defined"
#endif
#ifndef VEC
#error "VEC (input columns per phase: 2, 4, 8 or 16) must be defined"
#endif
#ifndef ROWS
#error "ROWS (input rows per work-item) must be defined"
#endif
#include "convcl_vector.h"
typedef CONVCL_CAT(uint, VEC) uintv;
#define as_uintv CONVCL_CAT(as_uint, VEC)

/* Writes (accumulate 0) or adds (accumulate 1) the first `count` lanes of v to out[0 …]: one vector access when all VEC. */
inline void convcl_bwd_store_v(__global real *out, const realv v, const int count, const int accumulate) {
    if (count >= VEC) {
        convcl_store_global(out, accumulate ? convcl_load_global(out) + v : v);
        return;
    }
    real lanes[VEC];
    VSTORE(v, 0, lanes);
    for (int j = 0; j < count; j++) convcl_bwd_store(out, j, lanes[j], accumulate);
}

__kernel void conv2d_bwd_data_depthwise_strided(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT wei,
                                                __global real *CONVCL_RESTRICT dst,
                                                const int n_batch, const int c_in, const int h_in, const int w_in,
                                                const int h_out, const int w_out, const int pad_top, const int pad_left,
                                                const int accumulate) {
    const int x0 = (int)get_global_id(0) * VEC * SW;
    const int y0 = (int)get_global_id(1) * ROWS;
    const int z = (int)get_global_id(2);
    if (x0 >= w_in || y0 >= h_in || z >= n_batch * c_in) return;
    const int n = z / c_in, c = z - (z / c_in) * c_in;

    real w[DEPTH_MULT * KH * KW];
    for (int t = 0; t < DEPTH_MULT * KH * KW; t++) w[t] = wei[c * DEPTH_MULT * KH * KW + t];

    /* per phase r and tap kx: whether any of its VEC dz columns exists, the first one (ox0), where the vector load
     * starts (start, inside [0, w_out − VEC] when w_out ≥ VEC), the lane moves and the lanes inside dz */
    const bool fits = w_out >= VEC;
    bool hit[SW][KW], whole[SW][KW];
    int ox0[SW][KW], start[SW][KW];
    uintv perm[SW][KW];
    intv inside[SW][KW];
#pragma unroll
    for (int r = 0; r < SW; r++) {
#pragma unroll
        for (int kx = 0; kx < KW; kx++) {
            const int t = x0 + r + pad_left - kx * DW;
            const int q = t >= 0 ? t / SW : -((-t + SW - 1) / SW); /* floor(t / SW) */
            ox0[r][kx] = q;
            hit[r][kx] = t - q * SW == 0 && q < w_out && q + VEC > 0;
            whole[r][kx] = q >= 0 && q + VEC <= w_out;
            start[r][kx] = clamp(q, 0, max(w_out - VEC, 0));
            perm[r][kx] = as_uintv(CONVCL_IOTA + (intv)(q - start[r][kx])) & (uintv)(VEC - 1);
            inside[r][kx] = CONVCL_IOTA + (intv)(q) >= (intv)(0) && CONVCL_IOTA + (intv)(q) < (intv)(w_out);
        }
    }

    const int y_end = min(y0 + ROWS, h_in);
    for (int iy = y0; iy < y_end; iy++) {
        realv acc[SW];
#pragma unroll
        for (int r = 0; r < SW; r++) acc[r] = (realv)(0);
        for (int m = 0; m < DEPTH_MULT; m++) {
            __global const real *plane = src + (n * c_in * DEPTH_MULT + c * DEPTH_MULT + m) * h_out * w_out;
#pragma unroll
            for (int ky = 0; ky < KH; ky++) {
                const int oy = convcl_bwd_source(iy, pad_top, ky, DH, SH, h_out);
                if (oy < 0) continue;
                __global const real *row = plane + oy * w_out;
#pragma unroll
                for (int kx = 0; kx < KW; kx++) {
                    const realv wv = (realv)(w[(m * KH + ky) * KW + kx]);
#pragma unroll
                    for (int r = 0; r < SW; r++) {
                        if (!hit[r][kx]) continue;
                        if (whole[r][kx]) {
                            acc[r] = fma(wv, convcl_load_global(row + ox0[r][kx]), acc[r]);
                        } else if (fits) {
                            const realv d = shuffle(convcl_load_global(row + start[r][kx]), perm[r][kx]);
                            acc[r] = select(acc[r], fma(wv, d, acc[r]), inside[r][kx]);
                        } else {
                            real lanes[VEC];
                            for (int v = 0; v < VEC; v++) {
                                const int ox = ox0[r][kx] + v;
                                lanes[v] = ox >= 0 && ox < w_out ? row[ox] : (real)(0);
                            }
                            acc[r] = select(acc[r], fma(wv, VLOAD(0, lanes), acc[r]), inside[r][kx]);
                        }
                    }
                }
            }
        }

        __global real *out = dst + ((n * c_in + c) * h_in + iy) * w_in + x0;
        const int cols = w_in - x0; /* columns of this row from x0 on */
#if SW == 2
        convcl_bwd_store_v(out, shuffle2(acc[0], acc[1], CONVCL_INTERLEAVE_LO), cols, accumulate);
        if (cols > VEC) convcl_bwd_store_v(out + VEC, shuffle2(acc[0], acc[1], CONVCL_INTERLEAVE_HI), cols - VEC, accumulate);
#else
#pragma unroll
        for (int r = 0; r < SW; r++) {
            real lanes[VEC];
            VSTORE(acc[r], 0, lanes);
            for (int v = 0; v < VEC; v++)
                if (r + v * SW < cols) convcl_bwd_store(out, r + v * SW, lanes[v], accumulate);
        }
#endif
    }
}
