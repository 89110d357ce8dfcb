package org.convcl.cpu;

import java.util.Arrays;
import org.convcl.Activation;

/**
 * The SIMD primitives as plain loops over contiguous arrays, which the JIT auto-vectorizes: the GEMM
 * micro-tile accumulates in a {@value #ROWS}×{@value #COLS} scratch tile that stays in L1, one row-times-panel
 * update per (k, row); a depthwise row accumulates tap by tap over the whole row.
 */
final class ScalarSimd extends Simd {
    static final ScalarSimd INSTANCE = new ScalarSimd();

    /**
     * GEMM micro-tile: 4 output channels × 256 pixels. The rows are long because C2 vectorizes only the main
     * part of a loop, after unrolling it: a 32-column row never reached it.
     */
    static final int ROWS = 4, COLS = 256;

    private ScalarSimd() {}

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

    @Override
    void gemmTile(float[] a, int aOff, float[] b, int bOff, int depth, float[] out, int outOff, int outStride,
                  int rows, int cols, float[] bias, int biasOff, Activation activation, float[] tile) {
        for (int r = 0; r < ROWS; r++) Arrays.fill(tile, r * COLS, r * COLS + cols, 0f);
        for (int k = 0; k < depth; k++) {
            int ak = aOff + k * ROWS, bk = bOff + k * COLS;
            for (int r = 0; r < ROWS; r++) {
                float w = a[ak + r];
                int t = r * COLS;
                for (int j = 0; j < cols; j++) tile[t + j] += w * b[bk + j];
            }
        }
        for (int r = 0; r < rows; r++) {
            EpilogueWriter.write(tile, r * COLS, out, outOff + r * outStride, cols, bias[biasOff + r], activation);
        }
    }

    @Override
    void depthwiseRow(float[] src, int[] tapOffsets, float[] w, int wOff, int width, float[] out, int outOff,
                      float bias, Activation activation, float[] acc) {
        float w0 = w[wOff];
        int s0 = tapOffsets[0];
        for (int x = 0; x < width; x++) acc[x] = w0 * src[s0 + x];
        for (int t = 1; t < tapOffsets.length; t++) {
            float wt = w[wOff + t];
            int s = tapOffsets[t];
            for (int x = 0; x < width; x++) acc[x] += wt * src[s + x];
        }
        EpilogueWriter.write(acc, 0, out, outOff, width, bias, activation);
    }
}
