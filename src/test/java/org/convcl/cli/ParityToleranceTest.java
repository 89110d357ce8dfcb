package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convcl.Tensor;
import org.convcl.TensorAssert;
import org.junit.jupiter.api.Test;

class ParityToleranceTest {

    @Test
    void theRuleIsTheTestsRule() {
        assertEquals(TensorAssert.RTOL, ParityTolerance.RTOL);
        assertEquals(TensorAssert.ATOL_PER_SQRT_K, ParityTolerance.ATOL_PER_SQRT_K);
        for (int k : new int[] {1, 9, 288, 4608}) {
            assertEquals(TensorAssert.atol(k), ParityTolerance.forReduction(k).atol(), 0);
            assertEquals(2 * TensorAssert.atol(k), ParityTolerance.betweenFp32(k).atol(), 0);
            assertEquals(2 * TensorAssert.RTOL, ParityTolerance.betweenFp32(k).rtol(), 0);
        }
        assertEquals(1e-6 + 2e-6 * 10, ParityTolerance.forReduction(100).atol(), 1e-18);
        assertThrows(IllegalArgumentException.class, () -> ParityTolerance.forReduction(0));
    }

    @Test
    void theWorstElementIsTheFarthestOutsideRelativeToWhatItAllows() {
        ParityTolerance t = new ParityTolerance(1e-3, 1e-2);
        Tensor expected = Tensor.of(new float[] {100f, 0f, 1f, 2f}, 1, 1, 2, 2);
        // 100: allowed 1.001, off by 0.9 (inside); 0: allowed 0.001, off by 0.002 (twice outside).
        ParityTolerance.Verdict v = t.compare(expected, Tensor.of(new float[] {100.9f, 0.002f, 1f, 2f}, 1, 1, 2, 2));
        assertFalse(v.pass());
        assertEquals(1, v.index());
        assertEquals("(n=0, c=0, y=0, x=1)", v.where());
        assertEquals(0.002, v.error(), 1e-9);
        assertEquals(1e-3, v.allowed(), 1e-12);
        ParityTolerance.Verdict inside = t.compare(expected, Tensor.of(new float[] {100.9f, 0.0005f, 1f, 2f}, 1, 1, 2, 2));
        assertTrue(inside.pass());
        assertEquals(0, inside.index()); // 0.9 / 1.001 is the largest share of its allowance
        ParityTolerance.Verdict same = t.compare(expected, expected.copy());
        assertTrue(same.pass());
        assertEquals(0, same.error());
    }

    @Test
    void nanMustMeetNanAndInfinitiesMustMatch() {
        ParityTolerance t = ParityTolerance.forReduction(9);
        Tensor special = Tensor.of(new float[] {Float.NaN, Float.POSITIVE_INFINITY, 1f}, 1, 1, 1, 3);
        assertTrue(t.compare(special, Tensor.of(new float[] {Float.NaN, Float.POSITIVE_INFINITY, 1f}, 1, 1, 1, 3)).pass());
        assertFalse(t.compare(special, Tensor.of(new float[] {0f, Float.POSITIVE_INFINITY, 1f}, 1, 1, 1, 3)).pass());
        ParityTolerance.Verdict inf = t.compare(special, Tensor.of(new float[] {Float.NaN, Float.NEGATIVE_INFINITY, 1f}, 1, 1, 1, 3));
        assertFalse(inf.pass());
        assertEquals(1, inf.index());
        ParityTolerance.Verdict nan = t.compare(Tensor.of(new float[] {1f}, 1, 1, 1, 1), Tensor.of(new float[] {Float.NaN}, 1, 1, 1, 1));
        assertFalse(nan.pass());
        assertEquals(Double.POSITIVE_INFINITY, nan.error());
        assertThrows(IllegalArgumentException.class, () -> t.compare(special, Tensor.of(new float[3], 1, 3, 1, 1)));
    }
}
