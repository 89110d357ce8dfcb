package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.convcl.TestBackends;
import org.convcl.opencl.BackwardKernelCheck.Case;
import org.convcl.plan.BackwardDescriptor;
import org.convcl.plan.BackwardFilterUnfoldGemmDescriptor;
import org.convcl.plan.BackwardPass;
import org.convcl.plan.BackwardPlanner;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The full and grouped weight gradient as the unfolded input times dz on the forward pointwise GEMM
 * ({@link BackwardFilterUnfoldGemmDescriptor}), forced on shapes that reach its edges (padding on every side, stride 2,
 * dilation, groups, one image, window rows shorter than a vector), written and accumulated against the double reference,
 * and the same bits on 10 runs.
 */
class BackwardUnfoldFilterTest {
    static final BackwardDescriptor UNFOLD = BackwardPointwiseFilterTest.descriptor(BackwardFilterUnfoldGemmDescriptor.class);

    static List<Case> cases() {
        return List.of(
                new Case("rgb stem 3x3 s2", ConvSpec.full(3, 10, 3).stride(2).padding(1).build(), new Shape(2, 3, 11, 9)),
                new Case("one image 3x3", ConvSpec.full(6, 20, 3).padding(1).build(), new Shape(1, 6, 7, 8)),
                new Case("groups 2, 5x3 dilated", ConvSpec.builder(8, 6, 5, 3).groups(2).dilation(2, 1).padding(2, 1, 3, 0).build(),
                        new Shape(3, 8, 9, 7)),
                new Case("19 output channels 3x3 s2, no padding", ConvSpec.full(17, 19, 3).stride(2).build(), new Shape(2, 17, 8, 10)));
    }

    @TestFactory
    Stream<DynamicTest> forcedItMatchesTheReferenceWrittenAndAccumulated() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> BackwardKernelCheck.matchesTheReference((OpenClBackend) TestBackends.opencl(), UNFOLD, true, c)));
    }

    @Test
    void itGivesTheSameBitsOnTenRuns() {
        BackwardKernelCheck.sameBitsOnTenRuns((OpenClBackend) TestBackends.opencl(), UNFOLD, true, cases().get(2));
    }

    @Test
    void itDeclinesPointwiseAndDepthwiseLayersAndInputsWhoseUnfoldedCopyIsTooLarge() {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        assertTrue(UNFOLD.declines(ConvSpec.pointwise(8, 8), backend.facts()).isPresent());
        assertTrue(UNFOLD.declines(ConvSpec.depthwise(8, 1, 3).build(), backend.facts()).isPresent());
        ConvSpec big = ConvSpec.full(64, 64, 3).padding(1).build();
        Shape huge = new Shape(64, 64, 56, 56); // 64 · 3136 · 576 = 115 M elements unfolded
        assertEquals("the unfolded input would take 115605504 elements, above " + BackwardFilterUnfoldGemmDescriptor.MAX_UNFOLDED_FLOATS,
                UNFOLD.declinesInput(big, huge).orElseThrow());
        assertTrue(BackwardPlanner.choose(BackwardPass.FILTER, big, huge, backend.facts()) != UNFOLD);
    }
}
