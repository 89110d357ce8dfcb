package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CostTest {

    private static ConvSpec same(ConvSpec.Builder b) {
        return b.samePadding().build();
    }

    @Test
    void handCountedSmallLayer() {
        // 2 images, 3→4 channels, 3×3, stride 2, pad 1 on 5×5: out 3×3. MACs = 2·4·3·3·3·3·3 = 1944.
        ConvSpec spec = ConvSpec.full(3, 4, 3).stride(2).padding(1).build();
        Cost c = Cost.of(spec, new Shape(2, 3, 5, 5), true);
        assertEquals(new Shape(2, 4, 3, 3), c.output());
        assertEquals(108, c.weights());
        assertEquals(112, c.params());
        assertEquals(1944, c.macs());
        assertEquals(3888, c.flops());
        assertEquals(4L * (150 + 112 + 72), c.bytes());
        assertEquals(108, Cost.of(spec, new Shape(2, 3, 5, 5)).params());
    }

    @Test
    void seed000SpatialWeights() {
        assertEquals(25, Cost.spatialFullWeights(5));
        assertEquals(10, Cost.spatialSeparableWeights(5));
        // The general form agrees: one channel, 5×5 vs 1×5 + 5×1.
        Shape in = new Shape(1, 1, 9, 9);
        long pair = Cost.of(ConvSpec.builder(1, 1, 1, 5).build(), in).weights()
                + Cost.of(ConvSpec.builder(1, 1, 5, 1).build(), in).weights();
        assertEquals(Cost.spatialFullWeights(5), Cost.of(ConvSpec.full(1, 1, 5).build(), in).weights());
        assertEquals(Cost.spatialSeparableWeights(5), pair);
    }

    @ParameterizedTest(name = "M={0} N={1} Dk={2} Df={3}")
    @CsvSource({"32,64,3,112", "512,512,3,14", "3,7,5,11", "16,1,7,9"})
    void seed001GeneralFormMatchesFormulasAndReduction(int m, int n, int dk, int df) {
        Shape in = new Shape(1, m, df, df);
        long standard = Cost.of(same(ConvSpec.full(m, n, dk)), in).macs();
        long dw = Cost.of(same(ConvSpec.depthwise(m, 1, dk)), in).macs();
        long pw = Cost.of(ConvSpec.pointwise(m, n), in).macs();
        assertEquals(Cost.standardMacs(dk, m, n, df), standard);
        assertEquals(Cost.depthwiseMacs(dk, m, df), dw);
        assertEquals(Cost.pointwiseMacs(m, n, df), pw);
        // (dw + pw) / standard = (Dk²M + MN)/(Dk²MN) = 1/N + 1/Dk², exactly.
        assertEquals(Cost.separableReduction(n, dk), (double) (dw + pw) / standard, 1e-15);
    }

    @Test
    void seed001ReductionNumbers() {
        assertEquals(1.0 / 64 + 1.0 / 9, Cost.separableReduction(64, 3), 0);
        assertEquals(8.0, 1 / Cost.separableReduction(72, 3), 1e-12); // 1/72 + 1/9 = 1/8
    }

    @Test
    void breakEvenIsNineEighthsForThreeByThree() {
        assertEquals(9.0 / 8.0, Cost.breakEvenOutputs(3, 3), 0);
        assertEquals(25.0 / 24.0, Cost.breakEvenOutputs(5, 5), 0);
        // At the break-even point both forms cost the same per input channel: N_o·9 = N_o + 9.
        double no = Cost.breakEvenOutputs(3, 3);
        assertEquals(no * 9, no + 9, 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Cost.breakEvenOutputs(1, 1));
    }

    @ParameterizedTest(name = "gamma={0} Ni={1}")
    @CsvSource({"1,32", "4,16", "9,8"})
    void seed002GammaAndDistributedFormulas(int gamma, int ni) {
        int root = (int) Math.round(Math.sqrt(gamma));
        int lr = 7, lc = 5, f = 3;
        Shape in = new Shape(1, ni, lr, lc);
        // γ at the depthwise step, then pointwise γ·Ni → No = γ·Ni.
        int no = gamma * ni;
        Cost dw = Cost.of(same(ConvSpec.depthwise(ni, gamma, f)), in);
        Cost pw = Cost.of(ConvSpec.pointwise(gamma * ni, no), dw.output());
        assertEquals(Cost.gammaDepthwiseWeights(gamma, ni, f, f), dw.weights(), 0);
        assertEquals(Cost.gammaPointwiseWeights(gamma, no, ni), pw.weights(), 0);
        assertEquals(Cost.gammaDepthwiseMacs(gamma, ni, f, f, lr, lc), dw.macs(), 0);
        assertEquals(Cost.gammaPointwiseMacs(gamma, no, ni, lr, lc), pw.macs(), 0);
        // Distributed: √γ at the depthwise step, pointwise √γ·Ni → γ·Ni.
        Cost ddw = Cost.of(same(ConvSpec.depthwise(ni, root, f)), in);
        Cost dpw = Cost.of(ConvSpec.pointwise(root * ni, gamma * ni), ddw.output());
        assertEquals(Cost.distributedDepthwiseWeights(gamma, ni, f, f), ddw.weights(), 1e-9);
        assertEquals(Cost.distributedPointwiseWeights(gamma, ni), dpw.weights(), 1e-9);
        assertEquals(Cost.distributedDepthwiseMacs(gamma, ni, f, f, lr, lc), ddw.macs(), 1e-9);
        assertEquals(Cost.distributedPointwiseMacs(gamma, ni, lr, lc), dpw.macs(), 1e-9);
        // Seed 002's totals: √γ·Ni·L²·(Ni·γ + F²).
        assertEquals(Math.sqrt(gamma) * ni * lr * lc * (ni * gamma + f * f), ddw.macs() + dpw.macs(), 1e-6);
    }

    @Test
    void seed002DistributedNeverBeatsUnitMultiplier() {
        // The seed's conclusion: for γ ≥ 1 distributing does not reduce the total below the γ = 1 form.
        int ni = 32, f = 3;
        double unit = Cost.gammaDepthwiseWeights(1, ni, f, f) + Cost.gammaPointwiseWeights(1, ni, ni);
        for (int gamma : new int[] {1, 4, 9, 16}) {
            double dist = Cost.distributedDepthwiseWeights(gamma, ni, f, f) + Cost.distributedPointwiseWeights(gamma, ni);
            assertTrue(dist >= unit, "gamma " + gamma);
        }
    }

    @Test
    void generalFormCoversGroupsStridesDilationAndNonSquare() {
        // groups=4, 8→12, 3×5 kernel, stride (2,1), dilation (1,2), pads (1,2,0,3) on 2×8×10×11.
        ConvSpec spec = ConvSpec.builder(8, 12, 3, 5).groups(4).stride(2, 1).dilation(1, 2)
                .padding(1, 2, 0, 3).build();
        Cost c = Cost.of(spec, new Shape(2, 8, 10, 11));
        int oh = (10 + 1 + 0 - 2 - 1) / 2 + 1;  // 5
        int ow = (11 + 2 + 3 - 8 - 1) / 1 + 1; // 8
        assertEquals(new Shape(2, 12, oh, ow), c.output());
        assertEquals(12L * 2 * 3 * 5, c.weights());
        assertEquals(2L * 12 * oh * ow * 2 * 3 * 5, c.macs());
    }

    @Test
    void badInputsNameTheField() {
        ConvSpec spec = ConvSpec.full(3, 4, 3).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Cost.of(spec, new Shape(1, 5, 8, 8)));
        assertTrue(e.getMessage().contains("input channels 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Cost.separableReduction(0, 3));
        assertTrue(e.getMessage().contains("n must be positive, got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Cost.depthwiseMacs(3, 4, 5, 0));
        assertTrue(e.getMessage().contains("gamma"), e.getMessage());
    }
}
