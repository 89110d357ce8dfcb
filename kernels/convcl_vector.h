/*
 * convcl_vector.h — the vector of VEC elements of the register-blocked kernels (pointwise, depthwise, implicit
 * GEMM, fused block); a kernel file pulls it in with #include "convcl_vector.h" after its define checks (the
 * host inlines the text: an include path would not resolve inside a jar).
 *
 * Required defines: VEC (2, 4, 8 or 16).
 * Provides: realv / intv (VEC reals / ints), VLOAD / VSTORE (the matching vloadN / vstoreN), CONVCL_IOTA (the
 * lane numbers 0 … VEC − 1), CONVCL_INTERLEAVE_LO / _HI (shuffle2 masks interleaving two vectors), convcl_activate_v and convcl_epilogue_v (convcl_common.h's activation and epilogue
 * for VEC outputs of one channel), convcl_epilogue_rv with CONVCL_RESIDUAL_V (the same with the residual added
 * under HAS_RESIDUAL), and unaligned whole-vector loads and stores.
 */
#ifndef VEC
#error "VEC (vector width: 2, 4, 8 or 16) must be defined before including convcl_vector.h"
#endif
#if VEC != 2 && VEC != 4 && VEC != 8 && VEC != 16
#error "VEC must be 2, 4, 8 or 16"
#endif
typedef CONVCL_CAT(real, VEC) realv;
typedef CONVCL_CAT(int, VEC) intv;
#define VLOAD CONVCL_CAT(vload, VEC)
#define VSTORE CONVCL_CAT(vstore, VEC)

#if VEC == 2
#define CONVCL_IOTA ((intv)(0, 1))
#elif VEC == 4
#define CONVCL_IOTA ((intv)(0, 1, 2, 3))
#elif VEC == 8
#define CONVCL_IOTA ((intv)(0, 1, 2, 3, 4, 5, 6, 7))
#else
#define CONVCL_IOTA ((intv)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#endif

/* shuffle2 masks interleaving two vectors a, b into (a0, b0, a1, b1, …): the first VEC lanes, then the last VEC. */
#if VEC == 2
#define CONVCL_INTERLEAVE_LO ((uint2)(0, 2))
#define CONVCL_INTERLEAVE_HI ((uint2)(1, 3))
#elif VEC == 4
#define CONVCL_INTERLEAVE_LO ((uint4)(0, 4, 1, 5))
#define CONVCL_INTERLEAVE_HI ((uint4)(2, 6, 3, 7))
#elif VEC == 8
#define CONVCL_INTERLEAVE_LO ((uint8)(0, 8, 1, 9, 2, 10, 3, 11))
#define CONVCL_INTERLEAVE_HI ((uint8)(4, 12, 5, 13, 6, 14, 7, 15))
#else
#define CONVCL_INTERLEAVE_LO ((uint16)(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23))
#define CONVCL_INTERLEAVE_HI ((uint16)(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31))
#endif

CONVCL_DEFINE_ACTIVATE(realv, convcl_activate_v)

/* Bias (when HAS_BIAS) then ACTIVATION for VEC outputs of channel o. */
realv convcl_epilogue_v(realv acc, __global const real *bia, int o) {
#if HAS_BIAS
    acc += (realv)(bia[o]);
#endif
    return convcl_activate_v(acc, ACTIVATION);
}

/* Unaligned whole-vector access through an element-aligned vector type: one vector load or store, where the
 * vloadN / vstoreN of some implementations split into pieces. One function per address space. */
typedef realv convcl_realv_unaligned __attribute__((aligned(sizeof(real))));
inline realv convcl_load_global(__global const real *p) { return *(__global const convcl_realv_unaligned *)p; }
inline realv convcl_load_local(__local const real *p) { return *(__local const convcl_realv_unaligned *)p; }
inline void convcl_store_global(__global real *p, realv v) { *(__global convcl_realv_unaligned *)p = v; }
inline void convcl_store_local(__local real *p, realv v) { *(__local convcl_realv_unaligned *)p = v; }

/* Stores the lanes first … end − 1 of v (a vector that belongs at out[0 … VEC − 1]) one by one. */
inline void convcl_store_lanes(realv v, __global real *out, int first, int end) {
    real lanes[VEC];
    VSTORE(v, 0, lanes);
    for (int j = first; j < end; j++) out[j] = lanes[j];
}

#if HAS_RESIDUAL
/* The residual's lanes first … end − 1 at res + i, the others 0 (one vector load when all VEC are wanted). */
inline realv convcl_residual_v(__global const real *res, size_t i, int first, int end) {
    if (first == 0 && end == VEC) return convcl_load_global(res + i);
    real lanes[VEC];
    for (int j = 0; j < VEC; j++) lanes[j] = j >= first && j < end ? res[i + j] : (real)(0);
    return VLOAD(0, lanes);
}
#define CONVCL_RESIDUAL_V(i, first, end) convcl_residual_v(res, i, first, end)
#else
#define CONVCL_RESIDUAL_V(i, first, end) ((realv)(0))
#endif

/* Bias (when HAS_BIAS), then the residual's VEC values r (when HAS_RESIDUAL), then ACTIVATION for VEC outputs of
 * channel o: the vector epilogue of a kernel that supports the residual. */
realv convcl_epilogue_rv(realv acc, __global const real *bia, int o, realv r) {
#if HAS_BIAS
    acc += (realv)(bia[o]);
#endif
#if HAS_RESIDUAL
    acc += r;
#endif
    return convcl_activate_v(acc, ACTIVATION);
}
