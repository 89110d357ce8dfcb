package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Costs of the separable forms (blocks, γ, distributed √γ, spatial pairs) against the seeds' closed forms. */
class BlockCostTest {

    @ParameterizedTest(name = "M={0} N={1} Dk={2} Df={3}")
    @CsvSource({"32, 64, 3, 112", "512, 512, 3, 14", "3, 7, 5, 9", "1024, 1024, 3, 7"})
    void seed001BlockReproducesEquationsOneToFour(int m, int n, int dk, int df) {
        SeparableBlock block = SeparableBlock.builder(m, n).kernel(dk).build();
        BlockCost cost = BlockCost.of(block, new Shape(1, m, df, df));
        assertEquals(Cost.depthwiseMacs(dk, m, df), cost.first().macs());
        assertEquals(Cost.pointwiseMacs(m, n, df), cost.second().macs());
        assertEquals(Cost.standardMacs(dk, m, n, df), cost.standard().macs());
        assertEquals(1.0 / n + 1.0 / (dk * dk), cost.macRatio(), 1e-15);
        assertEquals((long) m * (n + dk * dk), cost.weights()); // seed 002: weights_tot = N_i (N_o + F_r F_c)
        assertEquals(cost.weights(), cost.params(), "no bias, no batch-norm");
    }

    @Test
    void breakEvenAtNineEighthsOutputs() {
        assertEquals(9.0 / 8, Cost.breakEvenOutputs(3, 3), 0);
        Shape in = new Shape(1, 4, 10, 10);
        assertTrue(BlockCost.of(SeparableBlock.mobilenet(4, 1, 1), in).weightRatio() > 1, "N_o = 1 < 9/8: no saving");
        assertTrue(BlockCost.of(SeparableBlock.mobilenet(4, 1, 1), in).macRatio() > 1);
        assertTrue(BlockCost.of(SeparableBlock.mobilenet(4, 2, 1), in).weightRatio() < 1, "N_o = 2 > 9/8: a saving");
        assertTrue(BlockCost.of(SeparableBlock.mobilenet(4, 2, 1), in).macRatio() < 1);
    }

    @ParameterizedTest(name = "γ={0} N_i={1} N_o={2}")
    @CsvSource({"1, 32, 64", "2, 16, 48", "3, 8, 10", "4, 32, 128"})
    void seed002GammaAtTheDepthwiseStep(int gamma, int ni, int no) {
        int l = 14;
        BlockCost cost = BlockCost.of(SeparableBlock.builder(ni, no).depthMultiplier(gamma).build(), new Shape(1, ni, l, l));
        assertEquals(Cost.gammaDepthwiseWeights(gamma, ni, 3, 3), cost.first().weights(), 0);
        assertEquals(Cost.gammaPointwiseWeights(gamma, no, ni), cost.second().weights(), 0);
        assertEquals(Cost.gammaDepthwiseMacs(gamma, ni, 3, 3, l, l), cost.first().macs(), 0);
        assertEquals(Cost.gammaPointwiseMacs(gamma, no, ni, l, l), cost.second().macs(), 0);
    }

    @ParameterizedTest(name = "γ={0} N_i={1}")
    @CsvSource({"1, 32", "4, 16", "9, 8", "16, 5"})
    void seed002DistributedSqrtGamma(int gamma, int ni) {
        int l = 7;
        BlockCost cost = BlockCost.of(SeparableBlock.distributed(ni, gamma, 3), new Shape(1, ni, l, l));
        assertEquals(Cost.distributedDepthwiseWeights(gamma, ni, 3, 3), cost.first().weights(), 1e-9);
        assertEquals(Cost.distributedPointwiseWeights(gamma, ni), cost.second().weights(), 1e-9);
        assertEquals(Cost.distributedDepthwiseMacs(gamma, ni, 3, 3, l, l), cost.first().macs(), 1e-9);
        assertEquals(Cost.distributedPointwiseMacs(gamma, ni, l, l), cost.second().macs(), 1e-9);
        double root = Math.sqrt(gamma);
        assertEquals(root * ni * (ni * gamma + 9), cost.weights(), 1e-9); // weights_tot = √γ N_i (N_i γ + F_r F_c)
        assertEquals(root * ni * l * l * (ni * gamma + 9), cost.macs(), 1e-9);
        // The seed's conclusion: for γ ≥ 1 the distributed form never costs less than γ at the depthwise step.
        BlockCost atDepthwise = BlockCost.of(SeparableBlock.builder(ni, ni * gamma).depthMultiplier(gamma).build(),
                new Shape(1, ni, l, l));
        assertTrue(cost.weights() <= atDepthwise.weights(), cost + " vs " + atDepthwise);
    }

    @Test
    void seed000SpatialPairs() {
        BlockCost dw5 = BlockCost.spatial(ConvSpec.depthwise(1, 1, 5).padding(2).build(), new Shape(1, 1, 20, 20));
        assertEquals(25, dw5.standard().weights());
        assertEquals(10, dw5.weights());
        assertEquals(10.0 / 25, dw5.weightRatio(), 0);
        assertEquals(10.0 / 25, dw5.macRatio(), 1e-15, "same padding: 2K instead of K² MACs per output");
        BlockCost full = BlockCost.spatial(ConvSpec.full(8, 8, 3).stride(2).padding(1).build(), new Shape(2, 8, 15, 15));
        assertEquals(new Shape(2, 8, 8, 8), full.second().output());
        assertEquals(8 * 8 * 3 * 2, full.weights());
        assertThrows(IllegalArgumentException.class,
                () -> BlockCost.spatial(ConvSpec.full(4, 4, 3).groups(2).build(), new Shape(1, 4, 5, 5)));
    }

    @Test
    void bytesAndParamsOfABlockWithBatchNorm() {
        SeparableBlock block = SeparableBlock.mobilenet(4, 6, 2).withBatchNorm(
                new Epilogue.BatchNorm(new float[4], ones(4), ones(4), new float[4], 1e-5f),
                new Epilogue.BatchNorm(new float[6], ones(6), ones(6), new float[6], 1e-5f));
        BlockCost cost = BlockCost.of(block, new Shape(2, 4, 9, 9));
        assertEquals(36 + 24, cost.weights());
        assertEquals(36 + 4 + 24 + 6, cost.params(), "folded batch-norm leaves one bias per channel");
        long input = 2 * 4 * 81, mid = 2 * 4 * 25, output = 2 * 6 * 25;
        assertEquals(4 * (input + 40 + mid + mid + 30 + output), cost.bytes());
        assertEquals(4 * (input + 40 + 30 + output), cost.fusedBytes());
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }
}
