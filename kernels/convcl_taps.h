/*
 * convcl_taps.h — the taps of a sliding window read as vectors, for kernels that compute VEC outputs along x
 * at a time (depthwise, implicit GEMM, fused block). A kernel file includes it after convcl_window.h and
 * convcl_vector.h (the host inlines the text; headers include no others).
 *
 * Required defines: KW, SW, DW (convcl_window.h) and VEC (convcl_vector.h).
 * The VEC taps of kernel column kx for outputs x0 … x0 + VEC − 1 are the inputs row[ix0 + kx·DW + t·SW]
 * (ix0 = x0·SW − pad_left): an unaligned vector load for stride 1, for stride 2 the even lanes of one load and the
 * odd lanes of a second one starting an element early (so the two end at the last tap, never past it), gathered
 * otherwise. Every form reads exactly the CONVCL_SPAN inputs from the first tap to the last. Inside the row they are read straight from global memory; at the image's edges from a load
 * that runs into the neighbouring rows (convcl_maskable says when that load stays inside the buffer), from a
 * private span (zeros outside the row) or from clamped reads. Padding lanes are then skipped by selecting the old
 * accumulator (convcl_fma_lanes), never multiplied, so an infinite weight times a padded zero cannot turn into NaN.
 */
#if !defined(KW) || !defined(SW) || !defined(DW)
#error "KW, SW and DW must be defined (include convcl_window.h) before including convcl_taps.h"
#endif
#ifndef VEC
#error "VEC must be defined (include convcl_vector.h) before including convcl_taps.h"
#endif

/* Inputs along x that feed VEC outputs, and the size of a private span holding them (room past the span for the
 * whole-vector loads of the last taps). */
#define CONVCL_SPAN ((VEC - 1) * SW + (KW - 1) * DW + 1)
#define CONVCL_SPAN_ALLOC (CONVCL_SPAN + 2 * VEC)
/* Elements convcl_taps_global reads from row + 0 for all KW taps: the span, nothing past it. */
#define CONVCL_READ CONVCL_SPAN

/* The even lanes of a then the odd lanes of b: (a.even, b.odd). For 16 lanes it is one two-source shuffle
 * (a[0], a[2], …, a[14], b[1], …, b[15]) where the compiler supports it: the swizzles would compile to shuffles whose
 * masks hold the index 11, and Oclgrind 21.10 built on LLVM 14 (the memory-checker tier) compares each mask index
 * with LLVM's Value kind UndefValueVal, which is 11 there, so it would report lane 11 of them uninitialised. */
inline realv convcl_even_odd(realv a, realv b) {
#if VEC == 16 && defined(__clang__)
    return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 17, 19, 21, 23, 25, 27, 29, 31);
#else
    return (realv)(a.even, b.odd);
#endif
}

/* Defines `realv name(AS const real *row, int off)`: the VEC taps row[off + t·SW], t = 0 … VEC − 1, read from
 * address space AS (the caller knows they lie inside the memory it reads). */
#define CONVCL_DEFINE_TAPS(AS, name)                                                    \
    inline realv name(AS const real *row, int off) {                                   \
        AS const convcl_realv_unaligned *v = (AS const convcl_realv_unaligned *)(row + off); \
        if (SW == 1) return v[0];                                                      \
        if (SW == 2) return convcl_even_odd(v[0], ((AS const convcl_realv_unaligned *)(row + off + VEC - 1))[0]); \
        real t[VEC];                                                                   \
        _Pragma("unroll")                                                              \
        for (int i = 0; i < VEC; i++) t[i] = row[off + i * SW];                        \
        return VLOAD(0, t);                                                            \
    }
/* convcl_taps_global: from global memory; convcl_taps: from a private span (convcl_load_span). */
CONVCL_DEFINE_TAPS(__global, convcl_taps_global)
CONVCL_DEFINE_TAPS(__private, convcl_taps)

/* The VEC taps row[ix + t·SW] for any ix, each index clamped into [0, w_in) (the caller masks the lanes outside). */
inline realv convcl_taps_clamped(__global const real *row, int ix, int w_in) {
    real t[VEC];
#pragma unroll
    for (int i = 0; i < VEC; i++) t[i] = row[clamp(ix + i * SW, 0, w_in - 1)];
    return VLOAD(0, t);
}

/* Fills span[0 … CONVCL_SPAN_ALLOC) with row[0 … CONVCL_SPAN) (the row starting at input x = ix0): zeros
 * outside [0, w_in) unless the caller knows the whole span lies `inside`, and zeros past CONVCL_SPAN. */
inline void convcl_load_span(real *span, __global const real *row, int ix0, int w_in, bool inside) {
    if (inside) {
#pragma unroll
        for (int s = 0; s < CONVCL_SPAN; s++) span[s] = row[s];
    } else {
#pragma unroll
        for (int s = 0; s < CONVCL_SPAN; s++) span[s] = (ix0 + s >= 0 && ix0 + s < w_in) ? row[s] : (real)(0);
    }
#pragma unroll
    for (int s = CONVCL_SPAN; s < CONVCL_SPAN_ALLOC; s++) span[s] = (real)(0);
}

/* Whether convcl_taps_global may read past the row's ends (into neighbouring rows) for a row starting at
 * element `offset` of a buffer of `len` elements: SW ≤ 2 and the whole read inside the buffer. */
inline bool convcl_maskable(long offset, long len) {
    return SW <= 2 && offset >= 0 && offset + CONVCL_READ <= len;
}

/* The lanes t whose input x (ix + t·SW) lies inside [0, w_in). */
inline intv convcl_tap_valid(int ix, int w_in) {
    const intv pos = (intv)(ix) + CONVCL_IOTA * SW;
    return (pos >= (intv)(0)) & (pos < (intv)(w_in));
}

/* acc + w·x in the lanes set in `valid`, acc (unchanged, x never multiplied) in the others. */
inline realv convcl_fma_lanes(realv acc, real w, realv x, intv valid) {
    return select(acc, fma((realv)(w), x, acc), valid);
}
