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
import org.convcl.plan.BackwardFilterDepthwiseFlatDescriptor;
import org.convcl.plan.BackwardPass;
import org.convcl.plan.BackwardPlanner;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The flat-plane depthwise weight-gradient kernel ({@code conv2d_bwd_filter_depthwise_flat.cl}) forced on shapes that
 * reach its edges: rows narrower and wider than a step, a plane of exactly one step, the last step overlapping the one
 * before, output rows fewer than the input's (no vertical pad), asymmetric pads, dilation, a 5×5 kernel, γ 1–3, odd
 * channel counts and batch &gt; 1; written and accumulated, against the double reference; and a plane it declines going
 * to the planner's kernel.
 */
class BackwardDepthwiseFlatFilterTest {
    static final BackwardDescriptor FLAT = BackwardKernelCheck.descriptor(BackwardPlanner.FILTER_REGISTRY,
            BackwardFilterDepthwiseFlatDescriptor.class);

    static List<Case> cases() {
        return List.of(
                new Case("3x3 p1, 7x7, batch 3", ConvSpec.depthwise(5, 1, 3).padding(1).build(), new Shape(3, 5, 7, 7)),
                new Case("3x3 p1 γ2, 14x14", ConvSpec.depthwise(3, 2, 3).padding(1).build(), new Shape(2, 3, 14, 14)),
                new Case("3x3 p1 γ3, 4x4 (one step)", ConvSpec.depthwise(3, 3, 3).padding(1).build(), new Shape(2, 3, 4, 4)),
                new Case("3x3 p1, 9x3 (rows narrower than a step)", ConvSpec.depthwise(2, 1, 3).padding(1).build(), new Shape(2, 2, 9, 3)),
                new Case("3x3 pad 0,1 (output rows fewer), 11x5", ConvSpec.depthwise(3, 1, 3).padding(0, 1).build(), new Shape(1, 3, 11, 5)),
                new Case("3x3 asymmetric pad 2,2,0,0, 6x9", ConvSpec.depthwise(3, 1, 3).padding(2, 2, 0, 0).build(), new Shape(2, 3, 6, 9)),
                new Case("3x3 dilation 2 pad 2, 8x10", ConvSpec.depthwise(4, 1, 3).dilation(2).padding(2).build(), new Shape(2, 4, 8, 10)),
                new Case("5x5 p2 γ2, 7x7", ConvSpec.depthwise(3, 2, 5).padding(2).build(), new Shape(2, 3, 7, 7)),
                new Case("3x3 p1, 2x2 (declined: the row kernel)", ConvSpec.depthwise(3, 1, 3).padding(1).build(), new Shape(2, 3, 2, 2)));
    }

    @TestFactory
    Stream<DynamicTest> theForcedKernelMatchesTheReferenceWrittenAndAccumulated() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> BackwardKernelCheck.matchesTheReference((OpenClBackend) TestBackends.opencl(), FLAT, true, c)));
    }

    /** The planner takes it for MobileNet's 14×14 and 7×7 stride-1 layers, not for 28×28 planes or strided layers. */
    @Test
    void thePlannerPicksItForSmallStrideOnePlanes() {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        ConvSpec dw = ConvSpec.depthwise(512, 1, 3).padding(1).build();
        assertEquals(FLAT, BackwardPlanner.choose(BackwardPass.FILTER, dw, new Shape(8, 512, 14, 14), backend.facts()));
        assertEquals(FLAT, BackwardPlanner.choose(BackwardPass.FILTER, dw, new Shape(8, 512, 7, 7), backend.facts()));
        assertTrue(FLAT != BackwardPlanner.choose(BackwardPass.FILTER, dw, new Shape(8, 512, 28, 28), backend.facts()));
        assertTrue(FLAT.declines(ConvSpec.depthwise(512, 1, 3).stride(2).padding(1).build(), backend.facts()).isPresent());
    }

    /** Ten runs give the same bits. */
    @Test
    void tenRunsGiveTheSameBits() {
        BackwardKernelCheck.sameBitsOnTenRuns((OpenClBackend) TestBackends.opencl(), FLAT, true, cases().get(1));
    }
}
