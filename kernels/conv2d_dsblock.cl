/*
 * conv2d_dsblock.cl — a fused depthwise-separable block in one kernel: depthwise (γ = DEPTH_MULT, KH×KW,
 * stride, dilation, padding) + its folded bias/batch-norm + DW_ACTIVATION, then pointwise c_mid → c_out +
 * its folded bias/batch-norm + ACTIVATION. The depthwise output never goes to global memory.
 *
 * Pixels are handled in segments of VEC consecutive outputs of one row (explicit float vectors: PoCL does not
 * vectorize across work-items when the body has loops). One work-group owns PIX_ITEMS segments of one image
 * and OC_ITEMS·OC_PER_ITEM consecutive output channels, and walks the c_mid intermediate channels in chunks
 * of CM: first it computes the CM × (PIX_ITEMS·VEC) depthwise tile into local memory (work-item (lx, ly)
 * computes channels ly, ly + OC_ITEMS, … of segment lx); after a barrier each work-item (lx, ly)
 * accumulates OC_PER_ITEM output channels of segment lx from the tile in VEC-wide registers. Each
 * output-channel group recomputes the depthwise tile it needs (the host's block planner bounds that cost).
 * Segments are numbered oy·ceil(w_out / VEC) + x / VEC.
 * Grid: dim0 = ceil(h_out·ceil(w_out / VEC) / PIX_ITEMS)·PIX_ITEMS,
 *       dim1 = ceil(c_out / (OC_ITEMS·OC_PER_ITEM))·OC_ITEMS, dim2 = n_batch; local size (PIX_ITEMS, OC_ITEMS, 1).
 *
 * Required defines: KH, KW (kernel), SH, SW (stride), DH, DW (dilation), DEPTH_MULT (γ), VEC (8 or 16),
 *   PIX_ITEMS, OC_ITEMS, OC_PER_ITEM, CM (tiling), DW_ACTIVATION (0 none, 1 ReLU, 2 ReLU6 after the depthwise
 *   bias), and HAS_BIAS, ACTIVATION (convcl_common.h, for the pointwise step).
 * Optional defines: none.
 * Arguments:
 *   src [n_batch][c_in][h_in][w_in], dw_wei [c_mid][KH][KW], dw_bia [c_mid] (always read: zeros when the
 *   depthwise step has no bias), pw_wei [c_mid][c_out_pad] (transposed, zero-padded to whole channel groups),
 *   pw_bia [c_out] (read only when HAS_BIAS), dst [n_batch][c_out][h_out][w_out], then int n_batch, c_in, h_in,
 *   w_in, c_mid, c_out, h_out, w_out, pad_top, pad_left (bottom/right padding is implied by h_out, w_out).
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
#if !defined(PIX_ITEMS) || !defined(OC_ITEMS) || !defined(OC_PER_ITEM) || !defined(CM)
#error "PIX_ITEMS, OC_ITEMS, OC_PER_ITEM and CM (tiling) must be defined"
#endif
#ifndef DW_ACTIVATION
#error "DW_ACTIVATION must be defined: 0 (none), 1 (relu) or 2 (relu6)"
#endif
#if !defined(VEC)
#error "VEC (pixels per vector: 8 or 16) must be defined"
#elif VEC == 16
typedef float16 floatv;
#define VLOAD vload16
#define VSTORE vstore16
#elif VEC == 8
typedef float8 floatv;
#define VLOAD vload8
#define VSTORE vstore8
#else
#error "VEC must be 8 or 16"
#endif

#define TILE (PIX_ITEMS * VEC)
#define OC_GROUP (OC_ITEMS * OC_PER_ITEM)

/* ReLU / ReLU6 on a vector by comparisons, so NaN passes through as in convcl_epilogue. */
floatv activate(floatv v, const int code) {
    if (code >= 1) v = select(v, (floatv)(0.0f), v < (floatv)(0.0f));
    if (code == 2) v = select(v, (floatv)(6.0f), v > (floatv)(6.0f));
    return v;
}

/* Inputs row[ix + t·SW] for the VEC lanes t, zero outside [0, w_in): one or two vector loads when the span is
 * inside the row and the stride is 1 or 2, lane by lane otherwise. */
floatv load_lanes(__global const float *row, const int ix, const int w_in) {
#if SW == 1
    if (ix >= 0 && ix + VEC <= w_in) return VLOAD(0, row + ix);
#elif SW == 2
    if (ix >= 0 && ix + 2 * VEC <= w_in) {
        const floatv a = VLOAD(0, row + ix), b = VLOAD(0, row + ix + VEC);
        return (floatv)(a.even, b.even);
    }
#endif
    float lanes[VEC];
    for (int t = 0; t < VEC; t++) {
        const int x = ix + t * SW;
        lanes[t] = (x >= 0 && x < w_in) ? row[x] : 0.0f;
    }
    return VLOAD(0, lanes);
}

__kernel __attribute__((reqd_work_group_size(PIX_ITEMS, OC_ITEMS, 1)))
void conv2d_dsblock(__global const float *restrict src, __global const float *restrict dw_wei,
                    __global const float *restrict dw_bia, __global const float *restrict pw_wei,
                    __global const float *restrict pw_bia, __global float *restrict dst,
                    const int n_batch, const int c_in, const int h_in, const int w_in,
                    const int c_mid, const int c_out, const int h_out, const int w_out,
                    const int pad_top, const int pad_left) {
    __local float mid[CM * TILE];
    const int lx = (int)get_local_id(0);
    const int ly = (int)get_local_id(1);
    const int segs_x = (w_out + VEC - 1) / VEC;
    const int seg = (int)get_global_id(0);
    const int n = (int)get_global_id(2);
    const int o0 = ((int)get_group_id(1) * OC_ITEMS + ly) * OC_PER_ITEM;
    const int c_out_pad = (c_out + OC_GROUP - 1) / OC_GROUP * OC_GROUP;
    const bool seg_ok = seg < h_out * segs_x && n < n_batch;
    const int oy = seg_ok ? seg / segs_x : 0;
    const int ox0 = seg_ok ? (seg - oy * segs_x) * VEC : 0;
    const int iy0 = oy * SH - pad_top;
    const int ix0 = ox0 * SW - pad_left;
    __global const float *image = src + (seg_ok ? n : 0) * c_in * h_in * w_in;

    floatv acc[OC_PER_ITEM];
#pragma unroll
    for (int j = 0; j < OC_PER_ITEM; j++) acc[j] = (floatv)(0.0f);

    for (int c0 = 0; c0 < c_mid; c0 += CM) { /* uniform trip count: barriers stay uniform */
        for (int c = ly; c < CM; c += OC_ITEMS) {
            const int cm = c0 + c;
            floatv v = (floatv)(0.0f);
            if (seg_ok && cm < c_mid) {
                __global const float *plane = image + (cm / DEPTH_MULT) * h_in * w_in;
                __global const float *w = dw_wei + cm * (KH * KW);
#pragma unroll
                for (int ky = 0; ky < KH; ky++) {
                    const int iy = iy0 + ky * DH;
                    if (iy < 0 || iy >= h_in) continue;
#pragma unroll
                    for (int kx = 0; kx < KW; kx++) {
                        v += load_lanes(plane + iy * w_in, ix0 + kx * DW, w_in) * w[ky * KW + kx];
                    }
                }
                v = activate(v + dw_bia[cm], DW_ACTIVATION);
            }
            VSTORE(v, 0, mid + c * TILE + lx * VEC);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        const int chunk = min(CM, c_mid - c0);
        __global const float *wrow = pw_wei + c0 * c_out_pad + o0;
        for (int c = 0; c < chunk; c++) {
            const floatv v = VLOAD(0, mid + c * TILE + lx * VEC);
#pragma unroll
            for (int j = 0; j < OC_PER_ITEM; j++) acc[j] = fma((floatv)(wrow[c * c_out_pad + j]), v, acc[j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    if (!seg_ok) return;
    const int lanes = min(VEC, w_out - ox0);
#pragma unroll
    for (int j = 0; j < OC_PER_ITEM; j++) {
        const int o = o0 + j;
        if (o >= c_out) break;
        floatv r = acc[j];
#if HAS_BIAS
        r += pw_bia[o];
#endif
        r = activate(r, ACTIVATION);
        __global float *out = dst + ((n * c_out + o) * h_out + oy) * w_out + ox0;
        if (lanes == VEC) {
            VSTORE(r, 0, out);
        } else {
            float tail[VEC];
            VSTORE(r, 0, tail);
            for (int t = 0; t < lanes; t++) out[t] = tail[t];
        }
    }
}
