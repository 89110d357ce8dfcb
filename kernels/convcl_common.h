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

/* The dim-2 grid index z of a grouped convolution whose grid runs over n_batch · groups · blocks (blocks: the
 * tile-channel blocks of one group's output channels), split into the image n, the group g and the first output
 * channel `first` of the block within its group. Used by conv2d_full.cl and conv2d_igemm.cl. */
typedef struct {
    int n, g, first;
} convcl_group_block;

inline convcl_group_block convcl_decode_group_block(int z, int groups, int blocks, int tile) {
    convcl_group_block b;
    b.n = z / (groups * blocks);
    const int rest = z - b.n * groups * blocks;
    b.g = rest / blocks;
    b.first = (rest - b.g * blocks) * tile;
    return b;
}
