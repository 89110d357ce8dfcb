/*
 * conv2d_dsblock.cl — a fused depthwise-separable block in one kernel: depthwise (γ = DEPTH_MULT, KH×KW,
 * stride, dilation, padding) + its folded bias/batch-norm + DW_ACTIVATION, then pointwise MID → c_out + its
 * folded bias/batch-norm + ACTIVATION. The depthwise output never goes to global memory.
 *
 * Pixels come in segments of SEG consecutive outputs of one row, numbered oy·ceil(w_out / SEG) + x / SEG;
 * a row's last segment is shifted back to end at the row's last output (rewriting a few outputs of its
 * neighbour with identical values) unless the row is narrower than SEG. A work-group owns PIX_SEGS
 * consecutive segments of one image and OC_ITEMS·OC_TILE output channels (normally all of them):
 *   1. it computes the depthwise output of its segments for all MID intermediate channels once, into the
 *      local tile mid[MID][PIX_SEGS·SEG] (work-item (lx, ly) does segment lx, channels ly, ly + OC_ITEMS, …);
 *      padding taps are skipped (lanes selected, never multiplied by a padded zero);
 *   2. after one barrier, work-item (lx, ly) accumulates OC_TILE output channels × SEG pixels of segment lx
 *      from the tile in SEG-wide vector registers, walking K = MID in steps of KSTEP, exactly as
 *      conv2d_pointwise.cl does from global memory, then applies the epilogue and stores.
 * Output channels past c_out are computed on a clamped weight row and not stored.
 * Grid: dim0 = ceil(h_out·ceil(w_out / SEG) / PIX_SEGS)·PIX_SEGS, dim1 = ceil(c_out / (OC_ITEMS·OC_TILE))·OC_ITEMS,
 *       dim2 = n_batch; local size (PIX_SEGS, OC_ITEMS, 1). More than one group along dim1 recomputes the tile.
 *
 * Required defines: KH, KW (kernel), SH, SW (stride), DH, DW (dilation), DEPTH_MULT (γ), MID (intermediate
 *   channels), SEG (pixels per segment: 8 or 16), PIX_SEGS, OC_ITEMS (local size), DW_ACTIVATION (0 none,
 *   1 ReLU, 2 ReLU6 after the depthwise bias), and HAS_BIAS, ACTIVATION (convcl_common.h, pointwise step).
 * Optional defines: OC_TILE (output channels per work-item), default 8; KSTEP (1, 2, 4, 8 or 16), default 8.
 * Arguments:
 *   src [n_batch][c_in][h_in][w_in], dw_wei [MID][KH][KW], dw_bia [MID] (always read: zeros when the depthwise
 *   step has no bias), pw_wei [c_out][MID], pw_bia [c_out] (read only when HAS_BIAS),
 *   dst [n_batch][c_out][h_out][w_out], then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out, pad_top,
 *   pad_left (bottom/right padding is implied by h_out, w_out).
 */
#if !defined(KH) || !defined(KW)
#error "KH and KW (kernel height and width) must be defined"
#endif
#if !defined(SH) || !defined(SW)
#error "SH and SW (strides) must be defined"
#endif
#if !defined(DH) || !defined(DW)
#error "DH and DW (dilations) must be defined"
#endif
#ifndef DEPTH_MULT
#error "DEPTH_MULT (depth multiplier of the depthwise step) must be defined"
#endif
#ifndef MID
#error "MID (intermediate channels, c_in·γ) must be defined"
#endif
#if !defined(PIX_SEGS) || !defined(OC_ITEMS)
#error "PIX_SEGS and OC_ITEMS (local size) must be defined"
#endif
#ifndef DW_ACTIVATION
#error "DW_ACTIVATION must be defined: 0 (none), 1 (relu) or 2 (relu6)"
#endif
#ifndef OC_TILE
#define OC_TILE 8
#endif
#ifndef KSTEP
#define KSTEP 8
#endif
#if !defined(SEG)
#error "SEG (pixels per segment: 8 or 16) must be defined"
#elif SEG == 16
typedef float16 floatv;
typedef int16 intv;
#define VLOADV vload16
#define VSTOREV vstore16
#define LANE_IOTA ((intv)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))
#elif SEG == 8
typedef float8 floatv;
typedef int8 intv;
#define VLOADV vload8
#define VSTOREV vstore8
#define LANE_IOTA ((intv)(0, 1, 2, 3, 4, 5, 6, 7))
#else
#error "SEG must be 8 or 16"
#endif
#define DS_CAT_(a, b) a##b
#define DS_CAT(a, b) DS_CAT_(a, b)
#if KSTEP == 1
#define KFLOAT float
#define KLOAD(i, p) ((p)[i])
#else
#define KFLOAT DS_CAT(float, KSTEP)
#define KLOAD(i, p) DS_CAT(vload, KSTEP)(i, p)
#endif

#define TILE_P (PIX_SEGS * SEG)
/* floats the direct tap load reads from the tap's first input: stride 2 takes the even lanes of 2·SEG */
#define TAP_READ (SW == 1 ? SEG : (SW == 2 ? 2 * SEG : (SEG - 1) * SW + 1))

/* ReLU / ReLU6 on a vector by comparisons, so NaN passes through as in convcl_epilogue. */
inline floatv activate(floatv v, const int code) {
    if (code >= 1) v = select(v, (floatv)(0.0f), v < (floatv)(0.0f));
    if (code == 2) v = select(v, (floatv)(6.0f), v > (floatv)(6.0f));
    return v;
}

/* The SEG taps row[t·SW] (t = 0 … SEG−1) when all TAP_READ floats from row lie inside the row. */
inline floatv taps_inside(__global const float *row) {
#if SW == 1
    return VLOADV(0, row);
#elif SW == 2
    const floatv a = VLOADV(0, row), b = VLOADV(0, row + SEG);
    return (floatv)(a.even, b.even);
#else
    float t[SEG];
#pragma unroll
    for (int i = 0; i < SEG; i++) t[i] = row[i * SW];
    return VLOADV(0, t);
#endif
}

/* The SEG taps row[ix + t·SW] for any ix, clamped into the row (the lanes outside it are masked by the caller). */
inline floatv taps_clamped(__global const float *row, int ix, int w_in) {
    float t[SEG];
#pragma unroll
    for (int i = 0; i < SEG; i++) t[i] = row[clamp(ix + i * SW, 0, w_in - 1)];
    return VLOADV(0, t);
}

/* Component k of a KSTEP-wide weight vector (k is a compile-time constant after unrolling). */
inline float kcomp(KFLOAT v, int k) {
#if KSTEP == 1
    return v;
#else
    float parts[KSTEP];
    DS_CAT(vstore, KSTEP)(v, 0, parts);
    return parts[k];
#endif
}

__kernel __attribute__((reqd_work_group_size(PIX_SEGS, OC_ITEMS, 1)))
void conv2d_dsblock(__global const float *restrict src, __global const float *restrict dw_wei,
                    __global const float *restrict dw_bia, __global const float *restrict pw_wei,
                    __global const float *restrict pw_bia, __global float *restrict dst,
                    const int n_batch, const int c_in, const int h_in, const int w_in,
                    const int c_out, const int h_out, const int w_out, const int pad_top, const int pad_left) {
    __local float mid[MID * TILE_P];
    const int lx = (int)get_local_id(0);
    const int ly = (int)get_local_id(1);
    const int segs_x = (w_out + SEG - 1) / SEG;
    const int seg = (int)get_global_id(0);
    const int n = (int)get_global_id(2);
    const bool seg_ok = seg < h_out * segs_x && n < n_batch;
    const int oy = seg_ok ? seg / segs_x : 0;
    const bool whole = w_out >= SEG;
    int ox0 = seg_ok ? (seg - oy * segs_x) * SEG : 0;
    if (whole) ox0 = min(ox0, w_out - SEG);
    __local float *column = mid + lx * SEG;

    /* 1. the depthwise tile: every intermediate channel of this work-group's segments, once. A segment whose
     * taps all lie inside the row loads them directly; otherwise padding lanes are skipped by selecting the old
     * value (never multiplied by a padded zero): the taps come from the same direct loads running into the
     * neighbouring rows when the row's whole read stays inside the buffer, else from clamped reads. */
    if (seg_ok) {
        const int iy0 = oy * SH - pad_top;
        const int ix0 = ox0 * SW - pad_left;
        const int span = (KW - 1) * DW + TAP_READ; /* floats the direct loads of one row read from ix0 */
        const bool interior = ix0 >= 0 && ix0 + span <= w_in;
        const long src_len = (long)n_batch * c_in * h_in * w_in;
        intv valid[KW];
#pragma unroll
        for (int kx = 0; kx < KW; kx++) {
            const intv x = (intv)(ix0 + kx * DW) + LANE_IOTA * SW;
            valid[kx] = (x >= (intv)(0)) & (x < (intv)(w_in));
        }
        for (int c = ly; c < MID; c += OC_ITEMS) {
            const long plane_at = ((long)n * c_in + c / DEPTH_MULT) * h_in * w_in;
            __global const float *w = dw_wei + c * (KH * KW);
            floatv v = (floatv)(0.0f);
#pragma unroll
            for (int ky = 0; ky < KH; ky++) {
                const int iy = iy0 + ky * DH;
                if (iy < 0 || iy >= h_in) continue; /* a padded row: skipped */
                const long row_at = plane_at + (long)iy * w_in;
                __global const float *row = src + row_at;
                if (interior) {
#pragma unroll
                    for (int kx = 0; kx < KW; kx++) v = fma(taps_inside(row + ix0 + kx * DW), (floatv)(w[ky * KW + kx]), v);
                } else if (SW <= 2 && row_at + ix0 >= 0 && row_at + ix0 + span <= src_len) {
#pragma unroll
                    for (int kx = 0; kx < KW; kx++) {
                        const floatv t = taps_inside(row + ix0 + kx * DW);
                        v = select(v, fma(t, (floatv)(w[ky * KW + kx]), v), valid[kx]);
                    }
                } else {
#pragma unroll
                    for (int kx = 0; kx < KW; kx++) {
                        const floatv t = taps_clamped(row, ix0 + kx * DW, w_in);
                        v = select(v, fma(t, (floatv)(w[ky * KW + kx]), v), valid[kx]);
                    }
                }
            }
            VSTOREV(activate(v + (floatv)(dw_bia[c]), DW_ACTIVATION), 0, column + c * TILE_P);
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);

    /* 2. the pointwise GEMM from the tile: OC_TILE channels × SEG pixels in registers */
    const int o0 = ((int)get_group_id(1) * OC_ITEMS + ly) * OC_TILE;
    if (!seg_ok || o0 >= c_out) return;
    __global const float *w[OC_TILE];
#pragma unroll
    for (int i = 0; i < OC_TILE; i++) w[i] = pw_wei + min(o0 + i, c_out - 1) * MID;
    floatv acc[OC_TILE];
#pragma unroll
    for (int i = 0; i < OC_TILE; i++) acc[i] = (floatv)(0.0f);

    for (int c = 0; c + KSTEP <= MID; c += KSTEP) {
        floatv x[KSTEP];
#pragma unroll
        for (int k = 0; k < KSTEP; k++) x[k] = VLOADV(0, column + (c + k) * TILE_P);
#pragma unroll
        for (int i = 0; i < OC_TILE; i++) {
            const KFLOAT wv = KLOAD(0, w[i] + c);
#pragma unroll
            for (int k = 0; k < KSTEP; k++) acc[i] = fma((floatv)(kcomp(wv, k)), x[k], acc[i]);
        }
    }
#pragma unroll
    for (int c = MID - MID % KSTEP; c < MID; c++) {
        const floatv x = VLOADV(0, column + c * TILE_P);
#pragma unroll
        for (int i = 0; i < OC_TILE; i++) acc[i] = fma((floatv)(w[i][c]), x, acc[i]);
    }

    const int lanes = min(SEG, w_out - ox0);
#pragma unroll
    for (int i = 0; i < OC_TILE; i++) {
        const int o = o0 + i;
        if (o >= c_out) break;
        floatv r = acc[i];
#if HAS_BIAS
        r += (floatv)(pw_bia[o]);
#endif
        r = activate(r, ACTIVATION);
        __global float *out = dst + (((size_t)n * c_out + o) * h_out + oy) * w_out + ox0;
        if (lanes == SEG) {
            VSTOREV(r, 0, out);
        } else {
            float tail[SEG];
            VSTOREV(r, 0, tail);
            for (int t = 0; t < lanes; t++) out[t] = tail[t];
        }
    }
}
