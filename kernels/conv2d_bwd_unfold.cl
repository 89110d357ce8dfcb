/*
 * conv2d_bwd_unfold.cl — the input's windows written as rows, so that the forward pointwise GEMM (conv2d_pointwise.cl)
 * computes the weight gradient of a full or grouped convolution (plan/BackwardFilterUnfoldGemmDescriptor):
 *
 * conv2d_bwd_unfold: dst[n·groups + g][p][ci·KH·KW + ky·KW + kx] = x[n][g·(c_in/groups) + ci][iy][ix] with
 *   iy = oy·SH − pad_top + ky·DH, ix = ox·SW − pad_left + kx·DW for the output pixel p = oy·w_out + ox, and 0 where
 *   (iy, ix) lies in the padding. One work-item writes the rows of one output row of one (image, group): w_out rows of
 *   (c_in/groups)·KH·KW values, one stream of consecutive stores (the CPU family's shape: one core writes a contiguous
 *   block, the inputs it reads are KH rows of each channel).
 *   Grid: dim0 = h_out, dim1 = n_batch · groups; padded to the local size (the tail returns).
 *
 * conv2d_bwd_unfold_elements (the GPU family's): the same values, one element per work-item (below).
 *
 * Required defines: KH, KW, SH, SW, DH, DW (convcl_window.h); HAS_BIAS and ACTIVATION (convcl_common.h; unused).
 * Arguments: src = x [n_batch][c_in][h_in][w_in], dst = [n_batch·groups][h_out·w_out][(c_in/groups)·KH·KW], then
 *   int n_batch, c_in, h_in, w_in, h_out, w_out, groups, pad_top, pad_left.
 */
#include "convcl_window.h"

__kernel void conv2d_bwd_unfold(__global const real *CONVCL_RESTRICT src, __global real *CONVCL_RESTRICT dst,
                                const int n_batch, const int c_in, const int h_in, const int w_in, const int h_out,
                                const int w_out, const int groups, const int pad_top, const int pad_left) {
    const int oy = (int)get_global_id(0);
    const int ng = (int)get_global_id(1);
    if (oy >= h_out || ng >= n_batch * groups) return;
    const int in_per_group = c_in / groups;
    const int cols = in_per_group * KH * KW;
    const int n = ng / groups, g = ng - (ng / groups) * groups;
    __global const real *in = src + ((size_t)n * c_in + (size_t)g * in_per_group) * h_in * w_in;
    __global real *out = dst + ((size_t)ng * h_out + oy) * w_out * cols;
    const int iy0 = oy * SH - pad_top;
    for (int ox = 0; ox < w_out; ox++) {
        const int ix0 = ox * SW - pad_left;
        __global real *row = out + (size_t)ox * cols;
        for (int ci = 0; ci < in_per_group; ci++) {
            __global const real *plane = in + (size_t)ci * h_in * w_in;
            for (int ky = 0; ky < KH; ky++) {
                const int iy = iy0 + ky * DH;
                const bool row_inside = iy >= 0 && iy < h_in;
                for (int kx = 0; kx < KW; kx++) {
                    const int ix = ix0 + kx * DW;
                    row[(ci * KH + ky) * KW + kx] = row_inside && ix >= 0 && ix < w_in ? plane[iy * w_in + ix] : (real)(0);
                }
            }
        }
    }
}

/* The GPU family's unfold: one work-item per element of the unfolded rows (dim0 = the element's index e in
 * [0, h_out·w_out·cols), dim1 = n_batch · groups), so that neighbouring work-items store neighbouring elements
 * (coalesced) and read the taps of one window. Grid: dim0 = h_out·w_out·cols, dim1 = n_batch · groups. */
__kernel void conv2d_bwd_unfold_elements(__global const real *CONVCL_RESTRICT src, __global real *CONVCL_RESTRICT dst,
                                         const int n_batch, const int c_in, const int h_in, const int w_in, const int h_out,
                                         const int w_out, const int groups, const int pad_top, const int pad_left) {
    const int in_per_group = c_in / groups;
    const int cols = in_per_group * KH * KW;
    const int e = (int)get_global_id(0);
    const int ng = (int)get_global_id(1);
    if (e >= h_out * w_out * cols || ng >= n_batch * groups) return;
    const int p = e / cols, col = e - (e / cols) * cols;
    const int oy = p / w_out, ox = p - (p / w_out) * w_out;
    const int ci = col / (KH * KW), tap = col - (col / (KH * KW)) * (KH * KW);
    const int ky = tap / KW, kx = tap - (tap / KW) * KW;
    const int iy = oy * SH - pad_top + ky * DH, ix = ox * SW - pad_left + kx * DW;
    const int n = ng / groups, g = ng - (ng / groups) * groups;
    real v = (real)(0);
    if (iy >= 0 && iy < h_in && ix >= 0 && ix < w_in) {
        v = src[(((size_t)n * c_in + (size_t)g * in_per_group + ci) * h_in + iy) * w_in + ix];
    }
    dst[(size_t)ng * h_out * w_out * cols + e] = v;
}
