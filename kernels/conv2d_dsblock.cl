/*
 * conv2d_dsblock.cl — a fused depthwise-separable block in one kernel: depthwise (γ = DEPTH_MULT, KH×KW,
 * stride, dilation, padding) + its folded bias/batch-norm + DW_ACTIVATION, then pointwise c_mid → c_out +
 * its folded bias/batch-norm + ACTIVATION. The depthwise output never goes to global memory.
 *
 * One work-group owns TILE_P consecutive output pixels (flattened y·w_out + x) of one image and
 * OC_ITEMS·OC_PER_ITEM consecutive output channels. It walks the c_mid intermediate channels in chunks of CM:
 * first the work-group computes the CM × TILE_P depthwise tile into local memory (work-item (lx, ly)
 * computes channels ly, ly + OC_ITEMS, … of pixel lx); after a barrier each work-item (lx, ly) accumulates
 * its OC_PER_ITEM output channels of pixel lx from the tile, in registers. Each output-channel group
 * recomputes the depthwise tile it needs (the host's planner bounds that cost).
 * Grid: dim0 = ceil(h_out·w_out / TILE_P)·TILE_P, dim1 = ceil(c_out / (OC_ITEMS·OC_PER_ITEM))·OC_ITEMS,
 * dim2 = n_batch; local size exactly (TILE_P, OC_ITEMS, 1).
 *
 * Required defines: KH, KW (kernel), SH, SW (stride), DH, DW (dilation), DEPTH_MULT (γ), TILE_P, OC_ITEMS,
 *   OC_PER_ITEM, CM (tiling), DW_ACTIVATION (0 none, 1 ReLU, 2 ReLU6 after the depthwise bias), and HAS_BIAS,
 *   ACTIVATION (convcl_common.h, for the pointwise step).
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
#if !defined(TILE_P) || !defined(OC_ITEMS) || !defined(OC_PER_ITEM) || !defined(CM)
#error "TILE_P, OC_ITEMS, OC_PER_ITEM and CM (tiling) must be defined"
#endif
#ifndef DW_ACTIVATION
#error "DW_ACTIVATION must be defined: 0 (none), 1 (relu) or 2 (relu6)"
#endif

#define OC_GROUP (OC_ITEMS * OC_PER_ITEM)

/* The depthwise step's activation; NaN passes through as in convcl_epilogue. */
float dw_activation(float v) {
#if DW_ACTIVATION == 1
    v = v < 0.0f ? 0.0f : v;
#elif DW_ACTIVATION == 2
    v = v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);
#endif
    return v;
}

__kernel __attribute__((reqd_work_group_size(TILE_P, OC_ITEMS, 1)))
void conv2d_dsblock(__global const float *restrict src, __global const float *restrict dw_wei,
                    __global const float *restrict dw_bia, __global const float *restrict pw_wei,
                    __global const float *restrict pw_bia, __global float *restrict dst,
                    const int n_batch, const int c_in, const int h_in, const int w_in,
                    const int c_mid, const int c_out, const int h_out, const int w_out,
                    const int pad_top, const int pad_left) {
    __local float mid[CM * TILE_P];
    const int lx = (int)get_local_id(0);
    const int ly = (int)get_local_id(1);
    const int pixels = h_out * w_out;
    const int p = (int)get_global_id(0);
    const int n = (int)get_global_id(2);
    const int o0 = ((int)get_group_id(1) * OC_ITEMS + ly) * OC_PER_ITEM;
    const int c_out_pad = (c_out + OC_GROUP - 1) / OC_GROUP * OC_GROUP;
    const bool pixel_ok = p < pixels && n < n_batch;
    const int oy = pixel_ok ? p / w_out : 0;
    const int ox = pixel_ok ? p - oy * w_out : 0;
    const int iy0 = oy * SH - pad_top;
    const int ix0 = ox * SW - pad_left;
    __global const float *image = src + (pixel_ok ? n : 0) * c_in * h_in * w_in;

    float acc[OC_PER_ITEM];
#pragma unroll
    for (int j = 0; j < OC_PER_ITEM; j++) acc[j] = 0.0f;

    for (int c0 = 0; c0 < c_mid; c0 += CM) { /* uniform trip count: barriers stay uniform */
        for (int c = ly; c < CM; c += OC_ITEMS) {
            const int cm = c0 + c;
            float v = 0.0f;
            if (pixel_ok && cm < c_mid) {
                __global const float *plane = image + (cm / DEPTH_MULT) * h_in * w_in;
                __global const float *w = dw_wei + cm * (KH * KW);
                float s = 0.0f;
#pragma unroll
                for (int ky = 0; ky < KH; ky++) {
                    const int iy = iy0 + ky * DH;
                    if (iy < 0 || iy >= h_in) continue;
#pragma unroll
                    for (int kx = 0; kx < KW; kx++) {
                        const int ix = ix0 + kx * DW;
                        if (ix >= 0 && ix < w_in) s += plane[iy * w_in + ix] * w[ky * KW + kx];
                    }
                }
                v = dw_activation(s + dw_bia[cm]);
            }
            mid[c * TILE_P + lx] = v;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        const int chunk = min(CM, c_mid - c0);
        __global const float *wrow = pw_wei + c0 * c_out_pad + o0;
        for (int c = 0; c < chunk; c++) {
            const float v = mid[c * TILE_P + lx];
#pragma unroll
            for (int j = 0; j < OC_PER_ITEM; j++) acc[j] += wrow[c * c_out_pad + j] * v;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    if (!pixel_ok) return;
    __global float *out = dst + n * c_out * pixels + p;
#pragma unroll
    for (int j = 0; j < OC_PER_ITEM; j++) {
        const int o = o0 + j;
        if (o < c_out) out[o * pixels] = convcl_epilogue(acc[j], pw_bia, o);
    }
}
