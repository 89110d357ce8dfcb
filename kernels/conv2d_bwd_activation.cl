/*
 * conv2d_bwd_activation.cl — the element-wise steps of the backward passes.
 *
 * conv2d_bwd_activation: the backward of a layer's activation from its forward output y:
 *   dz[i] = dy[i] where the activation let the value through, else 0
 * ReLU passes where !(y <= 0), ReLU6 where !(y <= 0) and !(y >= 6) (PyTorch's threshold_backward and
 * hardtanh_backward, so a NaN output passes the gradient); none passes everything.
 *
 * conv2d_bwd_accumulate: dst[i] += src[i] (a gradient computed apart, added to the one given).
 *
 * One work-item computes one element. Grid: dim0 = count; padded to the local size (the tail returns).
 *
 * Required defines: ACTIVATION (the layer's for conv2d_bwd_activation; 0 for conv2d_bwd_accumulate, convcl_common.h),
 *   HAS_BIAS 0 (unused).
 * Arguments: conv2d_bwd_activation: src = y, grad = dy, dst = dz (may be dy itself: these two are not restrict), then
 *   int count. conv2d_bwd_accumulate: src, dst, then int count.
 */

__kernel void conv2d_bwd_activation(__global const real *CONVCL_RESTRICT src, __global const real *grad, __global real *dst,
                                    const int count) {
    const int i = (int)get_global_id(0);
    if (i >= count) return;
    const real y = src[i];
#if ACTIVATION == CONVCL_ACT_NONE
    const bool passes = true;
#elif ACTIVATION == CONVCL_ACT_RELU
    const bool passes = !(y <= (real)(0));
#elif ACTIVATION == CONVCL_ACT_RELU6
    const bool passes = !(y <= (real)(0)) && !(y >= (real)(6));
#else
#error "conv2d_bwd_activation: the activation's backward needs its input (the host refuses it)"
#endif
    dst[i] = passes ? grad[i] : (real)(0);
}

__kernel void conv2d_bwd_accumulate(__global const real *CONVCL_RESTRICT src, __global real *CONVCL_RESTRICT dst, const int count) {
    const int i = (int)get_global_id(0);
    if (i >= count) return;
    dst[i] += src[i];
}
