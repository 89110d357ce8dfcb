package org.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SeparableFilterTest {

    @Test
    void sobelFactorsExactlyIntoSmoothingColumnAndDifferenceRow() {
        float[] sobelX = {1, 0, -1, 2, 0, -2, 1, 0, -1};
        SeparableFilter f = SeparableFilter.factor(sobelX, 3, 3);
        assertEquals(0, f.relativeError(), 1e-6);
        // Up to the even split of σ₁, the column is ∝ (1, 2, 1) and the row ∝ (1, 0, −1).
        float k = f.column()[0];
        assertArrayEquals(new float[] {k, 2 * k, k}, f.column(), 1e-5f);
        assertArrayEquals(new float[] {1 / k, 0, -1 / k}, f.row(), 1e-5f);
        assertReconstructs(sobelX, f, 3, 3, 1e-5);
    }

    @Test
    void gaussianIsExactlySeparable() {
        int k = 5;
        double sigma = 1.2;
        float[] g1 = new float[k];
        for (int i = 0; i < k; i++) g1[i] = (float) Math.exp(-Math.pow(i - k / 2, 2) / (2 * sigma * sigma));
        float[] g2 = new float[k * k];
        for (int y = 0; y < k; y++) for (int x = 0; x < k; x++) g2[y * k + x] = g1[y] * g1[x];
        SeparableFilter f = SeparableFilter.factor(g2, k, k);
        assertTrue(f.isSeparable(1e-6), "relative error " + f.relativeError());
        assertReconstructs(g2, f, k, k, 1e-6);
    }

    @Test
    void laplacianReportsItsRankOneError() {
        // The 3×3 Laplacian is symmetric with eigenvalues −2 ± √6 and 0, so its singular values are
        // 2 + √6, √6 − 2 and 0; ‖L‖ = √20 and the best rank-1 error is (√6 − 2) / √20 ≈ 0.1005.
        float[] laplacian = {0, 1, 0, 1, -4, 1, 0, 1, 0};
        SeparableFilter f = SeparableFilter.factor(laplacian, 3, 3);
        double expected = (Math.sqrt(6) - 2) / Math.sqrt(20);
        assertEquals(expected, f.relativeError(), 1e-6);
        assertTrue(!f.isSeparable(0.1) && f.isSeparable(0.11));
    }

    @Test
    void nonSquareAndRandomRankOneFiltersRoundTrip() {
        Random r = new Random(42);
        int kh = 7, kw = 3;
        float[] col = new float[kh], row = new float[kw], k = new float[kh * kw];
        for (int i = 0; i < kh; i++) col[i] = r.nextFloat() * 2 - 1;
        for (int i = 0; i < kw; i++) row[i] = r.nextFloat() * 2 - 1;
        for (int y = 0; y < kh; y++) for (int x = 0; x < kw; x++) k[y * kw + x] = col[y] * row[x];
        SeparableFilter f = SeparableFilter.factor(k, kh, kw);
        assertEquals(0, f.relativeError(), 1e-6);
        assertReconstructs(k, f, kh, kw, 1e-6);
    }

    @Test
    void randomFullRankFilterErrorMatchesEckartYoung() {
        // For any matrix the rank-1 error satisfies err² = 1 − σ₁²/‖A‖²; check against the reconstruction.
        Random r = new Random(7);
        float[] k = new float[25];
        for (int i = 0; i < k.length; i++) k[i] = r.nextFloat() * 2 - 1;
        SeparableFilter f = SeparableFilter.factor(k, 5, 5);
        assertTrue(f.relativeError() > 0.1 && f.relativeError() < 1, "error " + f.relativeError());
        // No rank-1 pair does better: perturbing the found pair only increases the residual.
        double base = residual(k, f.column(), f.row(), 5, 5);
        for (int trial = 0; trial < 50; trial++) {
            float[] c = f.column().clone(), w = f.row().clone();
            c[r.nextInt(5)] += (float) (r.nextGaussian() * 1e-2);
            w[r.nextInt(5)] += (float) (r.nextGaussian() * 1e-2);
            assertTrue(residual(k, c, w, 5, 5) >= base - 1e-9);
        }
    }

    @Test
    void zeroKernelAndBadInput() {
        assertEquals(0, SeparableFilter.factor(new float[9], 3, 3).relativeError());
        assertEquals("kh must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> SeparableFilter.factor(new float[0], 0, 3)).getMessage());
        assertEquals("kernel length 8 does not match 3x3",
                assertThrows(IllegalArgumentException.class, () -> SeparableFilter.factor(new float[8], 3, 3)).getMessage());
        assertEquals("kernel[4] must be finite, got NaN", assertThrows(IllegalArgumentException.class,
                () -> SeparableFilter.factor(new float[] {0, 0, 0, 0, Float.NaN, 0, 0, 0, 0}, 3, 3)).getMessage());
    }

    private static double residual(float[] k, float[] c, float[] w, int kh, int kw) {
        double s = 0;
        for (int y = 0; y < kh; y++) for (int x = 0; x < kw; x++) {
            double d = k[y * kw + x] - (double) c[y] * w[x];
            s += d * d;
        }
        return s;
    }

    private static void assertReconstructs(float[] k, SeparableFilter f, int kh, int kw, double tol) {
        for (int y = 0; y < kh; y++) for (int x = 0; x < kw; x++) {
            assertEquals(k[y * kw + x], f.column()[y] * f.row()[x], tol, "at (" + y + ", " + x + ")");
        }
    }
}
