package org.convcl.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.convcl.Activation;

/**
 * The SIMD primitives on the Vector API ({@link FloatVector#SPECIES_PREFERRED}): the GEMM micro-tile keeps
 * {@value #ROWS}×2 vector accumulators in registers (one broadcast weight times two input vectors per row and
 * k step); depthwise rows keep four vector accumulators, along x or over several narrow rows. A whole GEMM tile,
 * and a pair of whole stride-2 depthwise vectors, under a clamp get their bias and clamp in registers; other
 * accumulators go through a scratch array before the epilogue. No vector is passed to a helper method: one that C2 does not inline boxes it (that cost the GEMM tile
 * 10× in a first version, and a clamp helper 2.4×).
 *
 * <p>Loaded only by {@link Simd#preferred()} after it found {@code jdk.incubator.vector} in the boot layer.
 */
final class VectorSimd extends Simd {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** GEMM micro-tile rows; the columns are two vectors. */
    static final int ROWS = 8;
    /** Vector accumulators of one depthwise pass. */
    static final int DW_VECTORS = 4;

    /**
     * Stride-2 phase split of a pair of vectors {@code (v0, v1)}: each vector's even (odd) lanes gathered into its
     * lower half by a one-vector shuffle (source lane {@code 2i (+1) mod L}), then the two halves joined by a blend.
     * Java 17 compiles this far better than the two-vector {@code rearrange(shuffle, v1)}.
     */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> (2 * i) & (L - 1));
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> (2 * i + 1) & (L - 1));
    private static final VectorMask<Float> UPPER_HALF = VectorMask.fromLong(S, ((1L << L) - 1) & -(1L << (L / 2)));

    /** Public for the reflective load in {@link Simd}. */
    public VectorSimd() {}

    /** Independent accumulator vectors of the FMA probe: two FMA ports × a latency of 4–6 cycles need at least 12. */
    private static final int FMA_CHAINS = 12;

    @Override
    int fmasPerStep() {
        return FMA_CHAINS * L;
    }

    @Override
    float fmaBurst(long steps) {
        FloatVector a = FloatVector.broadcast(S, 0.999f), b = FloatVector.broadcast(S, 0.001f);
        FloatVector c0 = FloatVector.broadcast(S, 0f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        FloatVector c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (long i = 0; i < steps; i++) { // c = c·0.999 + 0.001 converges to 1: no overflow, no denormals
            c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b);
            c4 = c4.fma(a, b); c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b);
            c8 = c8.fma(a, b); c9 = c9.fma(a, b); c10 = c10.fma(a, b); c11 = c11.fma(a, b);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    @Override
    int tileRows() {
        return ROWS;
    }

    @Override
    int tileCols() {
        return 2 * L;
    }

    @Override
    int rowScratch(int width) {
        return DW_VECTORS * L;
    }

    @Override
    int rowOverrun() {
        return L;
    }

    @Override
    String describe() {
        return "Vector API " + S.vectorBitSize() + "-bit";
    }

    @Override
    void gemmTile(float[] a, int aOff, float[] b, int bOff, int[] bRows, int depth, float[] out, int outOff,
                  int outStride, int rows, int cols, float[] bias, int biasOff, Activation activation, float[] tile) {
        gemmTileHalves(a, aOff, b, bOff, bOff + L, bRows, depth, out, outOff, outStride, rows, cols, bias, biasOff,
                activation, tile);
    }

    /**
     * The micro-tile: its first vector of columns reads row {@code k} at {@code bOff + bRows[k]}, its second at
     * {@code bOff2 + bRows[k]}.
     */
    @Override
    void gemmTileHalves(float[] a, int aOff, float[] b, int bOff, int bOff2, int[] bRows, int depth, float[] out,
                        int outOff, int outStride, int rows, int cols, float[] bias, int biasOff, Activation activation,
                        float[] tile) {
        int second = bOff2 - bOff;
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        int ak = aOff;
        for (int k = 0; k < depth; k++, ak += ROWS) {
            int bk = bOff + bRows[k];
            FloatVector b0 = FloatVector.fromArray(S, b, bk), b1 = FloatVector.fromArray(S, b, bk + second);
            FloatVector w = FloatVector.broadcast(S, a[ak]);
            c00 = b0.fma(w, c00);
            c01 = b1.fma(w, c01);
            w = FloatVector.broadcast(S, a[ak + 1]);
            c10 = b0.fma(w, c10);
            c11 = b1.fma(w, c11);
            w = FloatVector.broadcast(S, a[ak + 2]);
            c20 = b0.fma(w, c20);
            c21 = b1.fma(w, c21);
            w = FloatVector.broadcast(S, a[ak + 3]);
            c30 = b0.fma(w, c30);
            c31 = b1.fma(w, c31);
            w = FloatVector.broadcast(S, a[ak + 4]);
            c40 = b0.fma(w, c40);
            c41 = b1.fma(w, c41);
            w = FloatVector.broadcast(S, a[ak + 5]);
            c50 = b0.fma(w, c50);
            c51 = b1.fma(w, c51);
            w = FloatVector.broadcast(S, a[ak + 6]);
            c60 = b0.fma(w, c60);
            c61 = b1.fma(w, c61);
            w = FloatVector.broadcast(S, a[ak + 7]);
            c70 = b0.fma(w, c70);
            c71 = b1.fma(w, c71);
        }
        if (rows == ROWS && cols == 2 * L && activation.isClamp()) {
            // A whole tile under a clamp: bias and clamp (Activation.clamp on every lane: comparisons, so NaN passes;
            // NONE's infinite bounds change nothing) in registers, stored straight to the output rows
            FloatVector lo = FloatVector.broadcast(S, activation.lower()), hi = FloatVector.broadcast(S, activation.upper());
            FloatVector bv, x;
            bv = FloatVector.broadcast(S, bias[biasOff]);
            x = c00.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff);
            x = c01.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + L);
            bv = FloatVector.broadcast(S, bias[biasOff + 1]);
            x = c10.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + outStride);
            x = c11.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + outStride + L);
            bv = FloatVector.broadcast(S, bias[biasOff + 2]);
            x = c20.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + 2 * outStride);
            x = c21.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + 2 * outStride + L);
            bv = FloatVector.broadcast(S, bias[biasOff + 3]);
            x = c30.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + 3 * outStride);
            x = c31.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + 3 * outStride + L);
            bv = FloatVector.broadcast(S, bias[biasOff + 4]);
            x = c40.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + 4 * outStride);
            x = c41.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + 4 * outStride + L);
            bv = FloatVector.broadcast(S, bias[biasOff + 5]);
            x = c50.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + 5 * outStride);
            x = c51.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + 5 * outStride + L);
            bv = FloatVector.broadcast(S, bias[biasOff + 6]);
            x = c60.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + 6 * outStride);
            x = c61.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + 6 * outStride + L);
            bv = FloatVector.broadcast(S, bias[biasOff + 7]);
            x = c70.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + 7 * outStride);
            x = c71.add(bv);
            x.blend(lo, x.lt(lo)).blend(hi, x.compare(VectorOperators.GT, hi)).intoArray(out, outOff + 7 * outStride + L);
            return;
        }
        float lower = lowerOf(activation), upper = upperOf(activation);
        // Spill the registers to the scratch tile once, then store through the epilogue row by row: passing the
        // accumulators to a call instead would box them.
        int t = 0;
        c00.intoArray(tile, t); c01.intoArray(tile, t + L); t += 2 * L;
        c10.intoArray(tile, t); c11.intoArray(tile, t + L); t += 2 * L;
        c20.intoArray(tile, t); c21.intoArray(tile, t + L); t += 2 * L;
        c30.intoArray(tile, t); c31.intoArray(tile, t + L); t += 2 * L;
        c40.intoArray(tile, t); c41.intoArray(tile, t + L); t += 2 * L;
        c50.intoArray(tile, t); c51.intoArray(tile, t + L); t += 2 * L;
        c60.intoArray(tile, t); c61.intoArray(tile, t + L); t += 2 * L;
        c70.intoArray(tile, t); c71.intoArray(tile, t + L);
        for (int r = 0; r < rows; r++) {
            int off = outOff + r * outStride;
            float rowBias = bias[biasOff + r];
            store(tile, r * 2 * L, out, off, cols, rowBias, activation, lower, upper);
            if (cols > L) store(tile, r * 2 * L + L, out, off + L, cols - L, rowBias, activation, lower, upper);
        }
    }

    /** True: two loads and FMAs per output vector and one shuffle cost less than splitting every input row. */
    @Override
    boolean stride2OnWholeRows() {
        return true;
    }

    /**
     * Computes every column at full resolution, two vectors per output vector, and keeps the even lanes with the
     * phase-split shuffles; walks the (row, output vector) pairs two at a time, like {@link #depthwiseRows}. A vector
     * whose columns a tap must drop has the loaded values zeroed in those lanes (a comparison of the lane index) before
     * they are multiplied, so only the vectors at a row's ends pay for it.
     */
    @Override
    void depthwiseRowsStride2(float[] src, int[] taps, int[] tapFrom, int[] tapTo, int rowStep, int rows, float[] w,
                              int wOff, int width, float[] out, int outOff, int outRowStride, float bias,
                              Activation activation, float[] acc) {
        FloatVector zero = FloatVector.zero(S), lane = zero.addIndex(1);
        float lower = lowerOf(activation), upper = upperOf(activation);
        boolean inRegisters = activation.isClamp();
        FloatVector lo = FloatVector.broadcast(S, lower), hi = FloatVector.broadcast(S, upper);
        int row = 0, x = 0; // the next pair
        while (row < rows) {
            int r0 = row, x0 = x, r1 = r0, x1 = x0, count = 1;
            if ((x += L) >= width) { x = 0; row++; }
            if (row < rows) {
                r1 = row; x1 = x; count = 2;
                if ((x += L) >= width) { x = 0; row++; }
            }
            int s0 = r0 * rowStep + 2 * x0, s1 = r1 * rowStep + 2 * x1;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, b0 = a0, b1 = a0;
            for (int t = 0; t < taps.length; t++) {
                FloatVector wt = FloatVector.broadcast(S, w[wOff + t]);
                int tap = taps[t];
                FloatVector v0 = FloatVector.fromArray(S, src, tap + s0), v1 = FloatVector.fromArray(S, src, tap + s0 + L);
                FloatVector u0 = FloatVector.fromArray(S, src, tap + s1), u1 = FloatVector.fromArray(S, src, tap + s1 + L);
                if (tapFrom != null) { // full-resolution lane j is output column x0 + j / 2: keep [2(from − x0), 2(to − x0))
                    int from = tapFrom[t], to = tapTo[t];
                    if (x0 < from) {
                        float keep = 2 * (from - x0);
                        v0 = zero.blend(v0, lane.compare(VectorOperators.GE, keep));
                        if (keep > L) v1 = zero.blend(v1, lane.compare(VectorOperators.GE, keep - L));
                    }
                    if (x0 + L > to) {
                        float keep = 2 * (to - x0);
                        if (keep < L) v0 = zero.blend(v0, lane.compare(VectorOperators.LT, keep));
                        v1 = zero.blend(v1, lane.compare(VectorOperators.LT, keep - L));
                    }
                    if (x1 < from) {
                        float keep = 2 * (from - x1);
                        u0 = zero.blend(u0, lane.compare(VectorOperators.GE, keep));
                        if (keep > L) u1 = zero.blend(u1, lane.compare(VectorOperators.GE, keep - L));
                    }
                    if (x1 + L > to) {
                        float keep = 2 * (to - x1);
                        if (keep < L) u0 = zero.blend(u0, lane.compare(VectorOperators.LT, keep));
                        u1 = zero.blend(u1, lane.compare(VectorOperators.LT, keep - L));
                    }
                }
                a0 = v0.fma(wt, a0);
                a1 = v1.fma(wt, a1);
                b0 = u0.fma(wt, b0);
                b1 = u1.fma(wt, b1);
            }
            FloatVector e0 = a0.rearrange(EVEN).blend(a1.rearrange(EVEN), UPPER_HALF);
            FloatVector e1 = b0.rearrange(EVEN).blend(b1.rearrange(EVEN), UPPER_HALF);
            int n0 = runOn(r0, x0, rows, width, outRowStride), n1 = count > 1 ? runOn(r1, x1, rows, width, outRowStride) : 0;
            if (inRegisters && n0 >= L && n1 >= L) { // both whole: bias and clamp in registers, as in gemmTile
                FloatVector v = e0.add(bias);
                v.blend(lo, v.lt(lo)).blend(hi, v.compare(VectorOperators.GT, hi)).intoArray(out, outOff + r0 * outRowStride + x0);
                v = e1.add(bias);
                v.blend(lo, v.lt(lo)).blend(hi, v.compare(VectorOperators.GT, hi)).intoArray(out, outOff + r1 * outRowStride + x1);
                continue;
            }
            e0.intoArray(acc, 0);
            e1.intoArray(acc, L);
            store(acc, 0, out, outOff + r0 * outRowStride + x0, n0, bias, activation, lower, upper);
            if (count > 1) store(acc, L, out, outOff + r1 * outRowStride + x1, n1, bias, activation, lower, upper);
        }
    }

    @Override
    int flatStep() {
        return L;
    }

    @Override
    boolean depthwiseFlatWins() {
        return true;
    }

    /**
     * Two output vectors at a time; the taps of one kernel column are summed first and the sum added under the
     * column's mask (a comparison of {@code cols}), so a dropped lane never reaches the result.
     */
    @Override
    void depthwiseFlat(float[] src, int srcBase, int from, int to, int[] taps, int kw, int[] colShift, float[] cols,
                       int width, float[] w, int wOff, float[] out, int outOff, float bias, Activation activation,
                       float[] acc) {
        if (taps.length == 9 && kw == 3 && colShift[0] <= 0 && colShift[1] == 0 && colShift[2] >= 0) {
            depthwiseFlat3x3(src, srcBase, from, to, taps, colShift, cols, width, w, wOff, out, outOff, bias, activation, acc);
            return;
        }
        float lower = lowerOf(activation), upper = upperOf(activation);
        for (int p = from; p < to; p += 2 * L) {
            int p1 = p + L < to ? p + L : p;
            FloatVector x0 = FloatVector.fromArray(S, cols, p), x1 = FloatVector.fromArray(S, cols, p1);
            FloatVector t0 = FloatVector.zero(S), t1 = t0;
            for (int kx = 0; kx < kw; kx++) {
                FloatVector g0 = FloatVector.zero(S), g1 = g0;
                for (int t = kx; t < taps.length; t += kw) {
                    FloatVector wt = FloatVector.broadcast(S, w[wOff + t]);
                    int s = srcBase + taps[t];
                    g0 = FloatVector.fromArray(S, src, s + p).fma(wt, g0);
                    g1 = FloatVector.fromArray(S, src, s + p1).fma(wt, g1);
                }
                int d = colShift[kx];
                if (d == 0) {
                    t0 = t0.add(g0);
                    t1 = t1.add(g1);
                } else if (d < 0) {
                    t0 = t0.add(g0, x0.compare(VectorOperators.GE, -d));
                    t1 = t1.add(g1, x1.compare(VectorOperators.GE, -d));
                } else {
                    t0 = t0.add(g0, x0.compare(VectorOperators.LT, width - d));
                    t1 = t1.add(g1, x1.compare(VectorOperators.LT, width - d));
                }
            }
            t0.intoArray(acc, 0);
            t1.intoArray(acc, L);
            store(acc, 0, out, outOff + p, Math.min(L, to - p), bias, activation, lower, upper);
            if (p1 != p) store(acc, L, out, outOff + p1, Math.min(L, to - p1), bias, activation, lower, upper);
        }
    }

    /**
     * {@link #depthwiseFlat} of a 3×3 kernel whose middle column has no shift (left one ≤ 0, right one ≥ 0): one
     * vector per step, the nine weights and offsets held across the run, the left and right columns' sums added
     * under one comparison each, the epilogue applied in registers.
     */
    private void depthwiseFlat3x3(float[] src, int srcBase, int from, int to, int[] taps, int[] colShift, float[] cols,
                                  int width, float[] w, int wOff, float[] out, int outOff, float bias,
                                  Activation activation, float[] acc) {
        FloatVector w0 = FloatVector.broadcast(S, w[wOff]), w1 = FloatVector.broadcast(S, w[wOff + 1]);
        FloatVector w2 = FloatVector.broadcast(S, w[wOff + 2]), w3 = FloatVector.broadcast(S, w[wOff + 3]);
        FloatVector w4 = FloatVector.broadcast(S, w[wOff + 4]), w5 = FloatVector.broadcast(S, w[wOff + 5]);
        FloatVector w6 = FloatVector.broadcast(S, w[wOff + 6]), w7 = FloatVector.broadcast(S, w[wOff + 7]);
        FloatVector w8 = FloatVector.broadcast(S, w[wOff + 8]);
        int o0 = srcBase + taps[0], o1 = srcBase + taps[1], o2 = srcBase + taps[2];
        int o3 = srcBase + taps[3], o4 = srcBase + taps[4], o5 = srcBase + taps[5];
        int o6 = srcBase + taps[6], o7 = srcBase + taps[7], o8 = srcBase + taps[8];
        float leftFrom = -colShift[0], rightTo = width - colShift[2]; // columns the left and right sums keep
        boolean inRegisters = activation.isClamp(), clamp = inRegisters && activation != Activation.NONE;
        float lower = lowerOf(activation), upper = upperOf(activation);
        for (int next = from; next < to; next += L) {
            // a last partial vector moves back to end at the run's end when the run holds a whole vector: its
            // lanes recompute outputs already written with the same values and it stays in registers
            int p = next + L > to && inRegisters && to - L >= from ? to - L : next;
            FloatVector l = FloatVector.fromArray(S, src, o0 + p).mul(w0);
            l = FloatVector.fromArray(S, src, o3 + p).fma(w3, l);
            l = FloatVector.fromArray(S, src, o6 + p).fma(w6, l);
            FloatVector c = FloatVector.fromArray(S, src, o1 + p).mul(w1);
            c = FloatVector.fromArray(S, src, o4 + p).fma(w4, c);
            c = FloatVector.fromArray(S, src, o7 + p).fma(w7, c);
            FloatVector r = FloatVector.fromArray(S, src, o2 + p).mul(w2);
            r = FloatVector.fromArray(S, src, o5 + p).fma(w5, r);
            r = FloatVector.fromArray(S, src, o8 + p).fma(w8, r);
            FloatVector x = FloatVector.fromArray(S, cols, p);
            c = c.add(l, x.compare(VectorOperators.GE, leftFrom));
            c = c.add(r, x.compare(VectorOperators.LT, rightTo));
            if (p + L <= to && inRegisters) {
                c = c.add(bias);
                if (clamp) { // Activation.clamp on every lane: comparisons, so NaN passes
                    c = c.blend(lower, c.lt(lower));
                    c = c.blend(upper, c.compare(VectorOperators.GT, upper));
                }
                c.intoArray(out, outOff + p);
            } else {
                c.intoArray(acc, 0);
                store(acc, 0, out, outOff + p, Math.min(L, to - p), bias, activation, lower, upper);
            }
        }
    }

    @Override
    void splitPhases(float[] src, int srcOff, int count, float[] even, int evenOff, float[] odd, int oddOff) {
        int m = 0;
        for (; m <= count - L; m += L) {
            FloatVector v0 = FloatVector.fromArray(S, src, srcOff + 2 * m);
            FloatVector v1 = FloatVector.fromArray(S, src, srcOff + 2 * m + L);
            v0.rearrange(EVEN).blend(v1.rearrange(EVEN), UPPER_HALF).intoArray(even, evenOff + m);
            v0.rearrange(ODD).blend(v1.rearrange(ODD), UPPER_HALF).intoArray(odd, oddOff + m);
        }
        for (; m < count; m++) {
            even[evenOff + m] = src[srcOff + 2 * m];
            odd[oddOff + m] = src[srcOff + 2 * m + 1];
        }
    }

    /** The clamp's lower bound; 0 for HardSwish (unused there). */
    private static float lowerOf(Activation activation) {
        return activation.isClamp() ? activation.lower() : 0f;
    }

    /** The clamp's upper bound; 0 for HardSwish (unused there). */
    private static float upperOf(Activation activation) {
        return activation.isClamp() ? activation.upper() : 0f;
    }

    /**
     * Stores the first {@code min(count, L)} lanes of {@code activation(src[srcOff..] + bias)} at {@code out[off..]}:
     * a whole vector through the registers, a partial one through {@link EpilogueWriter} (Java 17 has no fast masked
     * store). Vectors never cross a call that may not be inlined: C2 would box them. {@code lower} and {@code upper}
     * are the clamp's bounds ({@link #lowerOf}, {@link #upperOf}), read once per kernel call: C2 left
     * {@link Activation#lower()} out of line in the GEMM tile, where it cost 9 % of a pointwise layer.
     */
    private static void store(float[] src, int srcOff, float[] out, int off, int count, float bias, Activation activation,
                              float lower, float upper) {
        if (count < L) {
            EpilogueWriter.write(src, srcOff, out, off, count, bias, activation);
            return;
        }
        FloatVector r = FloatVector.fromArray(S, src, srcOff).add(bias);
        if (activation == Activation.HARDSWISH) { // Activation.hardSwish on every lane
            FloatVector g = r.mul(1f / 6).add(0.5f);
            g = g.blend(0f, g.lt(0f));
            g = g.blend(1f, g.compare(VectorOperators.GT, 1f));
            r = r.mul(g);
        } else if (activation != Activation.NONE) { // Activation.clamp on every lane: comparisons, so NaN passes
            r = r.blend(lower, r.lt(lower));
            r = r.blend(upper, r.compare(VectorOperators.GT, upper));
        }
        r.intoArray(out, off);
    }

    /**
     * Lanes that pair (row, x) may store: the row's remaining {@code width − x}, or a whole vector when the block's
     * rows are contiguous and its excess falls on later rows of the block, which later stores of the call rewrite.
     */
    private static int runOn(int row, int x, int rows, int width, int outRowStride) {
        return outRowStride == width && (rows - row) * width - x >= L ? L : width - x;
    }

    /**
     * Walks the (row, vector) pairs of the block four at a time, so that narrow rows share the four accumulators
     * (a 7- or 14-wide row is one vector, four rows go together) and wide rows use them along x. A short last
     * group repeats its last pair and stores it once.
     */
    @Override
    void depthwiseRows(float[] src, int[] taps, int rowStep, int rows, float[] w, int wOff, int width, float[] out,
                       int outOff, int outRowStride, float bias, Activation activation, float[] acc) {
        float lower = lowerOf(activation), upper = upperOf(activation);
        int row = 0, x = 0; // the next pair
        while (row < rows) {
            int r0 = row, x0 = x, r1 = r0, x1 = x0, r2 = r0, x2 = x0, r3 = r0, x3 = x0, count = 1;
            if ((x += L) >= width) { x = 0; row++; }
            if (row < rows) {
                r1 = row; x1 = x; count = 2;
                if ((x += L) >= width) { x = 0; row++; }
            }
            if (row < rows) {
                r2 = row; x2 = x; count = 3;
                if ((x += L) >= width) { x = 0; row++; }
            } else {
                r2 = r1; x2 = x1;
            }
            if (row < rows) {
                r3 = row; x3 = x; count = 4;
                if ((x += L) >= width) { x = 0; row++; }
            } else {
                r3 = r2; x3 = x2;
            }
            int s0 = r0 * rowStep + x0, s1 = r1 * rowStep + x1, s2 = r2 * rowStep + x2, s3 = r3 * rowStep + x3;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int t = 0; t < taps.length; t++) {
                FloatVector wt = FloatVector.broadcast(S, w[wOff + t]);
                int tap = taps[t];
                a0 = FloatVector.fromArray(S, src, tap + s0).fma(wt, a0);
                a1 = FloatVector.fromArray(S, src, tap + s1).fma(wt, a1);
                a2 = FloatVector.fromArray(S, src, tap + s2).fma(wt, a2);
                a3 = FloatVector.fromArray(S, src, tap + s3).fma(wt, a3);
            }
            a0.intoArray(acc, 0);
            a1.intoArray(acc, L);
            a2.intoArray(acc, 2 * L);
            a3.intoArray(acc, 3 * L);
            store(acc, 0, out, outOff + r0 * outRowStride + x0, runOn(r0, x0, rows, width, outRowStride), bias, activation, lower, upper);
            if (count > 1) store(acc, L, out, outOff + r1 * outRowStride + x1, runOn(r1, x1, rows, width, outRowStride), bias, activation, lower, upper);
            if (count > 2) store(acc, 2 * L, out, outOff + r2 * outRowStride + x2, runOn(r2, x2, rows, width, outRowStride), bias, activation, lower, upper);
            if (count > 3) store(acc, 3 * L, out, outOff + r3 * outRowStride + x3, runOn(r3, x3, rows, width, outRowStride), bias, activation, lower, upper);
        }
    }
}
