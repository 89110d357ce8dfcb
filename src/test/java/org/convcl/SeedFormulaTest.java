package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The seeds' closed forms agree with the general MAC count of {@link BlockCost}, and bad input is named. */
class SeedFormulaTest {
    private static final Shape INPUT = new Shape(1, 32, 56, 56);

    @Test
    void depthwiseSeparableEqualsTheBlockCostRatio() {
        SeparableBlock block = SeparableBlock.builder(32, 64).kernel(3, 3).padding(1, 1, 1, 1).build();
        double predicted = SeedFormula.DEPTHWISE_SEPARABLE.speedup(block.standardEquivalent(),
                List.of(block.depthwise(), block.pointwise()), INPUT);
        assertEquals(1 / BlockCost.of(block, INPUT).macRatio(), predicted, 1e-12);
        assertEquals(1 / (1.0 / 64 + 1.0 / 9), predicted, 1e-12);
    }

    @Test
    void gammaEqualsTheBlockCostRatio() {
        SeparableBlock block = SeparableBlock.builder(32, 64).depthMultiplier(4).kernel(3, 3).padding(1, 1, 1, 1).build();
        double predicted = SeedFormula.GAMMA.speedup(block.standardEquivalent(),
                List.of(block.depthwise(), block.pointwise()), INPUT);
        assertEquals(1 / BlockCost.of(block, INPUT).macRatio(), predicted, 1e-9);
    }

    @Test
    void parseNamesTheValueAndWrongMembersAreNamed() {
        assertEquals(SeedFormula.GAMMA_DISTRIBUTED, SeedFormula.parse("gamma-distributed"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SeedFormula.parse("fft"));
        assertTrue(e.getMessage().contains("'fft'"), e.getMessage());
        ConvSpec full = ConvSpec.full(32, 64, 3).padding(1).build();
        IllegalArgumentException m = assertThrows(IllegalArgumentException.class,
                () -> SeedFormula.DEPTHWISE_SEPARABLE.speedup(full, List.of(full), INPUT));
        assertTrue(m.getMessage().contains("separable member 1 must be depthwise"), m.getMessage());
    }
}
