/*
 * conv2d_winograd.cl — the transform kernels of Winograd F(2×2, 3×3) for 3×3, stride-1, dilation-1,
 * groups-1 convolutions with any (asymmetric) padding. A layer runs four launches on one in-order queue:
 *   1. conv2d_winograd_input: V[ξ][c][n·tiles + t] = (Bᵀ d B)[ξ] for each 4×4 input tile d (zeros outside
 *      the image) of output tile t = ty·tiles_x + tx, which covers outputs (2·ty .. 2·ty+1, 2·tx .. 2·tx+1).
 *   2. the pointwise GEMM (conv2d_pointwise.cl built with WEI_BATCH=16, batch = the 16 positions ξ):
 *      M[ξ] = U[ξ] · V[ξ], N = n_batch·tiles, where U[ξ][o][c] = (G g Gᵀ)[ξ] of the 3×3 filter g of (o, c),
 *      transformed once on the host. Putting every image's tiles into N lets one pass over U serve the batch.
 *   3. conv2d_winograd_output: out = Aᵀ M A per tile and output channel, then bias and activation, stored
 *      into NCHW; outputs past h_out or w_out (ragged edges) are not stored.
 *   4. conv2d_winograd_fixup: the non-finite path below (returns at once for finite tiles).
 * Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1], Aᵀ = [1 1 1 0; 0 1 -1 -1].
 *
 * Non-finite values: a NaN or ±Inf in a tile's inputs or in a filter makes some of the 16 M values of that
 * tile non-finite (every transform coefficient touching it is ±1 or ±½, and 0·Inf is NaN); so does overflow.
 * The output kernel then flags the tile (flags [n_batch][tiles], all zero between calls), and a fourth launch,
 * conv2d_winograd_fixup, recomputes every output of each flagged tile directly from src and the
 * untransformed weights, skipping padding, so NaN and ±Inf land exactly where the reference puts them, and
 * clears the flag. The direct path is a separate kernel so that the output transform stays branch-free
 * (a loop in it would stop PoCL from vectorising across work-items).
 *
 * The tile sizes are fixed by F(2×2, 3×3) (2×2 outputs from 4×4 inputs); each transform work-item handles
 * one tile of one channel of one image; work-group sizes are the host's local size (planner).
 * Grids: input dim0 = tiles_y·tiles_x, dim1 = c_in, dim2 = n_batch; output dim0 = tiles_y·tiles_x,
 *   dim1 = c_out, dim2 = n_batch; fixup dim0 = tiles_y·tiles_x, dim1 = n_batch; padded to the local size.
 *
 * Required defines: HAS_BIAS, ACTIVATION (convcl_common.h; the input transform ignores them).
 * Optional defines: none.
 * Arguments:
 *   conv2d_winograd_input:  src [n_batch][c_in][h_in][w_in], v [16][c_in][n_batch·tiles], then int n_batch,
 *     c_in, h_in, w_in, tiles_y, tiles_x, pad_top, pad_left.
 *   conv2d_winograd_output: m [16][c_out][n_batch·tiles], int flags [n_batch][tiles], bia [c_out] (read only
 *     when HAS_BIAS), dst [n_batch][c_out][h_out][w_out], then int n_batch, c_out, h_out, w_out, tiles_y, tiles_x.
 *   conv2d_winograd_fixup: flags, src, wei [c_out][c_in][3][3] (untransformed), bia, dst as above, then int
 *     n_batch, c_in, h_in, w_in, c_out, h_out, w_out, tiles_y, tiles_x, pad_top, pad_left.
 */

/* The first output row and column (y, x) of output tile t (2×2 outputs, tiles numbered row by row, tiles_x per
 * row): the one tile numbering of the three kernels. */
inline int2 winograd_tile_origin(int t, int tiles_x) {
    const int ty = t / tiles_x;
    return (int2)(2 * ty, 2 * (t - ty * tiles_x));
}

__kernel void conv2d_winograd_input(__global const real *CONVCL_RESTRICT src, __global real *CONVCL_RESTRICT v,
                                    const int n_batch, const int c_in, const int h_in, const int w_in,
                                    const int tiles_y, const int tiles_x, const int pad_top, const int pad_left) {
    const int tiles = tiles_y * tiles_x;
    const int t = (int)get_global_id(0);
    const int c = (int)get_global_id(1);
    const int n = (int)get_global_id(2);
    if (t >= tiles || c >= c_in || n >= n_batch) return;
    const int2 origin = winograd_tile_origin(t, tiles_x);
    const int oy0 = origin.x, ox0 = origin.y;
    const int iy0 = oy0 - pad_top;
    const int ix0 = ox0 - pad_left;
    __global const real *plane = src + ((size_t)n * c_in + c) * h_in * w_in;

    /* every input read at a clamped position, then zeroed outside the image: no load depends on a branch */
    real d[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++) {
        const int iy = iy0 + i;
        const bool row_in = iy >= 0 && iy < h_in;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            const int ix = ix0 + j;
            const real x = plane[clamp(iy, 0, h_in - 1) * w_in + clamp(ix, 0, w_in - 1)];
            d[i][j] = row_in && ix >= 0 && ix < w_in ? x : (real)(0);
        }
    }
    real e[4][4]; /* Bᵀ d */
#pragma unroll
    for (int j = 0; j < 4; j++) {
        e[0][j] = d[0][j] - d[2][j];
        e[1][j] = d[1][j] + d[2][j];
        e[2][j] = d[2][j] - d[1][j];
        e[3][j] = d[1][j] - d[3][j];
    }
    const size_t columns = (size_t)n_batch * tiles;
    const size_t xi_stride = (size_t)c_in * columns;
    __global real *out = v + (size_t)c * columns + (size_t)n * tiles + t;
#pragma unroll
    for (int i = 0; i < 4; i++) { /* (Bᵀ d) B, row i */
        out[(4 * i + 0) * xi_stride] = e[i][0] - e[i][2];
        out[(4 * i + 1) * xi_stride] = e[i][1] + e[i][2];
        out[(4 * i + 2) * xi_stride] = e[i][2] - e[i][1];
        out[(4 * i + 3) * xi_stride] = e[i][1] - e[i][3];
    }
}

__kernel void conv2d_winograd_output(__global const real *CONVCL_RESTRICT m, __global int *CONVCL_RESTRICT flags,
                                     __global const real *CONVCL_RESTRICT bia, __global real *CONVCL_RESTRICT dst,
                                     const int n_batch, const int c_out, const int h_out, const int w_out,
                                     const int tiles_y, const int tiles_x CONVCL_RESIDUAL_ARG) {
    const int tiles = tiles_y * tiles_x;
    const int t = (int)get_global_id(0);
    const int o = (int)get_global_id(1);
    const int n = (int)get_global_id(2);
    if (t >= tiles || o >= c_out || n >= n_batch) return;
    const int2 origin = winograd_tile_origin(t, tiles_x);
    const int oy0 = origin.x, ox0 = origin.y;

    const size_t columns = (size_t)n_batch * tiles;
    const size_t xi_stride = (size_t)c_out * columns;
    __global const real *in = m + (size_t)o * columns + (size_t)n * tiles + t;
    real mx[16];
    bool finite = true;
#pragma unroll
    for (int xi = 0; xi < 16; xi++) {
        mx[xi] = in[xi * xi_stride];
        finite = finite && isfinite(mx[xi]);
    }
    if (!finite) flags[n * tiles + t] = 1; /* conv2d_winograd_fixup recomputes the tile */
    real f[2][4]; /* Aᵀ M */
#pragma unroll
    for (int j = 0; j < 4; j++) {
        f[0][j] = mx[j] + mx[4 + j] + mx[8 + j];
        f[1][j] = mx[4 + j] - mx[8 + j] - mx[12 + j];
    }
    real y[2][2]; /* (Aᵀ M) A */
#pragma unroll
    for (int i = 0; i < 2; i++) {
        y[i][0] = f[i][0] + f[i][1] + f[i][2];
        y[i][1] = f[i][1] - f[i][2] - f[i][3];
    }

    const size_t out_at = ((size_t)n * c_out + o) * h_out * w_out;
    __global real *out = dst + out_at;
#pragma unroll
    for (int i = 0; i < 2; i++) {
        const int oy = oy0 + i;
        if (oy >= h_out) break;
#pragma unroll
        for (int j = 0; j < 2; j++) {
            const int ox = ox0 + j;
            if (ox < w_out) out[oy * w_out + ox] = convcl_epilogue_at(y[i][j], bia, o, out_at + oy * w_out + ox CONVCL_RESIDUAL_PASS);
        }
    }
}

/* Tiles whose M held NaN or ±Inf: every output channel's outputs recomputed directly, padding skipped, and the
 * flag cleared for the next call. Unflagged tiles return at once. */
__kernel void conv2d_winograd_fixup(__global int *CONVCL_RESTRICT flags, __global const real *CONVCL_RESTRICT src,
                                    __global const real *CONVCL_RESTRICT wei, __global const real *CONVCL_RESTRICT bia,
                                    __global real *CONVCL_RESTRICT dst, const int n_batch, const int c_in, const int h_in,
                                    const int w_in, const int c_out, const int h_out, const int w_out,
                                    const int tiles_y, const int tiles_x, const int pad_top, const int pad_left
                                    CONVCL_RESIDUAL_ARG) {
    const int tiles = tiles_y * tiles_x;
    const int t = (int)get_global_id(0);
    const int n = (int)get_global_id(1);
    if (t >= tiles || n >= n_batch || flags[n * tiles + t] == 0) return;
    const int2 origin = winograd_tile_origin(t, tiles_x);
    const int oy0 = origin.x, ox0 = origin.y;
    for (int o = 0; o < c_out; o++) {
        for (int oy = oy0; oy < min(oy0 + 2, h_out); oy++) {
            for (int ox = ox0; ox < min(ox0 + 2, w_out); ox++) {
                real acc = (real)(0);
                for (int c = 0; c < c_in; c++) {
                    __global const real *plane = src + ((size_t)n * c_in + c) * h_in * w_in;
                    __global const real *g = wei + ((size_t)o * c_in + c) * 9;
                    for (int ky = 0; ky < 3; ky++) {
                        const int iy = oy - pad_top + ky;
                        if (iy < 0 || iy >= h_in) continue;
                        for (int kx = 0; kx < 3; kx++) {
                            const int ix = ox - pad_left + kx;
                            if (ix >= 0 && ix < w_in) acc = fma(g[ky * 3 + kx], plane[iy * w_in + ix], acc);
                        }
                    }
                }
                const size_t at = (((size_t)n * c_out + o) * h_out + oy) * w_out + ox;
                dst[at] = convcl_epilogue_at(acc, bia, o, at CONVCL_RESIDUAL_PASS);
            }
        }
    }
    flags[n * tiles + t] = 0;
}
