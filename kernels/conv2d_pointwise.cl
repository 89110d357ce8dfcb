/*
 * conv2d_pointwise.cl — 1x1 convolution (stride 1, no padding, groups 1): out[n] = W · X[n], with
 * W of shape [c_out][c_in] and X[n] of shape [c_in][h_in·w_in].
 *
 * One work-item computes a TILE_OC x TILE_P register block: TILE_OC consecutive output channels times
 * TILE_P consecutive pixels (flattened y·w + x) of one image. Each input value loaded feeds TILE_OC
 * products, each weight TILE_P. Edges are guarded (loads clamped, stores skipped).
 * Grid: dim0 = ceil(h·w / TILE_P), dim1 = ceil(c_out / TILE_OC), dim2 = n_batch; padded to the local size.
 *
 * Required defines: TILE_OC, TILE_P, and HAS_BIAS, ACTIVATION (convcl_common.h).
 * Optional defines: none.
 * Arguments (shared by all conv2d kernels):
 *   src [n_batch][c_in][h_in][w_in], wei [c_out][c_in], bia [c_out] (read only when HAS_BIAS),
 *   dst [n_batch][c_out][h_out][w_out], then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out,
 *   groups, pad_top, pad_left (here h_out == h_in, w_out == w_in; groups and pads are unused).
 */
#ifndef TILE_OC
#error "TILE_OC must be defined (output channels per work-item)"
#endif
#ifndef TILE_P
#error "TILE_P must be defined (pixels per work-item)"
#endif

__kernel void conv2d_pointwise(__global const float *restrict src, __global const float *restrict wei,
                               __global const float *restrict bia, __global float *restrict dst,
                               const int n_batch, const int c_in, const int h_in, const int w_in,
                               const int c_out, const int h_out, const int w_out,
                               const int groups, const int pad_top, const int pad_left) {
    const int pixels = h_in * w_in;
    const int p0 = (int)get_global_id(0) * TILE_P;
    const int o0 = (int)get_global_id(1) * TILE_OC;
    const int n = (int)get_global_id(2);
    if (p0 >= pixels || o0 >= c_out || n >= n_batch) return;

    __global const float *in = src + n * c_in * pixels;
    float acc[TILE_OC][TILE_P];
#pragma unroll
    for (int i = 0; i < TILE_OC; i++)
#pragma unroll
        for (int j = 0; j < TILE_P; j++) acc[i][j] = 0.0f;

    for (int c = 0; c < c_in; c++) {
        float x[TILE_P];
#pragma unroll
        for (int j = 0; j < TILE_P; j++) x[j] = in[c * pixels + min(p0 + j, pixels - 1)];
#pragma unroll
        for (int i = 0; i < TILE_OC; i++) {
            const float w = wei[min(o0 + i, c_out - 1) * c_in + c];
#pragma unroll
            for (int j = 0; j < TILE_P; j++) acc[i][j] += w * x[j];
        }
    }

    __global float *out = dst + n * c_out * pixels;
#pragma unroll
    for (int i = 0; i < TILE_OC; i++) {
        const int o = o0 + i;
        if (o >= c_out) break;
#pragma unroll
        for (int j = 0; j < TILE_P; j++) {
            const int p = p0 + j;
            if (p < pixels) out[o * pixels + p] = convcl_epilogue(acc[i][j], bia, o);
        }
    }
}
