package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Compares a computed tensor with the reference under {@code |a − e| ≤ atol + rtol·|e|}, where the
 * absolute term grows with the square root of the reduction length (fp32 rounding of a sum of K terms of
 * random sign). A failure names the context (spec, seed, backend) and the (n, c, y, x) of the worst element.
 * NaN must match NaN and ±Inf must match exactly.
 */
public final class TensorAssert {
    /** Relative tolerance: a few fp32 ulps of headroom over the reference's rounding to float. */
    public static final double RTOL = 1e-4;
    /** Absolute tolerance per √(reduction length), for inputs and weights of magnitude ≤ 1. */
    public static final double ATOL_PER_SQRT_K = 2e-6;

    private TensorAssert() {}

    /** The absolute tolerance for a reduction of {@code k} products. */
    public static double atol(int k) {
        return 1e-6 + ATOL_PER_SQRT_K * Math.sqrt(k);
    }

    /** {@link #assertClose(Tensor, Tensor, double, double, String)} with the tolerances of a reduction of {@code reductionLength} products. */
    public static void assertClose(Tensor expected, Tensor actual, int reductionLength, String context) {
        assertClose(expected, actual, atol(reductionLength), RTOL, context);
    }

    /** Fails naming {@code context} and the worst element unless every element is within {@code atol + rtol·|e|}. */
    public static void assertClose(Tensor expected, Tensor actual, double atol, double rtol, String context) {
        assertEquals(expected.shape(), actual.shape(), () -> "shape differs: " + context);
        Shape s = expected.shape();
        float[] e = expected.data();
        float[] a = actual.data();
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < e.length; i++) {
            double excess;
            if (Float.isNaN(e[i]) || Float.isInfinite(e[i])) {
                excess = Float.compare(e[i], a[i]) == 0 || (Float.isNaN(e[i]) && Float.isNaN(a[i])) ? 0 : Double.POSITIVE_INFINITY;
            } else {
                double diff = Math.abs((double) a[i] - e[i]);
                excess = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff - (atol + rtol * Math.abs(e[i]));
            }
            if (excess > worstExcess) {
                worstExcess = excess;
                worst = i;
            }
        }
        if (worst >= 0) {
            int x = worst % s.w(), y = worst / s.w() % s.h(), c = worst / (s.w() * s.h()) % s.c(),
                    n = worst / (s.w() * s.h() * s.c());
            throw new AssertionError(String.format(
                    "%s: worst element at (n=%d, c=%d, y=%d, x=%d): expected %s, got %s (|diff| %.3g > atol %.3g + rtol %.3g·|e|)",
                    context, n, c, y, x, e[worst], a[worst], Math.abs((double) a[worst] - e[worst]), atol, rtol));
        }
    }

    /** The largest |a − e| over finite reference elements (for reporting worst errors). */
    public static double maxAbsError(Tensor expected, Tensor actual) {
        double max = 0;
        for (int i = 0; i < expected.data().length; i++) {
            float e = expected.data()[i];
            if (Float.isFinite(e)) max = Math.max(max, Math.abs((double) actual.data()[i] - e));
        }
        return max;
    }
}
