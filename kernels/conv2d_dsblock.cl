/*
 * conv2d_dsblock.cl — a fused depthwise-separable block in one kernel: depthwise (γ = DEPTH_MULT, KH×KW,
 * stride, dilation, padding) + its folded bias/batch-norm + DW_ACTIVATION, then pointwise MID → c_out + its
 * folded bias/batch-norm + ACTIVATION. The depthwise output never goes to global memory.
 *
 * Pixels come in segments of SEG consecutive outputs of the flattened image (oy·w_out + ox), like the pointwise
 * GEMM; the image's last segment is shifted back to end at its last pixel (rewriting a few outputs of its
 * neighbour with identical values) unless the image has fewer than SEG pixels. A work-group owns PIX_SEGS
 * consecutive segments of one image and OC_ITEMS·OC_TILE output channels (normally all of them):
 *   1. it computes the depthwise output of its segments for all MID intermediate channels once, into the
 *      local tile mid[MID][PIX_SEGS·SEG] (work-item (lx, ly) does segment lx, channels ly, ly + OC_ITEMS, …):
 *      a segment inside one row with all taps inside the input loads them directly; a segment at the image's
 *      edge or crossing rows adds each row's lanes with padding taps skipped (selected, never multiplied by a
 *      padded zero, so an infinite weight next to padding cannot make NaN);
 *   2. after one barrier, work-item (lx, ly) accumulates OC_TILE output channels × SEG pixels of segment lx
 *      from the tile in SEG-wide vector registers, walking K = MID in steps of KSTEP, exactly as
 *      conv2d_pointwise.cl does from global memory, then applies the epilogue and stores.
 * Output channels past c_out are computed on a clamped weight row and not stored.
 * Grid: dim0 = ceil(ceil(h_out·w_out / SEG) / PIX_SEGS)·PIX_SEGS, dim1 = ceil(c_out / (OC_ITEMS·OC_TILE))·OC_ITEMS,
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

/* acc + the depthwise taps of channel plane `plane_at` for the output row oy, lanes t at x = ox0 + t, only for the
 * lanes set in `lanes` (pixels of this row) whose taps lie inside the input; the other lanes keep acc (padding
 * is skipped, never multiplied by a padded zero). The taps come from direct loads running into the
 * neighbouring rows when the row's whole read stays inside the buffer, else from clamped reads. */
inline floatv dw_masked(floatv acc, __global const float *restrict src, __global const float *restrict w, long plane_at,
                        int oy, int ox0, intv lanes, int h_in, int w_in, int pad_top, int pad_left, long src_len) {
    const int iy0 = oy * SH - pad_top;
    const int ix0 = ox0 * SW - pad_left;
    const int span = (KW - 1) * DW + TAP_READ;
#pragma unroll
    for (int ky = 0; ky < KH; ky++) {
        const int iy = iy0 + ky * DH;
        if (iy < 0 || iy >= h_in) continue; /* a padded row: skipped */
        const long row_at = plane_at + (long)iy * w_in;
        __global const float *row = src + row_at;
        const bool direct = SW <= 2 && row_at + ix0 >= 0 && row_at + ix0 + span <= src_len;
#pragma unroll
        for (int kx = 0; kx < KW; kx++) {
            const int ix = ix0 + kx * DW;
            const intv x = (intv)(ix) + LANE_IOTA * SW;
            const intv ok = lanes & (x >= (intv)(0)) & (x < (intv)(w_in));
            const floatv t = direct ? taps_inside(row + ix) : taps_clamped(row, ix, w_in);
            acc = select(acc, fma(t, (floatv)(w[ky * KW + kx]), acc), ok);
        }
    }
    return acc;
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
    const int pixels = h_out * w_out;
    const int seg = (int)get_global_id(0);
    const int n = (int)get_global_id(2);
    const bool seg_ok = seg < (pixels + SEG - 1) / SEG && n < n_batch;
    const bool whole = pixels >= SEG;
    int p0 = seg_ok ? seg * SEG : 0;
    if (whole) p0 = min(p0, pixels - SEG);
    __local float *column = mid + lx * SEG;

    /* 1. the depthwise tile: every intermediate channel of this work-group's segments, once. A segment inside
     * one row whose taps all lie inside the input loads them directly; otherwise each row the segment touches
     * adds its lanes through dw_masked. */
    if (seg_ok) {
        const int oy0 = p0 / w_out;
        const int ox0 = p0 - oy0 * w_out;
        const int oy_last = min(h_out - 1, (p0 + SEG - 1) / w_out);
        const int span = (KW - 1) * DW + TAP_READ;
        const int ix0 = ox0 * SW - pad_left;
        const bool interior = oy_last == oy0 && ix0 >= 0 && ix0 + span <= w_in;
        const int iy0 = oy0 * SH - pad_top;
        const long src_len = (long)n_batch * c_in * h_in * w_in;
        for (int c = ly; c < MID; c += OC_ITEMS) {
            const long plane_at = ((long)n * c_in + c / DEPTH_MULT) * h_in * w_in;
            __global const float *w = dw_wei + c * (KH * KW);
            floatv v = (floatv)(0.0f);
            if (interior) {
#pragma unroll
                for (int ky = 0; ky < KH; ky++) {
                    const int iy = iy0 + ky * DH;
                    if (iy < 0 || iy >= h_in) continue; /* a padded row: skipped */
                    __global const float *row = src + plane_at + (long)iy * w_in + ix0;
#pragma unroll
                    for (int kx = 0; kx < KW; kx++) v = fma(taps_inside(row + kx * DW), (floatv)(w[ky * KW + kx]), v);
                }
            } else {
                for (int oy = oy0; oy <= oy_last; oy++) {
                    const int rx0 = p0 - oy * w_out; /* x of lane 0 in row oy (negative past the first row) */
                    const intv x = (intv)(rx0) + LANE_IOTA;
                    const intv lanes = (x >= (intv)(0)) & (x < (intv)(w_out));
                    v = dw_masked(v, src, w, plane_at, oy, rx0, lanes, h_in, w_in, pad_top, pad_left, src_len);
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

    const int valid = min(SEG, pixels - p0);
#pragma unroll
    for (int i = 0; i < OC_TILE; i++) {
        const int o = o0 + i;
        if (o >= c_out) break;
        floatv r = acc[i];
#if HAS_BIAS
        r += (floatv)(pw_bia[o]);
#endif
        r = activate(r, ACTIVATION);
        __global float *out = dst + ((size_t)n * c_out + o) * pixels + p0;
        if (valid == SEG) {
            VSTOREV(r, 0, out);
        } else {
            float tail[SEG];
            VSTOREV(r, 0, tail);
            for (int t = 0; t < valid; t++) out[t] = tail[t];
        }
    }
}
