/*
 * convcl_bwd.h — index helpers of the backward kernels (conv2d_bwd_*.cl). Along one axis the forward reads input
 * i = o·s − pad + k·d for output o and tap k (s stride, d dilation); the backward kernels invert that map.
 */

/* The output index o whose tap k reads input index i, or -1 when there is none (i + pad − k·d negative, not a
 * multiple of s, or o ≥ out). The remainder is written t − q·s (no % on signed values). */
inline int convcl_bwd_source(const int i, const int pad, const int k, const int d, const int s, const int out) {
    const int t = i + pad - k * d;
    if (t < 0) return -1;
    const int q = t / s;
    return (t - q * s == 0 && q < out) ? q : -1;
}

/* The outputs [x, y) whose tap k reads inside [0, in): o·s − pad + k·d ∈ [0, in); empty (x == y) when none do. */
inline int2 convcl_bwd_valid_range(const int in, const int pad, const int k, const int d, const int s, const int out) {
    const int off = k * d - pad;
    const int first = off >= 0 ? 0 : (s - 1 - off) / s;
    const int end = off >= in ? 0 : min(out, (in - 1 - off) / s + 1);
    return (int2)(first, max(first, end));
}

/* Writes v to dst[idx] (accumulate 0) or adds it to what is there (accumulate 1). */
inline void convcl_bwd_store(__global real *dst, const int idx, const real v, const int accumulate) {
    dst[idx] = accumulate ? dst[idx] + v : v;
}
