package org.convcl.cpu;

import java.util.Arrays;
import org.convcl.Activation;

/**
 * The SIMD primitives as plain loops over contiguous arrays, which the JIT auto-vectorizes: the GEMM
 * micro-tile accumulates {@value #ROWS} rows of {@value #COLS} columns in L1-resident row arrays, each input
 * value feeding the four rows; a depthwise row accumulates tap by tap over the whole row. The {@code tile}
 * scratch of {@link #gemmTile} is not used.
 */
final class ScalarSimd extends Simd {
    static final ScalarSimd INSTANCE = new ScalarSimd();

    /**
     * GEMM micro-tile: 4 output channels × 256 pixels. The rows are long because C2 vectorizes only the main
     * part of a loop, after unrolling it: a 32-column row never reached it.
     */
    static final int ROWS = 4, COLS = 256;

    /** Each thread's four accumulator rows. */
    private static final ThreadLocal<float[][]> ROW_SCRATCH = ThreadLocal.withInitial(() -> new float[ROWS][COLS]);

    private ScalarSimd() {}

    /** Floats the FMA probe updates per step: long enough a loop for C2 to vectorize, short enough for L1. */
    private static final int FMA_SPAN = 256;

    @Override
    int fmasPerStep() {
        return FMA_SPAN;
    }

    /** The loop the JIT vectorizes, each element a chain; it loads and stores its accumulators, so it measures this path, not the FMA units. */
    @Override
    float fmaBurst(long steps) {
        float[] c = new float[FMA_SPAN];
        for (long i = 0; i < steps; i++) {
            for (int j = 0; j < FMA_SPAN; j++) c[j] = Math.fma(c[j], 0.999f, 0.001f);
        }
        float sum = 0;
        for (float v : c) sum += v;
        return sum;
    }

    @Override
    int tileRows() {
        return ROWS;
    }

    @Override
    int tileCols() {
        return COLS;
    }

    @Override
    int rowScratch(int width) {
        return width;
    }

    @Override
    int rowOverrun() {
        return 0;
    }

    @Override
    String describe() {
        return "auto-vectorized loops";
    }

    /**
     * Accumulates into four rows of {@code tile} (at {@code 0, COLS, 2·COLS, 3·COLS}) through row arrays of their
     * own: C2 (Java 17) vectorizes {@code acc[j] += w · b[off + j]} only when the stored array is indexed from 0.
     */
    @Override
    void gemmTile(float[] a, int aOff, float[] b, int bOff, int[] bRows, int depth, float[] out, int outOff,
                  int outStride, int rows, int cols, float[] bias, int biasOff, Activation activation, float[] tile) {
        float[][] acc = ROW_SCRATCH.get();
        float[] a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
        Arrays.fill(a0, 0, cols, 0f);
        Arrays.fill(a1, 0, cols, 0f);
        Arrays.fill(a2, 0, cols, 0f);
        Arrays.fill(a3, 0, cols, 0f);
        for (int k = 0; k < depth; k++) {
            int ak = aOff + k * ROWS, bk = bOff + bRows[k];
            float w0 = a[ak], w1 = a[ak + 1], w2 = a[ak + 2], w3 = a[ak + 3];
            for (int j = 0; j < cols; j++) {
                float v = b[bk + j];
                a0[j] += w0 * v;
                a1[j] += w1 * v;
                a2[j] += w2 * v;
                a3[j] += w3 * v;
            }
        }
        for (int r = 0; r < rows; r++) {
            EpilogueWriter.write(acc[r], 0, out, outOff + r * outStride, cols, bias[biasOff + r], activation);
        }
    }

    /** False: C2 does not vectorize the strided loads, and the phase-split rows are plain runs it does vectorize. */
    @Override
    boolean stride2OnWholeRows() {
        return false;
    }

    @Override
    void depthwiseRowsStride2(float[] src, int[] taps, int[] tapFrom, int[] tapTo, int rowStep, int rows, float[] w,
                              int wOff, int width, float[] out, int outOff, int outRowStride, float bias,
                              Activation activation, float[] acc) {
        for (int r = 0; r < rows; r++) {
            int step = r * rowStep;
            for (int x = 0; x < width; x++) acc[x] = 0f;
            for (int t = 0; t < taps.length; t++) {
                float wt = w[wOff + t];
                int s = taps[t] + step;
                int from = tapFrom == null ? 0 : Math.max(0, tapFrom[t]);
                int to = tapTo == null ? width : Math.min(width, tapTo[t]);
                for (int x = from; x < to; x++) acc[x] += wt * src[s + 2 * x];
            }
            EpilogueWriter.write(acc, 0, out, outOff + r * outRowStride, width, bias, activation);
        }
    }

    @Override
    int flatStep() {
        return 1;
    }

    /** False: the auto-vectorized path keeps the measured row kernel ({@link #depthwiseRows}). */
    @Override
    boolean depthwiseFlatWins() {
        return false;
    }

    /** Row by row: each tap runs over the columns it keeps, a plain loop C2 vectorizes. */
    @Override
    void depthwiseFlat(float[] src, int srcBase, int from, int to, int[] taps, int kw, int[] colShift, float[] cols,
                       int width, float[] w, int wOff, float[] out, int outOff, float bias, Activation activation,
                       float[] acc) {
        for (int p = from; p < to; ) {
            int x0 = p % width, run = Math.min(width - x0, to - p);
            Arrays.fill(acc, 0, run, 0f);
            for (int t = 0; t < taps.length; t++) {
                int d = colShift[t % kw];
                int lo = Math.max(0, -d - x0), hi = Math.min(run, width - d - x0);
                float wt = w[wOff + t];
                int s = srcBase + taps[t] + p;
                for (int i = lo; i < hi; i++) acc[i] += wt * src[s + i];
            }
            EpilogueWriter.write(acc, 0, out, outOff + p, run, bias, activation);
            p += run;
        }
    }

    @Override
    void splitPhases(float[] src, int srcOff, int count, float[] even, int evenOff, float[] odd, int oddOff) {
        for (int m = 0; m < count; m++) {
            even[evenOff + m] = src[srcOff + 2 * m];
            odd[oddOff + m] = src[srcOff + 2 * m + 1];
        }
    }

    @Override
    void depthwiseRows(float[] src, int[] taps, int rowStep, int rows, float[] w, int wOff, int width, float[] out,
                       int outOff, int outRowStride, float bias, Activation activation, float[] acc) {
        for (int r = 0; r < rows; r++) {
            int step = r * rowStep;
            float w0 = w[wOff];
            int s0 = taps[0] + step;
            for (int x = 0; x < width; x++) acc[x] = w0 * src[s0 + x];
            for (int t = 1; t < taps.length; t++) {
                float wt = w[wOff + t];
                int s = taps[t] + step;
                for (int x = 0; x < width; x++) acc[x] += wt * src[s + x];
            }
            EpilogueWriter.write(acc, 0, out, outOff + r * outRowStride, width, bias, activation);
        }
    }

    /** Two {@link #gemmTile} calls, one per half of the tile's columns. */
    @Override
    void gemmTileHalves(float[] a, int aOff, float[] b, int bOff, int bOff2, int[] bRows, int depth, float[] out,
                        int outOff, int outStride, int rows, int cols, float[] bias, int biasOff, Activation activation,
                        float[] tile) {
        int half = COLS / 2;
        gemmTile(a, aOff, b, bOff, bRows, depth, out, outOff, outStride, rows, Math.min(cols, half), bias, biasOff,
                activation, tile);
        if (cols > half) {
            gemmTile(a, aOff, b, bOff2, bRows, depth, out, outOff + half, outStride, rows, cols - half, bias, biasOff,
                    activation, tile);
        }
    }
}
