/*
 * conv2d_depthwise.cl — depthwise convolution (groups == c_in) with depth multiplier DEPTH_MULT (γ):
 * output channel o reads only input channel o / γ, with weights wei[o][0][KH][KW].
 *
 * One work-item computes TILE_X consecutive outputs along x of one output row of one (image, channel).
 * For each kernel row it loads the input span those outputs share once into registers
 * ((TILE_X−1)·SW + (KW−1)·DW + 1 values) and reuses it for every tap; taps outside the image are skipped,
 * never multiplied by a zero, so non-finite weights propagate as in the reference.
 * Grid: dim0 = ceil(w_out / TILE_X), dim1 = h_out, dim2 = n_batch · c_out; padded to the local size.
 *
 * Required defines: KH, KW (kernel), SH, SW (stride), DH, DW (dilation), DEPTH_MULT (γ), and
 *   HAS_BIAS, ACTIVATION (convcl_common.h).
 * Optional defines: TILE_X (outputs along x per work-item), default 4.
 * Arguments (shared by all conv2d kernels):
 *   src [n_batch][c_in][h_in][w_in], wei [c_out][KH][KW], bia [c_out] (read only when HAS_BIAS),
 *   dst [n_batch][c_out][h_out][w_out], then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out,
 *   groups (== c_in, unused), pad_top, pad_left (bottom/right padding is implied by h_out, w_out).
 */
#if !defined(KH) || !defined(KW)
#error "KH and KW (kernel height and width) must be defined"
#endif
#if !defined(SH) || !defined(SW)
#error "SH and SW (strides) must be defined"
#endif
#if !defined(DH) || !defined(DW)
#error "DH and DW (dilations) must be defined"
#endif
#ifndef DEPTH_MULT
#error "DEPTH_MULT (depth multiplier, output channels per input channel) must be defined"
#endif
#ifndef TILE_X
#define TILE_X 4
#endif

#define SPAN ((TILE_X - 1) * SW + (KW - 1) * DW + 1)

__kernel void conv2d_depthwise(__global const float *restrict src, __global const float *restrict wei,
                               __global const float *restrict bia, __global float *restrict dst,
                               const int n_batch, const int c_in, const int h_in, const int w_in,
                               const int c_out, const int h_out, const int w_out,
                               const int groups, const int pad_top, const int pad_left) {
    const int ox0 = (int)get_global_id(0) * TILE_X;
    const int oy = (int)get_global_id(1);
    const int z = (int)get_global_id(2);
    if (ox0 >= w_out || oy >= h_out || z >= n_batch * c_out) return;
    const int n = z / c_out;
    const int o = z - n * c_out;
    const int ci = o / DEPTH_MULT;

    __global const float *in = src + (n * c_in + ci) * h_in * w_in;
    __global const float *w = wei + o * (KH * KW);
    const int iy0 = oy * SH - pad_top;
    const int ix0 = ox0 * SW - pad_left;

    float acc[TILE_X];
#pragma unroll
    for (int t = 0; t < TILE_X; t++) acc[t] = 0.0f;

#pragma unroll
    for (int ky = 0; ky < KH; ky++) {
        const int iy = iy0 + ky * DH;
        if (iy < 0 || iy >= h_in) continue;
        __global const float *row = in + iy * w_in;
        float span[SPAN];
        bool inside[SPAN];
#pragma unroll
        for (int s = 0; s < SPAN; s++) {
            const int ix = ix0 + s;
            inside[s] = ix >= 0 && ix < w_in;
            span[s] = inside[s] ? row[ix] : 0.0f;
        }
#pragma unroll
        for (int kx = 0; kx < KW; kx++) {
            const float wv = w[ky * KW + kx];
            // Padding is skipped, not multiplied: a zero times an infinite weight would be NaN.
#pragma unroll
            for (int t = 0; t < TILE_X; t++) {
                if (inside[t * SW + kx * DW]) acc[t] += span[t * SW + kx * DW] * wv;
            }
        }
    }

    __global float *out = dst + ((n * c_out + o) * h_out + oy) * w_out;
#pragma unroll
    for (int t = 0; t < TILE_X; t++) {
        if (ox0 + t < w_out) out[ox0 + t] = convcl_epilogue(acc[t], bia, o);
    }
}
