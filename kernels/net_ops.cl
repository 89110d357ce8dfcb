/*
 * net_ops.cl — the operators of a network besides convolutions (org.convcl.TensorOps), so that a network on OpenCL
 * stays on the device from input to logits. One work-item computes one output element; the grid is padded up to the
 * local size and a work-item past the output returns at once (no barriers in this file). Every read
 * is of an element inside its buffer: indices come from the output index and the strides and sizes given, and a
 * pooling tap outside the input is skipped before it is read.
 *
 * Required defines: HAS_BIAS, ACTIVATION (convcl_common.h; unused here, 0 and 0).
 * Optional defines: none.
 *
 * The elementwise function fn (org.convcl.Pointwise.Kind codes, NET_FN_* below) with parameters fa, fb is applied
 * by net_pointwise and after net_binary's operator; NaN passes through each (comparisons, not fmax / fmin).
 *
 * Kernels and arguments:
 *   net_pointwise(src, dst, count, fn, fa, fb)                       dst[i] = fn(src[i])
 *   net_binary(a, b, dst, hw, w, planes, c, a_mode, a_sn, a_sc, a_sh, a_sw, b_mode, b_sn, b_sc, b_sh, b_sw, op, fn,
 *              fa, fb)                                           grid h·w × planes (planes = n·c of dst)
 *       dst [planes / c][c][hw / w][w] = fn(a op b) with broadcasting: each operand read by its mode (NET_FULL,
 *       NET_PER_PLANE, or NET_STRIDED at n·s_n + c·s_c + y·s_h + x·s_w, stride 0 along a dimension of size 1);
 *       op 0 adds, 1 multiplies (TensorOps.Binary codes)
 *   net_binary4(a, b, dst, hw, planes, a_mode, b_mode, op, fn, fa, fb)   grid h·w / 4 × planes
 *       net_binary when h·w is a multiple of 4 and neither operand is NET_STRIDED: 4 adjacent elements per work-item
 *   net_pool(src, dst, planes, h_in, w_in, h_out, w_out, kind, kh, kw, sh, sw, pad_top, pad_left, pad_bottom,
 *            pad_right, dh, dw, count_include_pad)                grid h_out·w_out × planes
 *       each plane pooled; kind 0 max (a NaN read makes the result NaN), 1 average with PyTorch's divisor (the
 *       window clipped to the padded input when count_include_pad, else the taps read)
 *   net_pool4(same arguments as net_pool)                       grid h_out·ceil(w_out / 4) × planes
 *       net_pool with 4 adjacent outputs along x per work-item (w_out >= 4)
 *   net_max_pool_w3s2(same arguments as net_pool)               grid ceil((hi - lo) / 16)·h_out × planes
 *       net_pool for a max window 3 wide at stride 2 along x (undilated; any height, stride and padding along y),
 *       [lo, hi) the outputs whose 3 columns lie inside the row (hi - lo >= 16): 16 of them per work-item, the
 *       window's rows reduced first as whole vectors, then the columns split into evens and odds; the outputs left
 *       of lo go with a row's first work-item and those from hi on with its last, one by one
 *   net_global_average(src, dst, planes, hw)                     grid planes
 *       the average of each plane of hw elements (a global average pool: net_pool's result for that window)
 *   net_pointwise and net_copy_rows run on a 1-D grid of count work-items.
 *   net_dense(x, wt, bias, dst, rows, k, outputs, has_bias, fn, fa, fb)
 *       grid ceil(outputs / NET_DENSE_VEC) × ceil(rows / NET_DENSE_ROWS)
 *       dst[r][o] = fn(Σ_i x[r][i]·wt[i][o] + bias[o]) (bias[o] when has_bias, else +0 and bias unread), the sum over
 *       i ascending with fma from +0 (ArrayOps.dense); each work-item computes NET_DENSE_VEC adjacent outputs (vector
 *       loads of a weight row; the last group, when outputs is no multiple, 8 with vector loads when 8 are left, then
 *       one output at a time) for NET_DENSE_ROWS
 *       rows (fewer in the last group: a row past the end is read as the last one and not stored), so the weights,
 *       the large operand, are read once per group of rows
 *   net_copy_rows(src, dst, count, row, dst_row, dst_offset)
 *       src is count / row rows of row elements; row r goes to dst[r·dst_row + dst_offset …]: concatenation along
 *       channels (row = c_in·h·w, dst_row = c_out·h·w) and a plain copy (row = dst_row = count, offset 0)
 */
#define NET_FN_IDENTITY 0
#define NET_FN_RELU 1
#define NET_FN_CLIP 2
#define NET_FN_HARD_SIGMOID 3
#define NET_FN_HARD_SWISH 4
#define NET_FN_SIGMOID 5

/* net_clamp / net_apply on real, net_clamp4 / net_apply4 on real4 (lane by lane: ?: selects per component). */
#define NET_DEFINE_APPLY(T, SUFFIX) \
    inline T net_clamp##SUFFIX(T v, T lower, T upper) { \
        return v < lower ? lower : (v > upper ? upper : v); \
    } \
    inline T net_apply##SUFFIX(T v, int fn, real fa, real fb) { \
        switch (fn) { \
            case NET_FN_RELU: return v < (T)0 ? (T)0 : v; \
            case NET_FN_CLIP: return net_clamp##SUFFIX(v, (T)fa, (T)fb); \
            case NET_FN_HARD_SIGMOID: return net_clamp##SUFFIX((T)fa * v + (T)fb, (T)0, (T)1); \
            case NET_FN_HARD_SWISH: return v * net_clamp##SUFFIX(v * ((real)1 / (real)6) + (T)0.5, (T)0, (T)1); \
            case NET_FN_SIGMOID: return (T)1 / ((T)1 + exp(-v)); \
            default: return v; \
        } \
    }
NET_DEFINE_APPLY(real, )
NET_DEFINE_APPLY(real4, 4)

__kernel void net_pointwise(__global const real *CONVCL_RESTRICT src, __global real *CONVCL_RESTRICT dst,
                            int count, int fn, real fa, real fb) {
    const int i = get_global_id(0);
    if (i >= count) return;
    dst[i] = net_apply(src[i], fn, fa, fb);
}

/* The flat index of operand element (n, ch, y, x), inner = y·w + x, by the operand's layout mode: NET_FULL (the
 * output's shape), NET_PER_PLANE ([n][c][1][1] of the output's n and c) or NET_STRIDED (any broadcast; divisions). */
#define NET_FULL 0
#define NET_PER_PLANE 1
#define NET_STRIDED 2
inline int net_operand_index(int mode, int plane, int inner, int hw, int w, int c, int sn, int sc, int sh, int sw) {
    if (mode == NET_FULL) return plane * hw + inner;
    if (mode == NET_PER_PLANE) return plane;
    const int n = plane / c, ch = plane - n * c; /* no `%`: see net_binary */
    const int y = inner / w, x = inner - y * w;
    return n * sn + ch * sc + y * sh + x * sw;
}

/* Grid: dim0 = h·w (inner), dim1 = n·c (planes). */
__kernel void net_binary(__global const real *a, __global const real *b, __global real *CONVCL_RESTRICT dst,
                         int hw, int w, int planes, int c, int a_mode, int a_sn, int a_sc, int a_sh, int a_sw,
                         int b_mode, int b_sn, int b_sc, int b_sh, int b_sw, int op, int fn, real fa, real fb) {
    const int inner = get_global_id(0), plane = get_global_id(1);
    if (inner >= hw || plane >= planes) return;
    /* quotients and remainders are written q, i − q·d: LLVM rewrites a `%` next to its `/` with a freeze, which
     * Oclgrind's uninitialised-value checker cannot run */
    const real va = a[net_operand_index(a_mode, plane, inner, hw, w, c, a_sn, a_sc, a_sh, a_sw)];
    const real vb = b[net_operand_index(b_mode, plane, inner, hw, w, c, b_sn, b_sc, b_sh, b_sw)];
    dst[plane * hw + inner] = net_apply(op == 0 ? va + vb : va * vb, fn, fa, fb);
}

/* net_binary for h·w a multiple of 4 and both operands NET_FULL or NET_PER_PLANE: 4 adjacent elements per work-item
 * (vector loads and stores). Grid: dim0 = h·w / 4, dim1 = planes. */
__kernel void net_binary4(__global const real *a, __global const real *b, __global real *CONVCL_RESTRICT dst, int hw,
                          int planes, int a_mode, int b_mode, int op, int fn, real fa, real fb) {
    const int quad = get_global_id(0), plane = get_global_id(1);
    if (quad * 4 >= hw || plane >= planes) return;
    const int i = plane * hw + quad * 4;
    const real4 va = a_mode == NET_FULL ? vload4(0, a + i) : (real4)a[plane];
    const real4 vb = b_mode == NET_FULL ? vload4(0, b + i) : (real4)b[plane];
    vstore4(net_apply4(op == 0 ? va + vb : va * vb, fn, fa, fb), 0, dst + i);
}

/* The max (kind 0; a NaN, once taken, stays) or the sum of the window at (y0, x0), its taps outside the input skipped;
 * *taps = the taps read. */
inline real net_window(__global const real *in, int h_in, int w_in, int y0, int x0, int kind, int kh, int kw, int dh,
                       int dw, int *taps) {
    real acc = kind == 0 ? -INFINITY : (real)0;
    int read = 0;
    for (int ky = 0; ky < kh; ky++) {
        const int iy = y0 + ky * dh;
        if (iy < 0 || iy >= h_in) continue;
        for (int kx = 0; kx < kw; kx++) {
            const int ix = x0 + kx * dw;
            if (ix < 0 || ix >= w_in) continue;
            const real v = in[iy * w_in + ix];
            if (kind == 0) acc = isnan(v) || v > acc ? v : acc;
            else acc += v;
            read++;
        }
    }
    *taps = read;
    return acc;
}

/* Grid: dim0 = h_out·w_out (inner), dim1 = planes. */
__kernel void net_pool(__global const real *CONVCL_RESTRICT src, __global real *CONVCL_RESTRICT dst,
                       int planes, int h_in, int w_in, int h_out, int w_out, int kind, int kh, int kw, int sh, int sw,
                       int pad_top, int pad_left, int pad_bottom, int pad_right, int dh, int dw, int count_include_pad) {
    const int inner = get_global_id(0), plane = get_global_id(1);
    if (inner >= h_out * w_out || plane >= planes) return;
    const int oy = inner / w_out, ox = inner - oy * w_out;
    const int y0 = oy * sh - pad_top, x0 = ox * sw - pad_left;
    int taps;
    real acc = net_window(src + plane * h_in * w_in, h_in, w_in, y0, x0, kind, kh, kw, dh, dw, &taps);
    if (kind != 0) {
        int divisor = taps;
        if (count_include_pad) divisor = (min(y0 + kh, h_in + pad_bottom) - y0) * (min(x0 + kw, w_in + pad_right) - x0);
        acc /= (real)divisor;
    }
    dst[plane * h_out * w_out + inner] = acc;
}

/* A global average (net_pool with the window the whole plane, no pads): one plane per work-item, its elements summed in
 * order (the Java definition's order) and divided by their count. Grid: dim0 = planes. */
__kernel void net_global_average(__global const real *CONVCL_RESTRICT src, __global real *CONVCL_RESTRICT dst, int planes,
                                 int hw) {
    const int plane = get_global_id(0);
    if (plane >= planes) return;
    __global const real *in = src + plane * hw;
    real acc = (real)0;
    for (int i = 0; i < hw; i++) acc += in[i];
    dst[plane] = acc / (real)hw;
}

/* net_pool with 4 adjacent outputs along x per work-item (vector compares and selects; the taps of the four read
 * by one vector load where the stride along x is 1 or 2 and they lie inside the row, else one by one). Lanes past w_out read clamped elements and are not stored. Grid: dim0 = h_out·ceil(w_out / 4),
 * dim1 = planes. */
__kernel void net_pool4(__global const real *CONVCL_RESTRICT src, __global real *CONVCL_RESTRICT dst,
                        int planes, int h_in, int w_in, int h_out, int w_out, int kind, int kh, int kw, int sh, int sw,
                        int pad_top, int pad_left, int pad_bottom, int pad_right, int dh, int dw, int count_include_pad) {
    const int quads = (w_out + 3) / 4, q = get_global_id(0), plane = get_global_id(1);
    if (q >= h_out * quads || plane >= planes) return;
    const int oy = q / quads, ox = (q - oy * quads) * 4;
    __global const real *in = src + plane * h_in * w_in;
    const int y0 = oy * sh - pad_top;
    const int4 x0 = (int4)(ox, ox + 1, ox + 2, ox + 3) * sw - pad_left;
    real4 acc = kind == 0 ? (real4)(-INFINITY) : (real4)0;
    int4 taps = (int4)0;
    /* stride 1 or 2, no dilation along x, every tap of the four inside the row (8 elements from the first for stride
     * 2): each tap's four values are one vector load */
    const int span = sw == 1 ? 4 : 8;
    const bool vector_taps = dw == 1 && (sw == 1 || sw == 2) && x0.s0 >= 0 && x0.s0 + span - 1 + kw - 1 < w_in;
    for (int ky = 0; ky < kh; ky++) {
        const int iy = y0 + ky * dh;
        if (iy < 0 || iy >= h_in) continue;
        __global const real *row = in + iy * w_in;
        for (int kx = 0; kx < kw; kx++) {
            const int4 ix = x0 + kx * dw;
            /* -1 where the tap is inside the input, else 0; vector operands throughout and select, not && and ?:
             * with scalars mixed in (that form read outside the input on Oclgrind, not on PoCL) */
            const int4 inside = (ix >= (int4)0) & (ix < (int4)w_in);
            const int4 at = clamp(ix, (int4)0, (int4)(w_in - 1));
            const real4 v = !vector_taps ? (real4)(row[at.s0], row[at.s1], row[at.s2], row[at.s3])
                          : sw == 1 ? vload4(0, row + at.s0) : vload8(0, row + at.s0).even;
            if (kind == 0) acc = select(acc, v, inside & (isnan(v) | (v > acc))); /* a NaN, once taken, stays */
            else acc += select((real4)0, v, inside);
            taps -= inside;
        }
    }
    if (kind != 0) {
        int4 divisor = taps;
        if (count_include_pad) {
            divisor = (int4)(min(y0 + kh, h_in + pad_bottom) - y0) * (min(x0 + (int4)kw, (int4)(w_in + pad_right)) - x0);
        }
        acc /= (real4)((real)divisor.s0, (real)divisor.s1, (real)divisor.s2, (real)divisor.s3);
    }
    __global real *out = dst + (plane * h_out + oy) * w_out + ox;
    if (ox + 4 <= w_out) {
        vstore4(acc, 0, out);
    } else {
        real lanes[4];
        vstore4(acc, 0, lanes);
        for (int l = 0; ox + l < w_out; l++) out[l] = lanes[l];
    }
}

/* The max of a and b that keeps a NaN of either, lane by lane (fmax would drop it). */
inline real8 net_max8(real8 a, real8 b) {
    return select(a, b, isnan(b) | (b > a));
}

inline real4 net_max4(real4 a, real4 b) {
    return select(a, b, isnan(b) | (b > a));
}

/* Grid: dim0 = h_out·ceil((hi - lo) / 16) (inner), dim1 = planes; lo and hi as in the header. Columns read by the
 * vectors: 2·x - pad_left .. 2·x - pad_left + 32 for the 16 outputs from x, all inside [0, w_in) for x in [lo, hi - 16]
 * (the last vector of a row starts at hi - 16 and stores only the outputs the one before left). */
__kernel void net_max_pool_w3s2(__global const real *CONVCL_RESTRICT src, __global real *CONVCL_RESTRICT dst,
                                int planes, int h_in, int w_in, int h_out, int w_out, int kind, int kh, int kw, int sh,
                                int sw, int pad_top, int pad_left, int pad_bottom, int pad_right, int dh, int dw,
                                int count_include_pad) {
    const int lo = (pad_left + 1) / 2, hi = min(w_out, (w_in - 3 + pad_left) / 2 + 1);
    const int vectors = (hi - lo + 15) / 16, v = get_global_id(0), plane = get_global_id(1);
    if (v >= h_out * vectors || plane >= planes) return;
    const int oy = v / vectors, k = v - oy * vectors;
    const int first = lo + 16 * k, x = min(first, hi - 16), y0 = oy * sh - pad_top;
    __global const real *in = src + plane * h_in * w_in;
    __global real *out = dst + (plane * h_out + oy) * w_out;
    /* the window's rows reduced over the run's columns 8q..8q+7 (c[q]) and 8q+2..8q+9 (d[q]; d[3] from column 25, so
     * the last read is column 32): outputs 4q..4q+3 take the even, odd and next-even columns from c[q] and d[q], the
     * third column coming from loads shifted in memory rather than from lanes shifted in registers (swizzles of 16-wide
     * vectors drew false uninitialised-value reports from Oclgrind) */
    real8 c0 = (real8)(-INFINITY), c1 = c0, c2 = c0, c3 = c0, d0 = c0, d1 = c0, d2 = c0, d3 = c0;
    for (int ky = 0; ky < kh; ky++) {
        const int iy = y0 + ky * dh;
        if (iy < 0 || iy >= h_in) continue;
        __global const real *row = in + iy * w_in + 2 * x - pad_left;
        c0 = net_max8(c0, vload8(0, row));
        c1 = net_max8(c1, vload8(0, row + 8));
        c2 = net_max8(c2, vload8(0, row + 16));
        c3 = net_max8(c3, vload8(0, row + 24));
        d0 = net_max8(d0, vload8(0, row + 2));
        d1 = net_max8(d1, vload8(0, row + 10));
        d2 = net_max8(d2, vload8(0, row + 18));
        d3 = net_max8(d3, vload8(0, row + 25));
    }
    const real4 m0 = net_max4(net_max4(c0.even, c0.odd), d0.even), m1 = net_max4(net_max4(c1.even, c1.odd), d1.even);
    const real4 m2 = net_max4(net_max4(c2.even, c2.odd), d2.even), m3 = net_max4(net_max4(c3.even, c3.odd), d3.odd);
    if (x == first) {
        vstore4(m0, 0, out + x);
        vstore4(m1, 1, out + x);
        vstore4(m2, 2, out + x);
        vstore4(m3, 3, out + x);
    } else {
        real lanes[16];
        vstore4(m0, 0, lanes);
        vstore4(m1, 1, lanes);
        vstore4(m2, 2, lanes);
        vstore4(m3, 3, lanes);
        for (int l = first - x; l < 16; l++) out[x + l] = lanes[l];
    }
    int taps;
    if (k == 0) {
        for (int e = 0; e < lo; e++) out[e] = net_window(in, h_in, w_in, y0, 2 * e - pad_left, 0, kh, 3, dh, 1, &taps);
    }
    if (k == vectors - 1) {
        for (int e = hi; e < w_out; e++) out[e] = net_window(in, h_in, w_in, y0, 2 * e - pad_left, 0, kh, 3, dh, 1, &taps);
    }
}

__kernel void net_copy_rows(__global const real *CONVCL_RESTRICT src, __global real *CONVCL_RESTRICT dst,
                            int count, int row, int dst_row, int dst_offset) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const int r = i / row;
    dst[r * dst_row + dst_offset + (i - r * row)] = src[i];
}

/* Stores fn of each lane of v at p[0..15]. */
inline void net_store16(__global real *p, real16 v, int fn, real fa, real fb) {
    real lanes[16];
    vstore16(v, 0, lanes);
    for (int l = 0; l < 16; l++) p[l] = net_apply(lanes[l], fn, fa, fb);
}

/* Grid: dim0 = groups of NET_DENSE_VEC outputs, dim1 = groups of NET_DENSE_ROWS rows (local size 1 along it, so the
 * group's row count is uniform). */
#define NET_DENSE_ROWS 4
#define NET_DENSE_VEC 16
__kernel void net_dense(__global const real *x, __global const real *wt, __global const real *bias,
                        __global real *CONVCL_RESTRICT dst, int rows, int k, int outputs, int has_bias, int fn, real fa,
                        real fb) {
    const int o = get_global_id(0) * NET_DENSE_VEC, r0 = get_global_id(1) * NET_DENSE_ROWS;
    if (o >= outputs || r0 >= rows) return;
    const int count = min(rows - r0, NET_DENSE_ROWS);
    if (o + NET_DENSE_VEC > outputs) { /* the last, partial group: 8 outputs with vector loads, then one at a time, a row at a time */
        int j0 = o;
        if (o + 8 <= outputs) {
            for (int r = r0; r < r0 + count; r++) {
                real8 acc = (real8)0;
                for (int i = 0; i < k; i++) acc = fma(vload8(0, wt + i * outputs + o), (real8)x[r * k + i], acc);
                real lanes[8];
                vstore8(acc, 0, lanes);
                for (int l = 0; l < 8; l++) dst[r * outputs + o + l] = net_apply(lanes[l] + (has_bias ? bias[o + l] : (real)0), fn, fa, fb);
            }
            j0 = o + 8;
        }
        for (int j = j0; j < outputs; j++) {
            for (int r = r0; r < r0 + count; r++) {
                real acc = (real)0;
                for (int i = 0; i < k; i++) acc = fma(wt[i * outputs + j], x[r * k + i], acc);
                dst[r * outputs + j] = net_apply(acc + (has_bias ? bias[j] : (real)0), fn, fa, fb);
            }
        }
        return;
    }
    real16 b = (real16)0;
    if (has_bias) b = vload16(0, bias + o);
    __global const real *x0 = x + r0 * k;
    if (count == 1) {
        real16 a0 = (real16)0;
        for (int i = 0; i < k; i++) a0 = fma(vload16(0, wt + i * outputs + o), (real16)x0[i], a0);
        net_store16(dst + r0 * outputs + o, a0 + b, fn, fa, fb);
        return;
    }
    __global const real *x1 = x + (r0 + 1) * k; /* count >= 2; rows past the last are read as the last, not stored */
    __global const real *x2 = x + min(r0 + 2, rows - 1) * k;
    __global const real *x3 = x + min(r0 + 3, rows - 1) * k;
    real16 a0 = (real16)0, a1 = (real16)0, a2 = (real16)0, a3 = (real16)0;
    for (int i = 0; i < k; i++) {
        const real16 w = vload16(0, wt + i * outputs + o);
        a0 = fma(w, (real16)x0[i], a0);
        a1 = fma(w, (real16)x1[i], a1);
        a2 = fma(w, (real16)x2[i], a2);
        a3 = fma(w, (real16)x3[i], a3);
    }
    net_store16(dst + r0 * outputs + o, a0 + b, fn, fa, fb);
    net_store16(dst + (r0 + 1) * outputs + o, a1 + b, fn, fa, fb);
    if (count > 2) net_store16(dst + (r0 + 2) * outputs + o, a2 + b, fn, fa, fb);
    if (count > 3) net_store16(dst + (r0 + 3) * outputs + o, a3 + b, fn, fa, fb);
}
