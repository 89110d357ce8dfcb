package org.convcl.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.junit.jupiter.api.Test;

/** The host side of Winograd F(2×2, 3×3): filter transform by hand, tile grid, GEMM shape, bad input. */
class WinogradTransformTest {

    @Test
    void filterOfOnesTransformsToTheOuterProductOfGsRowSums() {
        // G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]: row sums 1, 1.5, 0.5, 1, so G·1·Gᵀ = r rᵀ
        float[] ones = new float[9];
        java.util.Arrays.fill(ones, 1f);
        float[] u = Winograd.transformWeights(ones, 1, 1);
        double[] r = {1, 1.5, 0.5, 1};
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) assertEquals(r[i] * r[j], u[i * 4 + j], 0, "U[" + i + "][" + j + "]");
    }

    @Test
    void layoutIsPositionThenOutputThenInputChannel() {
        // filter (o=1, c=2) of a 2x3 layer is a single 1 at the centre tap: U = (G e₁₁ Gᵀ) = g1 g1ᵀ, g1 = (0, ½, -½, 0)
        int cOut = 2, cIn = 3;
        float[] w = new float[cOut * cIn * 9];
        w[(1 * cIn + 2) * 9 + 4] = 1f;
        float[] u = Winograd.transformWeights(w, cOut, cIn);
        double[] g1 = {0, 0.5, -0.5, 0};
        for (int xi = 0; xi < 16; xi++) {
            for (int o = 0; o < cOut; o++) {
                for (int c = 0; c < cIn; c++) {
                    double expected = o == 1 && c == 2 ? g1[xi / 4] * g1[xi % 4] : 0;
                    assertEquals(expected, u[(xi * cOut + o) * cIn + c], 0, "xi=" + xi + " o=" + o + " c=" + c);
                }
            }
        }
    }

    @Test
    void tilesCoverRaggedOutputsAndTheGemmPutsImagesAlongN() {
        ConvSpec spec = ConvSpec.full(5, 11, 3).padding(1).build();
        Shape out = spec.outputShape(new Shape(3, 5, 7, 9));
        assertEquals(4, Winograd.tilesY(out));
        assertEquals(5, Winograd.tilesX(out));
        assertEquals(new Shape(16, 5, 1, 3 * 20), Winograd.gemmInput(spec, out));
        assertEquals(16L * 11 * 3 * 20, Winograd.scratchFloats(11, out));
        assertTrue(Winograd.supports(spec));
        assertTrue(!Winograd.supports(ConvSpec.full(5, 11, 3).stride(2).build()));
        assertTrue(!Winograd.supports(ConvSpec.full(6, 12, 3).groups(2).build()));
        assertTrue(!Winograd.supports(ConvSpec.builder(5, 11, 3, 1).build()));
    }

    @Test
    void wrongWeightCountIsRefusedNamingTheSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Winograd.transformWeights(new float[8], 1, 1));
        assertTrue(e.getMessage().contains("9") && e.getMessage().contains("8"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Winograd.transformWeights(null, 1, 1));
    }
}
