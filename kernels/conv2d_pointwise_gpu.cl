/*
 * conv2d_pointwise_gpu.cl — the GPU family's 1x1 convolution (stride 1, no padding, groups 1): a GEMM per image,
 * out[n] = W · X[n] with W [c_out][c_in] (M = c_out, K = c_in) and X[n] [c_in][h·w] (N = h·w), tiled for a
 * work-group of L0 x L1 items that share their operands through local memory.
 *
 * One work-group computes a TILE_M x TILE_N block of out[n]: TILE_M consecutive output channels times TILE_N
 * consecutive pixels (flattened y·w + x) of one image. It walks K in slices of TILE_K input channels: the whole
 * group stages the slice's weight tile (TILE_M x TILE_K, stored transposed) and input tile (TILE_K x TILE_N) in
 * local memory, each item loading (TILE_K·TILE_N + TILE_K·TILE_M) / (L0·L1) elements, so that neighbouring items
 * read neighbouring pixels (input) and neighbouring input channels (weights): coalesced; then a barrier; then every
 * item multiplies its part out of local memory; then a barrier before the next slice. Elements outside W or X
 * (the ragged last slice of K, output channels past c_out, pixels past h·w) are never loaded: their local copies
 * are set to zero instead.
 * One work-item (local ids tx < L0, ty < L1) keeps a WPT_M x WPT_N register block (WPT_M = TILE_M / L1,
 * WPT_N = TILE_N / L0): output channels ty + i·L1 and pixels tx + j·L0 of the group's block (strided, so that
 * neighbouring items store neighbouring pixels); it applies the epilogue (bias, residual, activation) and stores the
 * outputs inside the tensor only.
 * Grid: dim0 = ceil(h·w / TILE_N)·L0, dim1 = ceil(c_out / TILE_M)·L1, dim2 = n_batch; the local size is exactly
 * (L0, L1, 1) (reqd_work_group_size); barriers are reached by every item of a group (no item leaves early).
 *
 * Required defines: TILE_M (output channels per work-group), TILE_N (pixels per work-group), TILE_K (input
 *   channels per local-memory slice), L0 (work-items along the pixels), L1 (work-items along the output channels),
 *   with TILE_N a multiple of L0, TILE_M a multiple of L1, and TILE_K·TILE_N and TILE_K·TILE_M multiples of L0·L1;
 *   and HAS_BIAS, ACTIVATION (convcl_common.h).
 * Optional defines: WEI_BATCH (batched GEMM with cycling weights: image n multiplies weight matrix n % WEI_BATCH
 *   of wei [WEI_BATCH][c_out][c_in]; the Winograd layers use 16), absent by default (one weight matrix).
 * Local memory: (TILE_K·TILE_N + TILE_K·(TILE_M + 1)) reals (the weight tile's rows padded by one).
 * Arguments (shared by all conv2d kernels):
 *   src [n_batch][c_in][h_in][w_in], wei [c_out][c_in], bia [c_out] (read only when HAS_BIAS),
 *   dst [n_batch][c_out][h_out][w_out], then int n_batch, c_in, h_in, w_in, c_out, h_out, w_out,
 *   groups, pad_top, pad_left (here h_out == h_in, w_out == w_in; groups and pads are unused).
 */
#ifndef TILE_M
#error "TILE_M must be defined (output channels per work-group)"
#endif
#ifndef TILE_N
#error "TILE_N must be defined (pixels per work-group)"
#endif
#ifndef TILE_K
#error "TILE_K must be defined (input channels per local-memory slice)"
#endif
#ifndef L0
#error "L0 must be defined (work-items along the pixels)"
#endif
#ifndef L1
#error "L1 must be defined (work-items along the output channels)"
#endif
#if TILE_N % L0 != 0 || TILE_M % L1 != 0
#error "TILE_N must be a multiple of L0 and TILE_M a multiple of L1"
#endif
#define WG_ITEMS (L0 * L1)
#if (TILE_K * TILE_N) % WG_ITEMS != 0 || (TILE_K * TILE_M) % WG_ITEMS != 0
#error "TILE_K * TILE_N and TILE_K * TILE_M must be multiples of L0 * L1"
#endif
#define WPT_M (TILE_M / L1)
#define WPT_N (TILE_N / L0)
#define WEI_ROW (TILE_M + 1) /* padded: the transposed stores of one K slice hit different banks */

__kernel __attribute__((reqd_work_group_size(L0, L1, 1)))
void conv2d_pointwise_gpu(__global const real *CONVCL_RESTRICT src, __global const real *CONVCL_RESTRICT wei,
                          __global const real *CONVCL_RESTRICT bia, __global real *CONVCL_RESTRICT dst,
                          const int n_batch, const int c_in, const int h_in, const int w_in,
                          const int c_out, const int h_out, const int w_out,
                          const int groups, const int pad_top, const int pad_left CONVCL_RESIDUAL_ARG) {
    __local real x_tile[TILE_K * TILE_N];
    __local real w_tile[TILE_K * WEI_ROW];
    const int pixels = h_in * w_in;
    const int tx = (int)get_local_id(0), ty = (int)get_local_id(1);
    const int item = ty * L0 + tx;
    const int p0 = (int)get_group_id(0) * TILE_N;
    const int m0 = (int)get_group_id(1) * TILE_M;
    const int n = (int)get_group_id(2); /* one image per group: the whole group returns here or none of it */
    if (n >= n_batch) return;

    __global const real *x = src + (size_t)n * c_in * pixels;
#ifdef WEI_BATCH
    __global const real *w = wei + (size_t)(n % WEI_BATCH) * c_out * c_in;
#else
    __global const real *w = wei;
#endif

    real acc[WPT_M][WPT_N];
#pragma unroll
    for (int i = 0; i < WPT_M; i++) {
#pragma unroll
        for (int j = 0; j < WPT_N; j++) acc[i][j] = (real)(0);
    }

    for (int k0 = 0; k0 < c_in; k0 += TILE_K) {
        /* stage the slice: element e of a tile is (row e / width, column e % width); items take consecutive e */
#pragma unroll
        for (int r = 0; r < TILE_K * TILE_N / WG_ITEMS; r++) {
            const int e = item + r * WG_ITEMS;
            const int kk = e / TILE_N, pp = e - kk * TILE_N; /* not e % TILE_N: LLVM's freeze for a div/rem pair stops Oclgrind */
            const int k = k0 + kk, p = p0 + pp;
            real v = (real)(0);
            if (k < c_in && p < pixels) v = x[(size_t)k * pixels + p];
            x_tile[kk * TILE_N + pp] = v;
        }
#pragma unroll
        for (int r = 0; r < TILE_K * TILE_M / WG_ITEMS; r++) {
            const int e = item + r * WG_ITEMS;
            const int mm = e / TILE_K, kk = e - mm * TILE_K;
            const int m = m0 + mm, k = k0 + kk;
            real v = (real)(0);
            if (m < c_out && k < c_in) v = w[(size_t)m * c_in + k];
            w_tile[kk * WEI_ROW + mm] = v;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
#pragma unroll 4
        for (int kk = 0; kk < TILE_K; kk++) {
            real a[WPT_M], b[WPT_N];
#pragma unroll
            for (int i = 0; i < WPT_M; i++) a[i] = w_tile[kk * WEI_ROW + ty + i * L1];
#pragma unroll
            for (int j = 0; j < WPT_N; j++) b[j] = x_tile[kk * TILE_N + tx + j * L0];
#pragma unroll
            for (int i = 0; i < WPT_M; i++) {
#pragma unroll
                for (int j = 0; j < WPT_N; j++) acc[i][j] = fma(a[i], b[j], acc[i][j]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    const size_t out_at = (size_t)n * c_out * pixels;
    __global real *out = dst + out_at;
#pragma unroll
    for (int i = 0; i < WPT_M; i++) {
        const int m = m0 + ty + i * L1;
        if (m >= c_out) break;
#pragma unroll
        for (int j = 0; j < WPT_N; j++) {
            const int p = p0 + tx + j * L0;
            const size_t at = (size_t)m * pixels + p;
            if (p < pixels) out[at] = convcl_epilogue_at(acc[i][j], bia, m, out_at + at CONVCL_RESIDUAL_PASS);
        }
    }
}
