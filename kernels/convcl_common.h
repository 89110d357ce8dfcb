/*
 * convcl_common.h — shared by every kernels/conv2d_*.cl file. The host prepends this text to each
 * kernel source (an #include path would not resolve inside a jar).
 *
 * Required defines:
 *   HAS_BIAS    0 or 1: add bia[o] to each output before the activation
 *   ACTIVATION  an activation code of the table below (CONVCL_ACT_*)
 * Optional defines:
 *   HAS_RESIDUAL 0 (default) or 1: the kernels that store the convolution's output take one more argument, last,
 *                `res` (CONVCL_RESIDUAL_ARG), a tensor shaped like the output and never the output itself (some
 *                kernels store an output twice), and add res at each output's index after the bias
 *   CONVCL_REAL      the element type (org.convcl.DataType), default float
 *   CONVCL_RESTRICT  the qualifier of kernel pointer arguments, default restrict (empty it, -D CONVCL_RESTRICT=,
 *                    for an implementation that cannot create kernels with restrict pointers inlined)
 * Batch-norm is folded into the weights and bias on the host, so the epilogue is bias, residual, activation.
 */
#ifndef HAS_BIAS
#error "HAS_BIAS must be defined: -D HAS_BIAS=0 or -D HAS_BIAS=1"
#endif
#ifndef ACTIVATION
#error "ACTIVATION must be defined: -D ACTIVATION=0 (none), 1 (relu) or 2 (relu6)"
#endif

#ifndef HAS_RESIDUAL
#define HAS_RESIDUAL 0
#endif
#if HAS_RESIDUAL
/* The residual operand, appended to the parameters of a kernel that stores outputs. */
#define CONVCL_RESIDUAL_ARG , __global const real *CONVCL_RESTRICT res
#else
#define CONVCL_RESIDUAL_ARG
#endif

#ifndef CONVCL_REAL
#define CONVCL_REAL float
#endif
#ifndef CONVCL_RESTRICT
#define CONVCL_RESTRICT restrict
#endif
#define CONVCL_CAT_(a, b) a##b
#define CONVCL_CAT(a, b) CONVCL_CAT_(a, b)
/* The element type and its vectors: every kernel computes in these, never in a spelled-out float. */
typedef CONVCL_REAL real;
typedef CONVCL_CAT(CONVCL_REAL, 2) real2;
typedef CONVCL_CAT(CONVCL_REAL, 4) real4;
typedef CONVCL_CAT(CONVCL_REAL, 8) real8;
typedef CONVCL_CAT(CONVCL_REAL, 16) real16;

/* The activations, one row each as org.convcl.Activation numbers them (the values of the ACTIVATION and
 * DW_ACTIVATION defines). The clamps compare, so NaN passes through as in PyTorch (fmax/fmin would drop it).
 *   code                     function
 *   CONVCL_ACT_NONE       0  v
 *   CONVCL_ACT_RELU       1  max(v, 0)
 *   CONVCL_ACT_RELU6      2  min(max(v, 0), 6)
 *   CONVCL_ACT_HARDSWISH  3  v · min(max(v · (1/6) + 1/2, 0), 1)  (ONNX's HardSwish)  */
#define CONVCL_ACT_NONE 0
#define CONVCL_ACT_RELU 1
#define CONVCL_ACT_RELU6 2
#define CONVCL_ACT_HARDSWISH 3
#define CONVCL_ACT_VALID(code) ((code) >= CONVCL_ACT_NONE && (code) <= CONVCL_ACT_HARDSWISH)
#if !CONVCL_ACT_VALID(ACTIVATION)
#error "ACTIVATION must be 0 (none), 1 (relu), 2 (relu6) or 3 (hardswish)"
#endif

/* Defines `T name(T v, const int code)`, the activation `code` (a constant after inlining) of the table above
 * applied to v, for a scalar or vector type T: one body for convcl_activate (real) and convcl_activate_v (realv,
 * convcl_vector.h). Not inline: a callee with a vector argument lets the compiler keep full-width vector
 * registers in the kernel. The HardSwish gate is a multiply then an add, as in Java. */
#define CONVCL_DEFINE_ACTIVATE(T, name)                                            \
    T name(T v, const int code) {                                                  \
        if (code == CONVCL_ACT_RELU || code == CONVCL_ACT_RELU6) v = v < (T)(0) ? (T)(0) : v; \
        if (code == CONVCL_ACT_RELU6) v = v > (T)(6) ? (T)(6) : v;                 \
        if (code == CONVCL_ACT_HARDSWISH) {                                        \
            T gate = v * (T)((real)1 / (real)6);                                   \
            gate = gate + (T)(0.5f);                                               \
            gate = gate < (T)(0) ? (T)(0) : gate;                                  \
            gate = gate > (T)(1) ? (T)(1) : gate;                                  \
            v = v * gate;                                                          \
        }                                                                          \
        return v;                                                                  \
    }
CONVCL_DEFINE_ACTIVATE(real, convcl_activate)

/* Bias (when HAS_BIAS) then ACTIVATION for output channel o. */
real convcl_epilogue(real acc, __global const real *bia, int o) {
#if HAS_BIAS
    acc += bia[o];
#endif
    return convcl_activate(acc, ACTIVATION);
}

/* Bias (when HAS_BIAS), then the residual value at output index i (when HAS_RESIDUAL), then ACTIVATION for output
 * channel o: the epilogue of a kernel that supports the residual. */
real convcl_epilogue_at(real acc, __global const real *bia, int o, size_t i CONVCL_RESIDUAL_ARG) {
#if HAS_BIAS
    acc += bia[o];
#endif
#if HAS_RESIDUAL
    acc += res[i];
#endif
    return convcl_activate(acc, ACTIVATION);
}
#if HAS_RESIDUAL
#define CONVCL_RESIDUAL_PASS , res
#else
#define CONVCL_RESIDUAL_PASS
#endif

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
