/*
 * convcl_vector.h — vector helpers shared by the register-blocked kernels (pointwise, depthwise, implicit
 * GEMM); a kernel file pulls it in with #include "convcl_vector.h" after its define checks (the host
 * inlines the text: an include path would not resolve inside a jar).
 *
 * Required defines: VEC (2, 4, 8 or 16). VFLOAT is floatVEC, VLOAD/VSTORE the matching vloadN/vstoreN, and
 * convcl_epilogue_v the epilogue for VEC outputs of one channel (same NaN rules as convcl_epilogue).
 */
#ifndef VEC
#error "VEC (vector width: 2, 4, 8 or 16) must be defined before including convcl_vector.h"
#endif
#define CONVCL_CAT_(a, b) a##b
#define CONVCL_CAT(a, b) CONVCL_CAT_(a, b)
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

/* The taps' body, shared by the global-memory and private-span readers (one per address space). */
#if SW == 1
#define CONVCL_TAPS_FROM(p, off) return VLOAD(0, (p) + (off));
#elif SW == 2
#define CONVCL_TAPS_FROM(p, off) return CONVCL_VLOAD_2X(0, (p) + (off)).even;
#else
#define CONVCL_TAPS_FROM(p, off) \
    float t[VEC]; \
    for (int i = 0; i < VEC; i++) t[i] = (p)[(off) + i * SW]; \
    return VLOAD(0, t);
#endif

/* The same taps read straight from global memory (the caller knows they lie inside the row). */
inline VFLOAT convcl_taps_global(__global const float *row, int off) { CONVCL_TAPS_FROM(row, off) }

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

/* Whether convcl_taps_global may read past the row's ends (into neighbouring rows) for a row starting at
 * element `offset` of a buffer of `len` floats: SW ≤ 2 and the whole read inside the buffer. */
inline bool convcl_maskable(long offset, long len) {
#if SW <= 2
    return offset >= 0 && offset + CONVCL_READ <= len;
#else
    return false;
#endif
}

/* Lanes t whose input x (ix + t·SW) lies inside [0, w_in): at the image's edges the taps come from a load
 * that runs into the neighbouring rows (convcl_maskable says when that load stays inside the buffer) or
 * from a private span; padding lanes are then skipped by selecting the old accumulator, never multiplied,
 * so an infinite weight times a padded zero cannot turn into NaN. */
inline VINT convcl_tap_valid(int ix, int w_in) {
    const VINT pos = (VINT)(ix) + CONVCL_IOTA * SW;
    return (pos >= (VINT)(0)) & (pos < (VINT)(w_in));
}

inline VFLOAT convcl_taps(const float *span, int off) { CONVCL_TAPS_FROM(span, off) }
#endif
