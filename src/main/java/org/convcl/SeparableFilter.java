package org.convcl;

import java.util.Objects;

/**
 * The best rank-1 factorisation of a 2-D filter: {@code kernel[y][x] ≈ column[y] · row[x]}, so a K×K
 * correlation can run as K×1 then 1×K (2K instead of K² multiply-accumulates per output).
 *
 * <p>The pair comes from the leading singular triple of the {@code kh × kw} filter (σ₁, u, v), split
 * evenly: {@code column = √σ₁·u}, {@code row = √σ₁·v}, with the row's largest-magnitude entry made
 * positive. {@link #relativeError()} is the Frobenius norm of {@code kernel − column·rowᵀ} divided by the
 * kernel's norm: 0 (to rounding) for Gaussian, box and Sobel filters, (√6 − 2)/√20 ≈ 0.10 for the 3×3 Laplacian.
 *
 * @param column     length {@code kh}
 * @param row        length {@code kw}
 * @param relativeError ‖kernel − column·rowᵀ‖_F / ‖kernel‖_F (0 for an all-zero kernel)
 */
public record SeparableFilter(float[] column, float[] row, double relativeError) {

    /** Jacobi sweeps are quadratic to converge; this many is far beyond what filters up to 64 wide need. */
    private static final int MAX_JACOBI_SWEEPS = 64;

    /**
     * Factors a row-major {@code kh × kw} filter.
     *
     * @throws IllegalArgumentException naming the field when the sizes or the array length do not fit,
     *         or when the kernel holds NaN or ±Inf
     */
    public static SeparableFilter factor(float[] kernel, int kh, int kw) {
        Objects.requireNonNull(kernel, "kernel");
        if (kh <= 0) throw new IllegalArgumentException("kh must be positive, got " + kh);
        if (kw <= 0) throw new IllegalArgumentException("kw must be positive, got " + kw);
        if (kernel.length != kh * kw) {
            throw new IllegalArgumentException("kernel length " + kernel.length + " does not match " + kh + "x" + kw);
        }
        double norm2 = 0;
        for (int i = 0; i < kernel.length; i++) {
            if (!Float.isFinite(kernel[i])) {
                throw new IllegalArgumentException("kernel[" + i + "] must be finite, got " + kernel[i]);
            }
            norm2 += (double) kernel[i] * kernel[i];
        }
        if (norm2 == 0) return new SeparableFilter(new float[kh], new float[kw], 0);

        // v = leading eigenvector of B = AᵀA (kw × kw, symmetric); σ₁ = √λ₁; u = A·v / σ₁.
        double[][] b = new double[kw][kw];
        for (int i = 0; i < kw; i++) {
            for (int j = 0; j < kw; j++) {
                double s = 0;
                for (int y = 0; y < kh; y++) s += (double) kernel[y * kw + i] * kernel[y * kw + j];
                b[i][j] = s;
            }
        }
        double[] v = leadingEigenvector(b);
        double[] av = new double[kh];
        double sigma2 = 0;
        for (int y = 0; y < kh; y++) {
            double s = 0;
            for (int x = 0; x < kw; x++) s += kernel[y * kw + x] * v[x];
            av[y] = s;
            sigma2 += s * s;
        }
        double sigma = Math.sqrt(sigma2);
        int largest = 0;
        for (int x = 1; x < kw; x++) if (Math.abs(v[x]) > Math.abs(v[largest])) largest = x;
        double sign = v[largest] < 0 ? -1 : 1;
        double root = Math.sqrt(sigma);
        float[] row = new float[kw];
        float[] column = new float[kh];
        for (int x = 0; x < kw; x++) row[x] = (float) (sign * root * v[x]);
        for (int y = 0; y < kh; y++) column[y] = sigma == 0 ? 0f : (float) (sign * av[y] / root);

        double residual2 = 0;
        for (int y = 0; y < kh; y++) {
            for (int x = 0; x < kw; x++) {
                double d = kernel[y * kw + x] - (double) column[y] * row[x];
                residual2 += d * d;
            }
        }
        return new SeparableFilter(column, row, Math.sqrt(residual2 / norm2));
    }

    /** True when the factorisation is within {@code tolerance} (relative Frobenius error). */
    public boolean isSeparable(double tolerance) {
        return relativeError <= tolerance;
    }

    /** The unit eigenvector of the largest eigenvalue of a symmetric matrix (cyclic Jacobi rotations). */
    private static double[] leadingEigenvector(double[][] a) {
        int n = a.length;
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) m[i] = a[i].clone();
        double[][] vectors = new double[n][n];
        for (int i = 0; i < n; i++) vectors[i][i] = 1;
        for (int sweep = 0; sweep < MAX_JACOBI_SWEEPS; sweep++) {
            double off = 0, diag = 0;
            for (int p = 0; p < n; p++) {
                diag += m[p][p] * m[p][p];
                for (int q = p + 1; q < n; q++) off += m[p][q] * m[p][q];
            }
            if (off <= 1e-30 * diag) break;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (m[p][q] == 0) continue;
                    double theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
                    double t = Math.signum(theta == 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++) { // columns p, q
                        double mkp = m[k][p], mkq = m[k][q];
                        m[k][p] = c * mkp - s * mkq;
                        m[k][q] = s * mkp + c * mkq;
                    }
                    for (int k = 0; k < n; k++) { // rows p, q
                        double mpk = m[p][k], mqk = m[q][k];
                        m[p][k] = c * mpk - s * mqk;
                        m[q][k] = s * mpk + c * mqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = vectors[k][p], vkq = vectors[k][q];
                        vectors[k][p] = c * vkp - s * vkq;
                        vectors[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        int best = 0;
        for (int i = 1; i < n; i++) if (m[i][i] > m[best][best]) best = i;
        double[] v = new double[n];
        for (int k = 0; k < n; k++) v[k] = vectors[k][best];
        return v;
    }
}
