/*
 * conv2d_bwd_activation.cl — the backward of a layer's activation from its forward output y:
 *   dz[i] = dy[i] where the activation let the value through, else 0
 * ReLU passes where !(y <= 0), ReLU6 where !(y <= 0) and !(y >= 6) (PyTorch's threshold_backward and
 * hardtanh_backward, so a NaN output passes the gradient); none passes everything.
 *
 * One work-item computes one element. Grid: dim0 = count; padded to the local size (the tail returns).
 *
 * Required defines: ACTIVATION (the layer's, convcl_common.h), HAS_BIAS 0 (unused).
 * Arguments: src = y, grad = dy, dst = dz (may be dy itself: these two are not restrict), then int count.
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
#else
    const bool passes = !(y <= (real)(0)) && !(y >= (real)(6));
#endif
    dst[i] = passes ? grad[i] : (real)(0);
}
