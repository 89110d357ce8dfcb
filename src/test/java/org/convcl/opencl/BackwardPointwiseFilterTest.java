package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Shape;
import org.convcl.TestBackends;
import org.convcl.opencl.BackwardKernelCheck.Case;
import org.convcl.plan.BackwardDescriptor;
import org.convcl.plan.BackwardFilterPointwiseDescriptor;
import org.convcl.plan.BackwardFilterPointwiseGemmDescriptor;
import org.convcl.plan.BackwardPlanner;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The two pointwise weight-gradient kernels, each forced ({@code OpenClConv.forceBackward}) on shapes that reach their
 * edges: the GEMM through the forward pointwise kernel per image and over the gathered batch (channels off its 16 × 16
 * block, fewer input channels than a vector, 7×7 and 1×1 planes, one image), and the dot-product kernel the planner now
 * keeps for one pixel per image; written and accumulated, against the double reference.
 */
class BackwardPointwiseFilterTest {
    static final BackwardDescriptor GEMM = descriptor(BackwardFilterPointwiseGemmDescriptor.class);
    static final BackwardDescriptor DOT = descriptor(BackwardFilterPointwiseDescriptor.class);

    static BackwardDescriptor descriptor(Class<? extends BackwardDescriptor> type) {
        return BackwardKernelCheck.descriptor(BackwardPlanner.FILTER_REGISTRY, type);
    }

    static List<Case> cases() {
        return List.of(
                new Case("one image, 7x7", ConvSpec.pointwise(37, 29), new Shape(1, 37, 7, 7)),
                new Case("per image, planes larger than the channels", ConvSpec.pointwise(20, 13), new Shape(3, 20, 9, 11)),
                new Case("per image, fewer input channels than a vector", ConvSpec.pointwise(5, 14), new Shape(2, 5, 4, 6)),
                new Case("gathered 7x7, channels off the block", ConvSpec.pointwise(70, 25), new Shape(4, 70, 7, 7)),
                new Case("gathered, 3x1 planes", ConvSpec.pointwise(16, 12), new Shape(5, 16, 3, 1)),
                new Case("one pixel per image", ConvSpec.pointwise(21, 10), new Shape(3, 21, 1, 1)));
    }

    private static float[] random(Random r, int n) {
        return OpenClConvCorrectnessTest.uniform(r, n);
    }

    @TestFactory
    Stream<DynamicTest> eachKernelForcedMatchesTheReferenceWrittenAndAccumulated() {
        return Stream.of(GEMM, DOT).flatMap(d -> cases().stream().map(c -> DynamicTest.dynamicTest(
                d.getClass().getSimpleName() + " " + c, () -> BackwardKernelCheck.matchesTheReference((OpenClBackend) TestBackends.opencl(), d, true, c))));
    }

    /** The GEMM, per image (partial sums added in image order) and gathered, gives the same bits on 10 runs. */
    @Test
    void theGemmGivesTheSameBitsOnTenRuns() {
        for (Case c : List.of(cases().get(1), cases().get(3))) {
            BackwardKernelCheck.sameBitsOnTenRuns((OpenClBackend) TestBackends.opencl(), GEMM, true, c);
        }
    }

    @Test
    void forcingAKernelThatDeclinesTheLayerIsRefusedNamingIt() {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        ConvSpec full = ConvSpec.full(3, 4, 3).padding(1).build();
        try (PreparedConv conv = backend.prepare(full, new float[full.weightCount()], Epilogue.none())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ((OpenClConv) conv).forceBackward(GEMM));
            assertTrue(e.getMessage().contains("BackwardFilterPointwiseGemmDescriptor") && e.getMessage().contains("pointwise"), e.getMessage());
        }
    }

    @Test
    void thePlannerPicksTheGemmExceptForOnePixelPerImage() {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        ConvSpec s = ConvSpec.pointwise(32, 64);
        assertEquals(GEMM, BackwardPlanner.choose(org.convcl.plan.BackwardPass.FILTER, s, new Shape(8, 32, 7, 7), backend.facts()));
        assertEquals(DOT, BackwardPlanner.choose(org.convcl.plan.BackwardPass.FILTER, s, new Shape(8, 32, 1, 1), backend.facts()));
    }
}
