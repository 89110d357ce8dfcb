package org.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.convcl.Activation;
import org.junit.jupiter.api.Test;

/**
 * The SIMD primitives of both paths against plain loops, on widths around the vector length (whole vectors, a
 * partial last one, rows narrower than a vector) and with untouched guard values around what they may write: the
 * kernels' parity tests reach each primitive only through the path a kernel picks for a shape.
 */
class SimdPrimitivesTest {
    private static final float GUARD = -12345f;

    private static List<Simd> paths() {
        List<Simd> paths = new ArrayList<>(List.of(Simd.scalar()));
        if (Simd.vectorOrNull() != null) paths.add(Simd.vectorOrNull());
        return paths;
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    @Test
    void splitPhasesWritesExactlyTheEvenAndOddElements() {
        Random rnd = new Random(7);
        for (Simd simd : paths()) {
            for (int count = 0; count <= 70; count++) {
                float[] src = random(rnd, 2 * count + 5);
                float[] even = new float[count + 6], odd = new float[count + 6];
                Arrays.fill(even, GUARD);
                Arrays.fill(odd, GUARD);
                simd.splitPhases(src, 3, count, even, 2, odd, 4);
                for (int m = 0; m < even.length; m++) {
                    assertEquals(m >= 2 && m < 2 + count ? src[3 + 2 * (m - 2)] : GUARD, even[m], simd.describe() + " even " + m);
                }
                for (int m = 0; m < odd.length; m++) {
                    assertEquals(m >= 4 && m < 4 + count ? src[4 + 2 * (m - 4)] : GUARD, odd[m], simd.describe() + " odd " + m);
                }
            }
        }
    }

    @Test
    void stride2RowsMatchAPlainLoopOnEveryWidth() {
        Random rnd = new Random(11);
        int[] taps = {0, 1, 2, 61, 62, 63, 122, 123, 124}; // 3×3 over rows of 61 floats
        int rowStep = 2 * 61;
        for (Simd simd : paths()) {
            int[] widths = {1, 5, 7, 8, 14, 16, 17, 28, 33};
            for (int wi = 0; wi < widths.length; wi++) {
                int width = widths[wi];
                // every activation on two or three widths, whole vectors among them
                Activation activation = Activation.values()[wi % Activation.values().length];
                for (int rows : new int[] {1, 3, 4}) {
                    float[] src = random(rnd, 124 + (rows - 1) * rowStep + 2 * width + 2 * Math.max(32, simd.rowOverrun()));
                    float[] w = random(rnd, 9 + 2);
                    src[taps[4] + 2] = Float.NaN; // output (0, 1)
                    for (int i = 0; i < src.length; i++) src[i] *= 8; // sums beyond ±6
                    int outOff = 3, outRowStride = width + 2;
                    float[] out = new float[outOff + rows * outRowStride + 2];
                    Arrays.fill(out, GUARD);
                    float[] expected = out.clone();
                    for (int r = 0; r < rows; r++) {
                        for (int x = 0; x < width; x++) {
                            float acc = 0;
                            for (int t = 0; t < 9; t++) acc += w[2 + t] * src[taps[t] + r * rowStep + 2 * x];
                            expected[outOff + r * outRowStride + x] = activation.apply(acc + 0.25f);
                        }
                    }
                    simd.depthwiseRowsStride2(src, taps, rowStep, rows, w, 2, width, out, outOff, outRowStride, 0.25f,
                            activation, new float[simd.rowScratch(width)]);
                    assertArrayEquals(expected, out, 1e-4f,
                            simd.describe() + " " + activation + " width " + width + " rows " + rows);
                }
            }
        }
    }

    /**
     * Stride-2 rows read in place: each tap drops the output columns outside its range, here the left kernel column at
     * output 0 (which reads the previous row's last element, NaN) and the right one at the last output (which reads
     * past the row's end, +Inf); neither may reach the result, on widths around the vector length.
     */
    @Test
    void stride2RowsInPlaceDropTheColumnsOutsideEachTapsRange() {
        Random rnd = new Random(12);
        int inW = 61, rowStep = 2 * inW;
        int[] taps = new int[9], tapFrom = new int[9], tapTo = new int[9];
        for (Simd simd : paths()) {
            for (int width : new int[] {1, 5, 14, 16, 17, 28}) {
                for (int t = 0; t < 9; t++) {
                    int ky = t / 3, kx = t % 3;
                    taps[t] = (1 + ky) * inW + kx - 1; // rows from row 1, columns from −1
                    tapFrom[t] = kx == 0 ? 1 : Integer.MIN_VALUE / 4;
                    tapTo[t] = kx == 2 ? width - 1 : Integer.MAX_VALUE / 4;
                }
                for (int rows : new int[] {1, 3}) {
                    float[] src = random(rnd, (2 * rows + 4) * inW + 2 * Math.max(32, simd.rowOverrun()));
                    for (int r = 0; r * inW + inW <= src.length; r++) {
                        src[r * inW + inW - 1] = Float.NaN; // column −1 of row r + 1
                        src[r * inW + 2 * width - 1] = Float.POSITIVE_INFINITY; // read only by the right tap at width − 1
                    }
                    float[] w = random(rnd, 9);
                    int outOff = 1;
                    float[] out = new float[outOff + rows * width + 2];
                    Arrays.fill(out, GUARD);
                    float[] expected = out.clone();
                    for (int r = 0; r < rows; r++) {
                        for (int x = 0; x < width; x++) {
                            float acc = 0;
                            for (int t = 0; t < 9; t++) {
                                if (x >= tapFrom[t] && x < tapTo[t]) acc += w[t] * src[taps[t] + r * rowStep + 2 * x];
                            }
                            expected[outOff + r * width + x] = Activation.RELU6.apply(acc - 0.5f);
                        }
                    }
                    simd.depthwiseRowsStride2(src, taps, tapFrom, tapTo, rowStep, rows, w, 0, width, out, outOff, width,
                            -0.5f, Activation.RELU6, new float[simd.rowScratch(width)]);
                    assertArrayEquals(expected, out, 1e-5f, simd.describe() + " width " + width + " rows " + rows);
                    for (int i = outOff; i < outOff + rows * width; i++) {
                        assertTrue(Float.isFinite(out[i]), simd.describe() + " width " + width + " output " + i);
                    }
                }
            }
        }
    }

    @Test
    void aGemmTileReadsItsInputRowsAtTheGivenOffsets() {
        Random rnd = new Random(13);
        for (Simd simd : paths()) {
            int mr = simd.tileRows(), nr = simd.tileCols(), depth = 11;
            int[] bRows = new int[depth];
            for (int k = 0; k < depth; k++) bRows[k] = (depth - 1 - k) * (nr + 5) + k % 3; // reversed, uneven
            float[] a = random(rnd, depth * mr), b = random(rnd, depth * (nr + 5) + nr + 3), bias = random(rnd, mr);
            for (int cols : new int[] {1, nr / 2, nr - 1, nr}) {
                int rows = mr - 1, outStride = nr + 3;
                float[] out = new float[rows * outStride];
                Arrays.fill(out, GUARD);
                float[] expected = out.clone();
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < cols; j++) {
                        float acc = 0;
                        for (int k = 0; k < depth; k++) acc += a[k * mr + r] * b[2 + bRows[k] + j];
                        expected[r * outStride + j] = Math.max(0f, acc + bias[r]);
                    }
                }
                simd.gemmTile(a, 0, b, 2, bRows, depth, out, 0, outStride, rows, cols, bias, 0, Activation.RELU,
                        new float[mr * nr]);
                assertArrayEquals(expected, out, 1e-5f, simd.describe() + " cols " + cols);
            }
        }
    }

    /**
     * Every activation on whole tiles (the Vector API path's bias and clamp in registers) and on tiles one row or one
     * column short (through the scratch tile): NaN and ±Inf inputs pass as {@link Activation#apply} says, values
     * beyond 6 are clamped, and nothing outside the tile is written.
     */
    @Test
    void aGemmTileAppliesEveryActivationOnWholeAndPartialTiles() {
        Random rnd = new Random(17);
        for (Simd simd : paths()) {
            int mr = simd.tileRows(), nr = simd.tileCols(), depth = 9, outStride = nr + 3;
            int[] bRows = new int[depth];
            for (int k = 0; k < depth; k++) bRows[k] = k * nr;
            float[] a = random(rnd, depth * mr), b = random(rnd, depth * nr), bias = random(rnd, mr + 1);
            for (int i = 0; i < b.length; i++) b[i] *= 10; // sums beyond ±6
            b[3 * nr + 1] = Float.NaN;
            b[4 * nr + 2] = Float.POSITIVE_INFINITY;
            b[5 * nr + nr - 1] = Float.NEGATIVE_INFINITY;
            for (Activation activation : Activation.values()) {
                for (int rows : new int[] {mr, mr - 1}) {
                    for (int cols : new int[] {nr, nr - 1}) {
                        float[] out = new float[2 + mr * outStride];
                        Arrays.fill(out, GUARD);
                        float[] expected = out.clone();
                        for (int r = 0; r < rows; r++) {
                            for (int j = 0; j < cols; j++) {
                                float acc = 0;
                                for (int k = 0; k < depth; k++) acc += a[k * mr + r] * b[k * nr + j];
                                expected[2 + r * outStride + j] = activation.apply(acc + bias[1 + r]);
                            }
                        }
                        simd.gemmTile(a, 0, b, 0, bRows, depth, out, 2, outStride, rows, cols, bias, 1, activation,
                                new float[mr * nr]);
                        assertArrayEquals(expected, out, 1e-4f,
                                simd.describe() + " " + activation + " rows " + rows + " cols " + cols);
                    }
                }
            }
        }
    }

    /**
     * The flat-plane depthwise run on planes narrower and wider than a vector, in one range and in two ranges cut at a
     * granule, for a 3×3 kernel (its own loop on the Vector API path) and for kernels whose columns are shifted
     * left only: infinities in every input make each lane a column drops visible, and nothing outside the range is
     * written.
     */
    @Test
    void flatDepthwiseMatchesAPlainLoopAndDropsTheColumnsOutsideThePlane() {
        Random rnd = new Random(13);
        int[][] shapes = {{3, 3, -1}, {3, 3, -2}, {1, 3, -1}, {2, 2, 0}}; // kh, kw, left shift of column 0
        for (Simd simd : paths()) {
            for (int[] k : shapes) {
                int kh = k[0], kw = k[1];
                for (int width : new int[] {1, 5, 7, 14, 16, 17, 33}) {
                    for (int height : new int[] {1, 3, 6}) {
                        int count = height * width, step = simd.flatStep(), rounded = (count + step - 1) / step * step;
                        int top = kh / 2, zeros = top * width + 2 + width;
                        int[] taps = new int[kh * kw], colShift = new int[kw];
                        for (int kx = 0; kx < kw; kx++) colShift[kx] = k[2] + kx;
                        for (int ky = 0; ky < kh; ky++) {
                            for (int kx = 0; kx < kw; kx++) taps[ky * kw + kx] = (ky - top) * width + colShift[kx];
                        }
                        float[] plane = random(rnd, count);
                        plane[rnd.nextInt(count)] = Float.POSITIVE_INFINITY;
                        for (int y = 0; y < height; y++) plane[y * width + width - 1] = Float.NEGATIVE_INFINITY;
                        float[] src = new float[zeros + rounded + 2 * width + 3 + step];
                        System.arraycopy(plane, 0, src, zeros, count);
                        float[] cols = new float[rounded];
                        for (int p = 0; p < rounded; p++) cols[p] = p % width;
                        float[] w = random(rnd, kh * kw + 1);
                        int outOff = 2;
                        float[] expected = new float[outOff + count + 3];
                        Arrays.fill(expected, GUARD);
                        for (int y = 0; y < height; y++) {
                            for (int x = 0; x < width; x++) {
                                float acc = 0;
                                for (int ky = 0; ky < kh; ky++) {
                                    for (int kx = 0; kx < kw; kx++) {
                                        int iy = y + ky - top, ix = x + colShift[kx];
                                        if (iy >= 0 && iy < height && ix >= 0 && ix < width) {
                                            acc += w[1 + ky * kw + kx] * plane[iy * width + ix];
                                        }
                                    }
                                }
                                expected[outOff + y * width + x] = Activation.clamp(acc + 0.5f, 0f, 6f);
                            }
                        }
                        int cut = Math.min(count, (count / 2 + step - 1) / step * step);
                        for (int[] ranges : new int[][] {{0, count}, {0, cut, cut, count}}) {
                            float[] out = new float[expected.length];
                            Arrays.fill(out, GUARD);
                            for (int r = 0; r < ranges.length; r += 2) {
                                simd.depthwiseFlat(src, zeros, ranges[r], ranges[r + 1], taps, kw, colShift, cols, width,
                                        w, 1, out, outOff, 0.5f, Activation.RELU6, new float[simd.rowScratch(width)]);
                            }
                            assertArrayEquals(expected, out, 1e-5f, simd.describe() + " kernel " + kh + "x" + kw
                                    + " shift " + k[2] + " plane " + height + "x" + width + " ranges " + Arrays.toString(ranges));
                        }
                    }
                }
            }
        }
    }

    /**
     * A tile whose two halves read different runs of the input: each half from its own offset, the output contiguous,
     * on whole tiles (in registers under a clamp) and on tiles cut within either half or one row short.
     */
    @Test
    void aGemmTileOfTwoHalvesReadsEachHalfAtItsOwnOffset() {
        Random rnd = new Random(19);
        for (Simd simd : paths()) {
            int mr = simd.tileRows(), nr = simd.tileCols(), half = nr / 2, depth = 7, outStride = nr + 3;
            int[] bRows = new int[depth];
            for (int k = 0; k < depth; k++) bRows[k] = k * (3 * nr);
            float[] a = random(rnd, depth * mr), b = random(rnd, depth * 3 * nr), bias = random(rnd, mr);
            for (int i = 0; i < b.length; i++) b[i] *= 10; // sums beyond ±6
            int bOff = 5, bOff2 = 2 * nr + 1; // the second half reads from a later, unrelated run
            for (int rows : new int[] {mr, mr - 1}) {
                for (int cols : new int[] {1, half - 1, half, half + 1, nr}) {
                    float[] out = new float[1 + mr * outStride];
                    Arrays.fill(out, GUARD);
                    float[] expected = out.clone();
                    for (int r = 0; r < rows; r++) {
                        for (int j = 0; j < cols; j++) {
                            int src = j < half ? bOff + j : bOff2 + j - half;
                            float acc = 0;
                            for (int k = 0; k < depth; k++) acc += a[k * mr + r] * b[bRows[k] + src];
                            expected[1 + r * outStride + j] = Activation.RELU6.apply(acc + bias[r]);
                        }
                    }
                    simd.gemmTileHalves(a, 0, b, bOff, bOff2, bRows, depth, out, 1, outStride, rows, cols, bias, 0,
                            Activation.RELU6, new float[mr * nr]);
                    assertArrayEquals(expected, out, 1e-4f, simd.describe() + " rows " + rows + " cols " + cols);
                }
            }
        }
    }
}
