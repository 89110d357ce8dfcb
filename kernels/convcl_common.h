/*
 * convcl_common.h — shared by every kernels/conv2d_*.cl file. The host prepends this text to each
 * kernel source (an #include path would not resolve inside a jar).
 *
 * Required defines:
 *   HAS_BIAS    0 or 1: add bia[o] to each output before the activation
 *   ACTIVATION  0 none, 1 ReLU, 2 ReLU6
 * Batch-norm is folded into the weights and bias on the host, so the epilogue is bias then activation.
 */
#ifndef HAS_BIAS
#error "HAS_BIAS must be defined: -D HAS_BIAS=0 or -D HAS_BIAS=1"
#endif
#ifndef ACTIVATION
#error "ACTIVATION must be defined: -D ACTIVATION=0 (none), 1 (relu) or 2 (relu6)"
#endif
#if ACTIVATION < 0 || ACTIVATION > 2
#error "ACTIVATION must be 0 (none), 1 (relu) or 2 (relu6)"
#endif

/* Bias then activation for output channel o. NaN propagates as in PyTorch: every comparison with NaN is
 * false, so NaN is neither clamped to 0 nor to 6 (fmax/fmin would drop it). */
float convcl_epilogue(float acc, __global const float *bia, int o) {
#if HAS_BIAS
    acc += bia[o];
#endif
#if ACTIVATION == 1
    acc = acc < 0.0f ? 0.0f : acc;
#elif ACTIVATION == 2
    acc = acc < 0.0f ? 0.0f : (acc > 6.0f ? 6.0f : acc);
#endif
    return acc;
}
