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

/* Vector helpers for kernels that define VEC (2, 4, 8 or 16): VFLOAT is floatVEC, VLOAD/VSTORE the matching
 * vloadN/vstoreN, and convcl_epilogue_v the epilogue for VEC outputs of one channel (same NaN rules). */
#define CONVCL_CAT_(a, b) a##b
#define CONVCL_CAT(a, b) CONVCL_CAT_(a, b)
#ifdef VEC
#define VFLOAT CONVCL_CAT(float, VEC)
#define VINT CONVCL_CAT(int, VEC)
#define VLOAD CONVCL_CAT(vload, VEC)
#define VSTORE CONVCL_CAT(vstore, VEC)
VFLOAT convcl_epilogue_v(VFLOAT acc, __global const float *bia, int o) {
#if HAS_BIAS
    acc += (VFLOAT)(bia[o]);
#endif
#if ACTIVATION == 1
    acc = select(acc, (VFLOAT)(0.0f), acc < (VFLOAT)(0.0f));
#elif ACTIVATION == 2
    acc = select(acc, (VFLOAT)(0.0f), acc < (VFLOAT)(0.0f));
    acc = select(acc, (VFLOAT)(6.0f), acc > (VFLOAT)(6.0f));
#endif
    return acc;
}
#endif

/* Sliding-window helpers for kernels that define VEC and the window (KW, SW, DW): CONVCL_SPAN input values
 * along x feed VEC outputs; convcl_load_span fills a private span (zeros outside the row, unguarded when
 * the caller knows it lies inside); convcl_taps returns the VEC taps span[off + t·SW]: an unaligned vector
 * load for stride 1, the even lanes of a double-width load for stride 2 (VEC ≤ 8), gathered otherwise. */
#if defined(VEC) && defined(KW) && defined(SW) && defined(DW)
#define CONVCL_SPAN ((VEC - 1) * SW + (KW - 1) * DW + 1)
#define CONVCL_SPAN_ALLOC (CONVCL_SPAN + 2 * VEC)
#if SW == 2 && VEC > 8
#error "VEC must be at most 8 when SW == 2"
#endif
#if VEC == 2
#define CONVCL_VLOAD_2X vload4
#elif VEC == 4
#define CONVCL_VLOAD_2X vload8
#else
#define CONVCL_VLOAD_2X vload16
#endif

inline void convcl_load_span(float *span, __global const float *row, int ix0, int w_in, bool inside) {
    if (inside) {
#pragma unroll
        for (int s = 0; s < CONVCL_SPAN; s++) span[s] = row[s];
    } else {
#pragma unroll
        for (int s = 0; s < CONVCL_SPAN; s++) span[s] = (ix0 + s >= 0 && ix0 + s < w_in) ? row[s] : 0.0f;
    }
#pragma unroll
    for (int s = CONVCL_SPAN; s < CONVCL_SPAN_ALLOC; s++) span[s] = 0.0f;
}

/* The same taps read straight from global memory (the caller knows they lie inside the row). */
inline VFLOAT convcl_taps_global(__global const float *row, int off) {
#if SW == 1
    return VLOAD(0, row + off);
#elif SW == 2
    return CONVCL_VLOAD_2X(0, row + off).even;
#else
    float t[VEC];
#pragma unroll
    for (int i = 0; i < VEC; i++) t[i] = row[off + i * SW];
    return VLOAD(0, t);
#endif
}

#if VEC == 2
#define CONVCL_IOTA ((VINT)(0, 1))
#elif VEC == 4
#define CONVCL_IOTA ((VINT)(0, 1, 2, 3))
#elif VEC == 8
#define CONVCL_IOTA ((VINT)(0, 1, 2, 3, 4, 5, 6, 7))
#else
#define CONVCL_IOTA ((VINT)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#endif
/* Floats convcl_taps_global reads from row + 0 for all KW taps (stride 2 reads a double-width vector). */
#define CONVCL_READ ((KW - 1) * DW + (SW == 2 ? 2 * VEC : (VEC - 1) * SW + 1))

/* Taps of a span that crosses the row's ends, for SW ≤ 2: the vector load may run into the neighbouring
 * rows (the caller checks it stays inside the buffer) and the lanes whose x (ix + t·SW) lies outside
 * [0, w_in) are replaced by zeros. */
/* Whether convcl_taps_masked may serve a row starting at element `offset` of a buffer of `len` floats. */
inline bool convcl_maskable(long offset, long len) {
#if SW <= 2
    return offset >= 0 && offset + CONVCL_READ <= len;
#else
    return false;
#endif
}

inline VFLOAT convcl_taps_masked(__global const float *row, int off, int ix, int w_in) {
    const VINT pos = (VINT)(ix) + CONVCL_IOTA * SW;
    return select((VFLOAT)(0.0f), convcl_taps_global(row, off), (pos >= (VINT)(0)) & (pos < (VINT)(w_in)));
}

inline VFLOAT convcl_taps(const float *span, int off) {
#if SW == 1
    return VLOAD(0, span + off);
#elif SW == 2
    return CONVCL_VLOAD_2X(0, span + off).even;
#else
    float t[VEC];
#pragma unroll
    for (int i = 0; i < VEC; i++) t[i] = span[off + i * SW];
    return VLOAD(0, t);
#endif
}
#endif
