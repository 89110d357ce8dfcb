/*
 * conv2d_dsblock.cl — a fused depthwise-separable block in one kernel: depthwise (γ = DEPTH_MULT, KH×KW,
 * stride, dilation, padding) + its folded bias/batch-norm + DW_ACTIVATION, then pointwise MID → c_out + its
 * folded bias/batch-norm + ACTIVATION. The depthwise output never goes to global memory.
 *
 * Shaped for CPUs (PoCL), where a work-group is a loop over its work-items and local memory is ordinary cached
 * memory: each work-item works alone (no barrier, so no private state is spilled across one). It owns
 * strips_per_item consecutive strips of strip_len (≤ STRIP) consecutive output pixels of one image (flattened
 * oy·w_out + ox; the host makes a strip whole output rows when a row fits) and oc_per_item output channels, and
 * for each strip:
 *   1. depthwise: for every intermediate channel, the strip's outputs into its own tile[MID][STRIP] of local
 *      memory (sized to stay in L2). A strip of whole rows at least VEC wide goes DW_ROWS output rows at a time,
 *      VEC pixels of each at a time, loading each input row's taps once for all the rows of the group that read
 *      it; otherwise row piece by row piece. A piece of at least VEC pixels is covered by whole vectors, the last
 *      one shifted back to end at the piece's end (recomputing a few identical values); a shorter piece (a strip
 *      starting or ending mid-row, rows narrower than VEC) computes one vector inside the row and stores only its
 *      lanes. Taps load as vectors; lanes
 *      whose tap falls into the padding skip it by a masked FMA (never multiplying a padded zero, so an infinite
 *      weight next to padding stays finite); padded rows are skipped. No halo is recomputed: the pointwise step
 *      is 1×1.
 *   2. pointwise: the strip's GEMM out[o][p] = Σ_c W[o][c]·tile[c][p] in register tiles of OC_TILE output
 *      channels × PIX_VECS vectors of VEC pixels (the strip's last vector shifted back; an odd one left over takes
 *      a one-vector tile), K = MID walked KSTEP channels at a time (the step's tile vectors loaded first, each
 *      weight broadcast per FMA; the OC_TILE weights of a channel consecutive: pw_wei is packed by register
 *      tiles), epilogue fused, each output written once — with non-temporal
 *      stores when stream_out is set (NT_STORE builds). OC_OUTER orders the register tiles channel block by
 *      channel block (the block's weights stay in L1) instead of pixel chunk by pixel chunk.
 *      During the register tiles, one line per K step, it prefetches (PREFETCH builds) the input rows its next
 *      strip reads and this one did not, so the depthwise step of the next strip finds them in cache; a work-item's first strip is left
 *      to the hardware prefetcher (prefetching its planes a few ahead measured 0–9% slower).
 * An image of fewer than VEC pixels is one partial strip (its tile zeroed past it, as the GEMM reads whole vectors),
 * stored lane by lane.
 * Grid: dim0 = ceil(ceil(h_out·w_out / strip_len) / strips_per_item) rounded up to LOCAL_X, dim1 =
 *       ceil(c_out / oc_per_item) channel groups (each recomputes the depthwise tile; the host uses more than one
 *       only when a batch has too few strips to keep every compute unit busy), dim2 = n_batch; local size
 *       (LOCAL_X, 1, 1).
 *
 * Required defines: KH, KW (kernel), SH, SW (stride), DH, DW (dilation), DEPTH_MULT (γ), MID (intermediate
 *   channels), STRIP (the tile's row length: most pixels per strip, a multiple of VEC), DW_ACTIVATION (0 none,
 *   1 ReLU, 2 ReLU6 after the depthwise bias), and HAS_BIAS, ACTIVATION (convcl_common.h, pointwise step).
 * Optional defines: VEC (8 or 16) default 16; OC_TILE default 8; PIX_VECS default 2; DW_ROWS (output rows of a
 *   depthwise group, 1 to 4) default 4; KSTEP (GEMM channels per K step) default 4; LOCAL_X (work-items per
 *   work-group, each with its own tile) default 1; OC_OUTER default 0; PREFETCH and NT_STORE (CPU devices only:
 *   they pass a global address through an integer to the compiler's builtins, valid where every address space
 *   is one flat memory) default 0.
 * Arguments:
 *   src [n_batch][c_in][h_in][w_in], dw_wei [MID][KH][KW], dw_bia [MID] (always read: zeros when the depthwise
 *   step has no bias), pw_wei [ceil(c_out / OC_TILE)][MID][OC_TILE] (zero past c_out), pw_bia [c_out] (read only
 *   when HAS_BIAS), dst [n_batch][c_out][h_out][w_out], then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out,
 *   pad_top, pad_left (bottom/right padding is implied by h_out, w_out), oc_per_item (a multiple of OC_TILE),
 *   strip_len (VEC ≤ strip_len ≤ STRIP, or the whole image), strips_per_item, stream_out (0 or 1).
 */
#include "convcl_window.h"
#ifndef DEPTH_MULT
#error "DEPTH_MULT (depth multiplier of the depthwise step) must be defined"
#endif
#ifndef MID
#error "MID (intermediate channels, c_in·γ) must be defined"
#endif
#ifndef STRIP
#error "STRIP (most pixels per strip: the tile's row length) must be defined"
#endif
#ifndef DW_ACTIVATION
#error "DW_ACTIVATION must be defined: 0 (none), 1 (relu) or 2 (relu6)"
#endif
#if !CONVCL_ACT_VALID(DW_ACTIVATION)
#error "DW_ACTIVATION must be 0 (none), 1 (relu), 2 (relu6) or 3 (hardswish)"
#endif
#ifndef VEC
#define VEC 16
#endif
#ifndef OC_TILE
#define OC_TILE 8
#endif
#ifndef PIX_VECS
#define PIX_VECS 2
#endif
#ifndef LOCAL_X
#define LOCAL_X 1
#endif
#ifndef PREFETCH
#define PREFETCH 0
#endif
#ifndef NT_STORE
#define NT_STORE 0
#endif
#ifndef OC_OUTER
#define OC_OUTER 0
#endif
#ifndef KSTEP
#define KSTEP 4
#endif
#if KSTEP < 1
#error "KSTEP must be positive"
#endif
#ifndef DW_ROWS
#define DW_ROWS 4
#endif
#if DW_ROWS < 1 || DW_ROWS > 4
#error "DW_ROWS (output rows per depthwise group) must be 1 to 4"
#endif
#if VEC != 8 && VEC != 16
#error "VEC must be 8 or 16"
#endif
#include "convcl_vector.h"
#include "convcl_taps.h"
#if STRIP % VEC != 0 || STRIP < VEC
#error "STRIP must be a positive multiple of VEC"
#endif

/* The depthwise outputs (bias and DW_ACTIVATION applied) of the `rows` output rows oy … oy + rows − 1 (rows ≤ DW_ROWS,
 * a constant after inlining), lanes x0 + t, of the channel whose input plane starts at element plane_at of src,
 * stored at out_row + j·w_out + x0 (row j) — or, when `partial` (one row), only lanes xa … xb − 1 of the row.
 * Each input row the group reads is loaded once (its KW tap vectors) and feeds every output row of the group whose
 * kernel reaches it, so a group of R rows loads (R − 1)·SH + (KH − 1)·DH + 1 rows instead of R·KH. Each lane skips
 * the taps that fall into the padding: the lane masks of the KW tap columns are computed once and the taps
 * accumulate by masked FMAs (selected, never multiplied by a padded zero, so an infinite weight next to padding
 * stays finite; inside the image every lane is set and the masked FMA costs what a plain one does). Taps come from
 * direct vector loads, which may run into the neighbouring rows, when the load stays inside the buffer, else from
 * clamped reads. Padded rows are skipped. */
__attribute__((always_inline)) inline void dw_rows(const int rows, __local real *out_row, int w_out,
                                                   __global const real *CONVCL_RESTRICT src, const real *wt, real bias,
                                                   long plane_at, int oy, int x0, int h_in, int w_in, int pad_top,
                                                   int pad_left, long src_len, const bool inside, const bool partial,
                                                   int xa, int xb) {
    const int iy0 = oy * SH - pad_top;
    const int ix0 = x0 * SW - pad_left;
    intv ok[KW];
#pragma unroll
    for (int kx = 0; kx < KW; kx++) ok[kx] = convcl_tap_valid(ix0 + kx * DW, w_in);
    realv acc[DW_ROWS];
#pragma unroll
    for (int j = 0; j < DW_ROWS; j++) acc[j] = (realv)(0);
    /* input row r of the group feeds output row j through kernel row ky where j·SH + ky·DH == r */
#pragma unroll
    for (int r = 0; r < (DW_ROWS - 1) * SH + (KH - 1) * DH + 1; r++) {
        if (r > (rows - 1) * SH + (KH - 1) * DH) continue; /* past the group (continue, not break: a single-exit loop unrolls) */
        const int iy = iy0 + r;
        if (iy < 0 || iy >= h_in) continue; /* a padded row: skipped */
        const long row_at = plane_at + (long)iy * w_in;
        __global const real *row = src + row_at;
        const bool direct = SW <= 2 && (inside || convcl_maskable(row_at + ix0, src_len));
#pragma unroll
        for (int kx = 0; kx < KW; kx++) {
            const realv t = direct ? convcl_taps_global(row, ix0 + kx * DW) : convcl_taps_clamped(row, ix0 + kx * DW, w_in);
#pragma unroll
            for (int j = 0; j < DW_ROWS; j++) {
                if (j >= rows) continue;
#pragma unroll
                for (int ky = 0; ky < KH; ky++)
                    if (j * SH + ky * DH == r) acc[j] = convcl_fma_lanes(acc[j], wt[ky * KW + kx], t, ok[kx]);
            }
        }
    }
#pragma unroll
    for (int j = 0; j < DW_ROWS; j++) {
        if (j >= rows) continue;
        const realv v = convcl_activate_v(acc[j] + (realv)(bias), DW_ACTIVATION);
        if (partial) {
            real lanes[VEC];
            VSTORE(v, 0, lanes);
            for (int x = xa; x < xb; x++) out_row[x] = lanes[x - x0];
        } else {
            convcl_store_local(out_row + j * w_out + x0, v);
        }
    }
}

/* dw_rows for a group of `left` (1 … DW_ROWS) whole rows, each call with its row count a constant. */
__attribute__((always_inline)) inline void dw_group(const int left, __local real *out_row, int w_out,
                                                    __global const real *CONVCL_RESTRICT src, const real *wt, real bias,
                                                    long plane_at, int oy, int x0, int h_in, int w_in, int pad_top,
                                                    int pad_left, long src_len, const bool inside) {
    if (left == DW_ROWS) dw_rows(DW_ROWS, out_row, w_out, src, wt, bias, plane_at, oy, x0, h_in, w_in, pad_top, pad_left,
                                 src_len, inside, false, 0, 0);
#if DW_ROWS > 3
    else if (left == 3) dw_rows(3, out_row, w_out, src, wt, bias, plane_at, oy, x0, h_in, w_in, pad_top, pad_left,
                                 src_len, inside, false, 0, 0);
#endif
#if DW_ROWS > 2
    else if (left == 2) dw_rows(2, out_row, w_out, src, wt, bias, plane_at, oy, x0, h_in, w_in, pad_top, pad_left,
                                 src_len, inside, false, 0, 0);
#endif
    else dw_rows(1, out_row, w_out, src, wt, bias, plane_at, oy, x0, h_in, w_in, pad_top, pad_left, src_len, inside,
                 false, 0, 0);
}

/* Prefetching (PREFETCH=1) is for CPU devices, where every address space is one flat memory: the global
 * address goes through an integer to the compiler's prefetch builtin. Elsewhere it compiles to nothing. */
inline void dsblock_prefetch(__global const real *p) {
#if PREFETCH && defined(__clang__)
    __builtin_prefetch((const void *)(size_t)p);
#endif
}

/* The strip `s` (of strip_len ≤ STRIP pixels) of an image of `pixels` pixels: its first pixel and length (a tail
 * shorter than one vector is shifted back to a whole vector when the image has one). */
inline int2 strip_span(int s, int strip_len, int pixels) {
    int p0 = s * strip_len;
    int len = min(strip_len, pixels - p0);
    if (len < VEC && pixels >= VEC) {
        p0 = pixels - VEC;
        len = VEC;
    }
    return (int2)(p0, len);
}

/* The input rows [first, last] (clipped to the image) that the depthwise taps of output rows oy_first … oy_last read. */
inline int2 input_rows(int oy_first, int oy_last, int h_in, int pad_top) {
    return (int2)(max(0, oy_first * SH - pad_top), min(h_in - 1, oy_last * SH - pad_top + (KH - 1) * DH));
}

/* The depthwise tile's channels (see dw_strip); `inside` (a constant after inlining) says every direct tap load of
 * the strip lies inside the buffer, so the per-row bounds test folds away. */
__attribute__((always_inline)) inline void dw_planes(__local real *CONVCL_RESTRICT tile, __global const real *CONVCL_RESTRICT src,
                                                     __global const real *CONVCL_RESTRICT dw_wei,
                                                     __global const real *CONVCL_RESTRICT dw_bia, int n, int p0, int len,
                                                     int c_in, int h_in, int w_in, int w_out, int pad_top, int pad_left,
                                                     long src_len, const bool inside) {
    const int oy_first = p0 / w_out, oy_last = (p0 + len - 1) / w_out;
    const int x_first = p0 - oy_first * w_out, x_end = p0 + len - oy_last * w_out;
    for (int c = 0; c < MID; c++) {
        const long plane_at = ((long)n * c_in + c / DEPTH_MULT) * h_in * w_in;
        real wt[KH * KW];
#pragma unroll
        for (int t = 0; t < KH * KW; t++) wt[t] = dw_wei[c * (KH * KW) + t];
        const real bias = dw_bia[c];
        __local real *plane = tile + c * STRIP - p0; /* plane[oy·w_out + x] is this strip's pixel (oy, x) */
        if (x_first == 0 && x_end == w_out && w_out >= VEC) {
            /* whole rows: groups of DW_ROWS rows (the last one shorter), vector by vector along the row */
            for (int oy = oy_first; oy <= oy_last; oy += DW_ROWS) {
                const int left = min(DW_ROWS, oy_last - oy + 1);
                __local real *out_row = plane + oy * w_out;
                for (int xs = 0; xs < w_out; xs += VEC) {
                    const int x0 = min(xs, w_out - VEC);
                    dw_group(left, out_row, w_out, src, wt, bias, plane_at, oy, x0, h_in, w_in, pad_top, pad_left,
                             src_len, inside);
                }
            }
            continue;
        }
        /* a strip starting or ending mid-row: row piece by row piece */
        for (int oy = oy_first; oy <= oy_last; oy++) {
            const int xa = oy == oy_first ? x_first : 0;
            const int xb = oy == oy_last ? x_end : w_out;
            __local real *out_row = plane + oy * w_out;
            if (xb - xa >= VEC) {
                for (int xs = xa; xs < xb; xs += VEC)
                    dw_rows(1, out_row, w_out, src, wt, bias, plane_at, oy, min(xs, xb - VEC), h_in, w_in, pad_top,
                            pad_left, src_len, inside, false, 0, 0);
            } else {
                /* a piece shorter than a vector: one vector inside the row (or from x = 0 when the row is
                 * narrower than a vector), of which only the piece's lanes are stored */
                dw_rows(1, out_row, w_out, src, wt, bias, plane_at, oy, max(0, xb - VEC), h_in, w_in, pad_top,
                        pad_left, src_len, inside, true, xa, xb);
            }
        }
    }
}

/* 1. The depthwise tile: every intermediate channel of the strip [p0, p0 + len), row piece by row piece; the
 * channel loop is compiled twice, with and without the per-row bounds test of the direct tap loads, and a strip
 * whose taps all lie inside the buffer (all but the first and last of the batch) takes the one without. */
void dw_strip(__local real *CONVCL_RESTRICT tile, __global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT dw_wei,
              __global const real *CONVCL_RESTRICT dw_bia, int n, int p0, int len, int n_batch, int c_in, int h_in,
              int w_in, int w_out, int pad_top, int pad_left) {
    const long src_len = (long)n_batch * c_in * h_in * w_in;
    const int oy_first = p0 / w_out, oy_last = (p0 + len - 1) / w_out;
    const int2 rows = input_rows(oy_first, oy_last, h_in, pad_top);
    /* the lowest and highest elements a direct tap load of this strip can read: first plane's first row from the
     * leftmost tap, last plane's last row to the end of the rightmost vector's taps */
    const long lowest = (long)n * c_in * h_in * w_in + (long)rows.x * w_in - pad_left;
    const long highest = ((long)n * c_in + c_in - 1) * h_in * w_in + (long)rows.y * w_in
                         + (long)max(0, w_out - VEC) * SW - pad_left + CONVCL_READ;
    if (SW <= 2 && lowest >= 0 && highest <= src_len)
        dw_planes(tile, src, dw_wei, dw_bia, n, p0, len, c_in, h_in, w_in, w_out, pad_top, pad_left, src_len, true);
    else
        dw_planes(tile, src, dw_wei, dw_bia, n, p0, len, c_in, h_in, w_in, w_out, pad_top, pad_left, src_len, false);
    /* an image of fewer than VEC pixels (p0 = 0): the GEMM reads whole vectors, so the lanes past it are zeroed, never
     * read unwritten */
    if (len < VEC)
        for (int c = 0; c < MID; c++)
            for (int p = len; p < VEC; p++) tile[c * STRIP + p] = (real)(0);
}

/* `ks` (≤ KSTEP, a constant after inlining) channels of a register tile's K loop: their `pv` tile vectors at[0 … pv − 1]
 * loaded first, then OC_TILE·ks·pv FMAs, each weight broadcast from wk (OC_TILE consecutive per channel). */
__attribute__((always_inline)) inline void gemm_k(const int ks, const int pv, realv acc[OC_TILE][PIX_VECS],
                                                  __global const real *CONVCL_RESTRICT wk, __local const real *CONVCL_RESTRICT xk,
                                                  const int *at) {
    realv x[KSTEP][PIX_VECS];
#pragma unroll
    for (int k = 0; k < KSTEP; k++)
#pragma unroll
        for (int j = 0; j < PIX_VECS; j++) if (k < ks && j < pv) x[k][j] = convcl_load_local(xk + k * STRIP + at[j]);
#pragma unroll
    for (int i = 0; i < OC_TILE; i++)
#pragma unroll
        for (int k = 0; k < KSTEP; k++)
#pragma unroll
            for (int j = 0; j < PIX_VECS; j++)
                if (k < ks && j < pv) acc[i][j] = fma((realv)(wk[k * OC_TILE + i]), x[k][j], acc[i][j]);
}

/* Prefetches line l (16 elements) of the next strip's new input: lines_per_plane consecutive lines from pf_at in each
 * input plane (plane_len floats apart). */
inline void prefetch_line(__global const real *pf_at, int lines_per_plane, long plane_len, int l) {
    const int plane = l / lines_per_plane;
    dsblock_prefetch(pf_at + plane * plane_len + (l - plane * lines_per_plane) * 16);
}

/* K steps of a register tile (MID / KSTEP), over which it spreads its prefetches */
#define K_STEPS (MID / KSTEP)

/* One register tile of the pointwise GEMM: output channels o0 … o0 + OC_TILE − 1 (those below oc_end stored) ×
 * the `pv` vectors at tile positions at[0 … pv − 1] of the strip starting at pixel p0 (pv ≤ PIX_VECS, a constant
 * after inlining: the loops run to PIX_VECS, so they unroll into registers, and the `j < pv` tests fold away);
 * len < VEC stores lane by lane. It prefetches the lines pf.x … pf.y − 1 of the next strip's new input (see
 * prefetch_line) one per K step, so they do not all wait for memory at once (issued together at the tile's start,
 * 30 of them for 128→256 stride 2, the GEMM ran 5–13% slower). */
__attribute__((always_inline)) inline void gemm_tile(const int pv, __local const real *CONVCL_RESTRICT tile,
                                                     __global const real *CONVCL_RESTRICT pw_wei, __global const real *CONVCL_RESTRICT pw_bia,
                                                     __global real *CONVCL_RESTRICT dst, const int *at, int n, int p0, int len,
                                                     int c_out, int pixels, int o0, int oc_end, int stream_out,
                                                     __global const real *pf_at, int lines_per_plane, long plane_len,
                                                     int2 pf) {
    realv acc[OC_TILE][PIX_VECS];
#pragma unroll
    for (int i = 0; i < OC_TILE; i++)
#pragma unroll
        for (int j = 0; j < PIX_VECS; j++) if (j < pv) acc[i][j] = (realv)(0);
    __global const real *wk = pw_wei + o0 * MID; /* this register tile's weights: [MID][OC_TILE] */
    __local const real *xk = tile;
    if (K_STEPS == 0) /* no K steps to spread over */
        for (int l = pf.x; l < pf.y; l++) prefetch_line(pf_at, lines_per_plane, plane_len, l);
    int c = 0;
    for (int step = 0; c < MID - MID % KSTEP; c += KSTEP, wk += KSTEP * OC_TILE, xk += KSTEP * STRIP, step++) {
        for (int l = pf.x + step; l < pf.y; l += K_STEPS) prefetch_line(pf_at, lines_per_plane, plane_len, l);
        gemm_k(KSTEP, pv, acc, wk, xk, at);
    }
    for (; c < MID; c++, wk += OC_TILE, xk += STRIP) gemm_k(1, pv, acc, wk, xk, at); /* the MID % KSTEP channels left */
#pragma unroll
    for (int i = 0; i < OC_TILE; i++) {
        const int o = o0 + i;
        if (o >= oc_end) continue;
#if HAS_BIAS
        const realv bias = (realv)(pw_bia[o]);
#else
        const realv bias = (realv)(0);
#endif
        __global real *out = dst + ((size_t)n * c_out + o) * pixels + p0;
#pragma unroll
        for (int j = 0; j < PIX_VECS; j++) {
            if (j >= pv) continue;
            const realv r = convcl_activate_v(acc[i][j] + bias, ACTIVATION);
            if (len >= VEC) {
#if NT_STORE && defined(__clang__)
                if (stream_out && ((size_t)(out + at[j]) & (sizeof(realv) - 1)) == 0)
                    __builtin_nontemporal_store(r, (__global realv *)(out + at[j]));
                else
#endif
                convcl_store_global(out + at[j], r);
            } else {
                convcl_store_lanes(r, out, 0, len);
            }
        }
    }
}

/* 2. The pointwise GEMM of the strip [p0, p0 + len) from its tile for output channels [oc_first, oc_end), in
 * register tiles of OC_TILE channels × PIX_VECS vectors (the strip's last vector shifted back to end at its end;
 * an odd vector left over takes a one-vector tile). Its register tiles share the prefetching of the next strip's
 * new input: `lines` cache lines (16 elements) in total, `lines_per_plane` consecutive ones from pf_at in each input
 * plane of this image. */
void gemm_strip(__local const real *CONVCL_RESTRICT tile, __global const real *CONVCL_RESTRICT pw_wei,
                __global const real *CONVCL_RESTRICT pw_bia, __global real *CONVCL_RESTRICT dst, int n, int p0, int len,
                int c_out, int pixels, int oc_first, int oc_end, __global const real *pf_at, int lines_per_plane,
                int lines, long plane_len, int stream_out) {
    const int vectors = (len + VEC - 1) / VEC;
    const int last_at = max(0, len - VEC);
    const int chunks = (vectors + PIX_VECS - 1) / PIX_VECS, oc_blocks = (oc_end - oc_first + OC_TILE - 1) / OC_TILE;
    const int pf_step = (lines + chunks * oc_blocks - 1) / (chunks * oc_blocks);
    int pf_next = 0;
    for (int t = 0; t < chunks * oc_blocks; t++) {
        /* the remainders as t − q·d, not t % d: LLVM's freeze for a div/rem pair stops Oclgrind's checks */
#if OC_OUTER
        const int q = t / chunks;
        const int v0 = (t - q * chunks) * PIX_VECS, o0 = oc_first + q * OC_TILE;
#else
        const int q = t / oc_blocks;
        const int v0 = q * PIX_VECS, o0 = oc_first + (t - q * oc_blocks) * OC_TILE;
#endif
        const int2 pf = (int2)(pf_next, min(lines, pf_next + pf_step));
        pf_next = pf.y;
        int at[PIX_VECS];
#pragma unroll
        for (int j = 0; j < PIX_VECS; j++) at[j] = min((v0 + j) * VEC, last_at);
        if (v0 + PIX_VECS <= vectors)
            gemm_tile(PIX_VECS, tile, pw_wei, pw_bia, dst, at, n, p0, len, c_out, pixels, o0, oc_end, stream_out, pf_at,
                      lines_per_plane, plane_len, pf);
        else
            for (int j = 0; v0 + j < vectors; j++)
                gemm_tile(1, tile, pw_wei, pw_bia, dst, at + j, n, p0, len, c_out, pixels, o0, oc_end, stream_out, pf_at,
                          lines_per_plane, plane_len, j == 0 ? pf : (int2)(0, 0));
    }
}

__kernel __attribute__((reqd_work_group_size(LOCAL_X, 1, 1)))
void conv2d_dsblock(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT dw_wei,
                    __global const real *CONVCL_RESTRICT dw_bia, __global const real *CONVCL_RESTRICT pw_wei,
                    __global const real *CONVCL_RESTRICT pw_bia, __global real *CONVCL_RESTRICT dst,
                    const int n_batch, const int c_in, const int h_in, const int w_in,
                    const int c_out, const int h_out, const int w_out, const int pad_top, const int pad_left,
                    const int oc_per_item, const int strip_len, const int strips_per_item,
                    const int stream_out) {
    __local real tiles[LOCAL_X * MID * STRIP];
    __local real *tile = tiles + (int)get_local_id(0) * (MID * STRIP);
    const int pixels = h_out * w_out;
    const int strips = (pixels + strip_len - 1) / strip_len;
    const int strip_first = (int)get_global_id(0) * strips_per_item;
    const int n = (int)get_global_id(2);
    const int oc_first = (int)get_global_id(1) * oc_per_item;
    if (strip_first >= strips || n >= n_batch || oc_first >= c_out) return;
    const int oc_end = min(c_out, oc_first + oc_per_item);
    const int strip_end = min(strips, strip_first + strips_per_item);
    const long plane_len = (long)h_in * w_in;
    __global const real *image = src + (long)n * c_in * plane_len;

    for (int s = strip_first; s < strip_end; s++) {
        const int2 span = strip_span(s, strip_len, pixels);
        dw_strip(tile, src, dw_wei, dw_bia, n, span.x, span.y, n_batch, c_in, h_in, w_in, w_out, pad_top, pad_left);
        /* the next strip's input rows this strip did not read, prefetched during this strip's GEMM */
        int lines_per_plane = 0;
        __global const real *pf_at = image;
        if (PREFETCH && s + 1 < strip_end) {
            const int2 next = strip_span(s + 1, strip_len, pixels);
            const int2 now_rows = input_rows(span.x / w_out, (span.x + span.y - 1) / w_out, h_in, pad_top);
            const int2 next_rows = input_rows(next.x / w_out, (next.x + next.y - 1) / w_out, h_in, pad_top);
            const int first = max(next_rows.x, now_rows.y + 1);
            if (first <= next_rows.y) {
                pf_at = image + (long)first * w_in;
                lines_per_plane = ((next_rows.y - first + 1) * w_in + 15) / 16 + 1;
            }
        }
        gemm_strip(tile, pw_wei, pw_bia, dst, n, span.x, span.y, c_out, pixels, oc_first, oc_end, pf_at,
                   lines_per_plane, lines_per_plane * c_in, plane_len, stream_out);
    }
}
