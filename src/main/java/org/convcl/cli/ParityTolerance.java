package org.convcl.cli;

import org.convcl.Shape;
import org.convcl.Tensor;

/**
 * The project's tolerance rule (DESIGN §5), the one copy in main code: an element passes when
 * {@code |a − e| ≤ atol(K) + RTOL·|e|}, with {@code atol(K) = 1e-6 + ATOL_PER_SQRT_K·√K} growing with the reduction
 * length K (fp32 rounding of a sum of K terms of random sign), for inputs and weights of magnitude ≤ 1. The tests'
 * {@code TensorAssert} holds the same constants against the double-precision reference. Comparing two fp32 results
 * (a device's and the Java CPU backend's), each of which obeys the rule against the exact value, allows twice that:
 * {@link #BETWEEN_TWO_FP32}. NaN must meet NaN and ±Inf the same infinity.
 *
 * @param atol absolute tolerance
 * @param rtol relative tolerance, times |expected|
 */
public record ParityTolerance(double atol, double rtol) {
    /** Relative tolerance: a few fp32 ulps of headroom over rounding to float. */
    public static final double RTOL = 1e-4;
    /** Absolute tolerance per √(reduction length). */
    public static final double ATOL_PER_SQRT_K = 2e-6;
    /** Both sides of a comparison of two fp32 results carry rounding error: the rule's bounds add up. */
    public static final double BETWEEN_TWO_FP32 = 2;

    public ParityTolerance {
        if (!(atol >= 0) || !(rtol >= 0)) throw new IllegalArgumentException("tolerances must be non-negative, got atol " + atol + ", rtol " + rtol);
    }

    /** The rule for a reduction of {@code k} products against an exact reference. */
    public static ParityTolerance forReduction(int k) {
        if (k <= 0) throw new IllegalArgumentException("reduction length must be positive, got " + k);
        return new ParityTolerance(1e-6 + ATOL_PER_SQRT_K * Math.sqrt(k), RTOL);
    }

    /** The rule for a reduction of {@code k} products between two fp32 results ({@link #BETWEEN_TWO_FP32}). */
    public static ParityTolerance betweenFp32(int k) {
        ParityTolerance one = forReduction(k);
        return new ParityTolerance(one.atol * BETWEEN_TWO_FP32, one.rtol * BETWEEN_TWO_FP32);
    }

    /** What is allowed at an element whose expected value is {@code expected}. */
    public double allowed(float expected) {
        return atol + rtol * Math.abs(expected);
    }

    /**
     * The element of {@code actual} farthest outside (or least inside) the rule relative to what it allows there.
     *
     * @throws IllegalArgumentException when the shapes differ
     */
    public Verdict compare(Tensor expected, Tensor actual) {
        if (!expected.shape().equals(actual.shape())) {
            throw new IllegalArgumentException("shapes differ: expected " + expected.shape() + ", got " + actual.shape());
        }
        float[] e = expected.data();
        float[] a = actual.data();
        int worst = 0;
        double worstRatio = -1, worstError = 0, worstAllowed = e.length == 0 ? atol : allowed(e[0]);
        for (int i = 0; i < e.length; i++) {
            double error, allowed;
            if (!Float.isFinite(e[i])) {
                boolean same = Float.isNaN(e[i]) ? Float.isNaN(a[i]) : Float.compare(e[i], a[i]) == 0;
                error = same ? 0 : Double.POSITIVE_INFINITY;
                allowed = 0;
            } else {
                error = Math.abs((double) a[i] - e[i]);
                if (Double.isNaN(error)) error = Double.POSITIVE_INFINITY;
                allowed = allowed(e[i]);
            }
            double ratio = error == 0 ? 0 : allowed == 0 ? Double.POSITIVE_INFINITY : error / allowed;
            if (ratio > worstRatio) {
                worstRatio = ratio;
                worst = i;
                worstError = error;
                worstAllowed = allowed;
            }
        }
        return new Verdict(expected.shape(), worst, worstError, worstAllowed, expected.data().length == 0 ? 0 : e[worst],
                a.length == 0 ? 0 : a[worst]);
    }

    /**
     * The worst element of a comparison.
     *
     * @param shape    the compared shape
     * @param index    the flat NCHW index of the worst element
     * @param error    its |actual − expected| (infinite for a NaN or a wrong infinity)
     * @param allowed  what the rule allows there
     * @param expected its expected value
     * @param actual   its actual value
     */
    public record Verdict(Shape shape, int index, double error, double allowed, float expected, float actual) {
        /** Whether every element is within the rule. */
        public boolean pass() {
            return error <= allowed;
        }

        /** {@code (n, c, y, x)} of the worst element. */
        public String where() {
            int x = index % shape.w(), y = index / shape.w() % shape.h(), c = index / (shape.w() * shape.h()) % shape.c(),
                    n = index / (shape.w() * shape.h() * shape.c());
            return "(n=" + n + ", c=" + c + ", y=" + y + ", x=" + x + ")";
        }
    }
}
