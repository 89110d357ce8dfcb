/*
 * conv2d_bwd_transpose.cl — layout changes that let the forward pointwise GEMM (conv2d_pointwise.cl) compute the weight
 * gradient of a pointwise convolution (plan/BackwardFilterPointwiseGemmDescriptor):
 *
 * conv2d_bwd_transpose: dst[b][c][r] = src[b][r][c] for `batch` matrices of rows × cols (x [n][c_in][pixels] →
 *   [n][pixels][c_in]). One work-item moves TRANSPOSE_BLOCKS VEC × VEC blocks side by side, each as VEC row vectors in
 *   and VEC column vectors out; blocks that reach past the last row or column go element by element.
 *   Grid: dim0 = ceil(cols / (VEC·TRANSPOSE_BLOCKS)), dim1 = ceil(rows / VEC), dim2 = batch.
 * conv2d_bwd_gather_rows: dst[r][b·cols + c] = src[b][r][c] (dz [n][c_out][pixels] → [c_out][n·pixels]). One work-item
 *   copies one row in vectors, the last cols % VEC elements one by one.
 *   Grid: dim0 = rows, dim1 = batch.
 * Grids are padded to the local size (the tail returns).
 *
 * Required defines: VEC (2, 4, 8 or 16; convcl_vector.h), TRANSPOSE_BLOCKS (blocks per work-item of the transpose);
 *   HAS_BIAS and ACTIVATION (convcl_common.h; unused).
 * Arguments: src, dst, then int batch, rows, cols.
 */
#ifndef VEC
#error "VEC (block side: 2, 4, 8 or 16) must be defined"
#endif
#ifndef TRANSPOSE_BLOCKS
#error "TRANSPOSE_BLOCKS (VEC x VEC blocks per work-item of the transpose) must be defined"
#endif
#include "convcl_vector.h"

__kernel void conv2d_bwd_transpose(__global const real *CONVCL_RESTRICT src, __global real *CONVCL_RESTRICT dst,
                                   const int batch, const int rows, const int cols) {
    const int first = (int)get_global_id(0) * VEC * TRANSPOSE_BLOCKS;
    const int r0 = (int)get_global_id(1) * VEC;
    const int b = (int)get_global_id(2);
    if (first >= cols || r0 >= rows || b >= batch) return;
    __global const real *in = src + (size_t)b * rows * cols;
    __global real *out = dst + (size_t)b * rows * cols;
    for (int c0 = first; c0 < min(first + VEC * TRANSPOSE_BLOCKS, cols); c0 += VEC) {
        if (r0 + VEC > rows || c0 + VEC > cols) {
            for (int c = c0; c < min(c0 + VEC, cols); c++)
                for (int r = r0; r < min(r0 + VEC, rows); r++) out[(size_t)c * rows + r] = in[(size_t)r * cols + c];
            continue;
        }
        real block[VEC][VEC];
#pragma unroll
        for (int i = 0; i < VEC; i++) VSTORE(convcl_load_global(in + (size_t)(r0 + i) * cols + c0), 0, block[i]);
#pragma unroll
        for (int j = 0; j < VEC; j++) {
            real column[VEC];
#pragma unroll
            for (int i = 0; i < VEC; i++) column[i] = block[i][j];
            convcl_store_global(out + (size_t)(c0 + j) * rows + r0, VLOAD(0, column));
        }
    }
}

__kernel void conv2d_bwd_gather_rows(__global const real *CONVCL_RESTRICT src, __global real *CONVCL_RESTRICT dst,
                                     const int batch, const int rows, const int cols) {
    const int r = (int)get_global_id(0);
    const int b = (int)get_global_id(1);
    if (r >= rows || b >= batch) return;
    __global const real *in = src + ((size_t)b * rows + r) * cols;
    __global real *out = dst + (size_t)r * batch * cols + (size_t)b * cols;
    int c = 0;
    for (; c + VEC <= cols; c += VEC) convcl_store_global(out + c, convcl_load_global(in + c));
    for (; c < cols; c++) out[c] = in[c];
}
