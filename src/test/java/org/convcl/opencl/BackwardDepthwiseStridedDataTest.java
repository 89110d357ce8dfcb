package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Stream;
import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.convcl.TestBackends;
import org.convcl.opencl.BackwardKernelCheck.Case;
import org.convcl.plan.BackwardDataDepthwiseStridedDescriptor;
import org.convcl.plan.BackwardDescriptor;
import org.convcl.plan.BackwardPass;
import org.convcl.plan.BackwardPlanner;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The strided depthwise input-gradient kernel ({@code conv2d_bwd_data_depthwise_strided.cl}) forced on shapes that reach
 * its edges: rows narrower than a vector of dz (lane by lane), rows whose ends need shifted vector loads, blocks reaching
 * past the row, row blocks cut by the input's height, 1×1, 2×2 and 7×7 inputs, strides that do not divide the input,
 * stride 3, dilation, asymmetric pads, γ 1–3, odd channel counts and batch &gt; 1; written and accumulated, against the
 * double reference.
 */
class BackwardDepthwiseStridedDataTest {
    static final BackwardDescriptor STRIDED = BackwardKernelCheck.descriptor(BackwardPlanner.DATA_REGISTRY,
            BackwardDataDepthwiseStridedDescriptor.class);

    static List<Case> cases() {
        return List.of(
                new Case("3x3 s2 p1, 37 wide (shifted loads, partial block), 19 rows", ConvSpec.depthwise(3, 1, 3).stride(2).padding(1).build(),
                        new Shape(2, 3, 19, 37)),
                new Case("3x3 s2 p1, 32 wide (whole blocks)", ConvSpec.depthwise(2, 1, 3).stride(2).padding(1).build(), new Shape(1, 2, 10, 32)),
                new Case("3x3 s2 p1 γ2, 7x7", ConvSpec.depthwise(5, 2, 3).stride(2).padding(1).build(), new Shape(2, 5, 7, 7)),
                new Case("3x3 s2 p1 γ3, 2x2", ConvSpec.depthwise(3, 3, 3).stride(2).padding(1).build(), new Shape(1, 3, 2, 2)),
                new Case("3x3 s2 p1, 1x1", ConvSpec.depthwise(3, 1, 3).stride(2).padding(1).build(), new Shape(3, 3, 1, 1)),
                new Case("3x3 s2 asymmetric pad, 14x14", ConvSpec.depthwise(4, 1, 3).stride(2).padding(0, 1, 1, 0).build(),
                        new Shape(2, 4, 14, 14)),
                new Case("5x5 s2 p2 γ2, 23x41 (stride does not divide)", ConvSpec.depthwise(3, 2, 5).stride(2).padding(2).build(),
                        new Shape(1, 3, 23, 41)),
                new Case("3x3 s3 p1, 29 wide (lane stores)", ConvSpec.depthwise(3, 1, 3).stride(3).padding(1).build(), new Shape(2, 3, 11, 29)),
                new Case("3x3 s2 dilation 2 pad 2, 33 wide", ConvSpec.depthwise(2, 1, 3).stride(2).dilation(2).padding(2, 2, 1, 3).build(),
                        new Shape(1, 2, 12, 33)),
                new Case("3x1 stride 1,2 (strided along x only)", ConvSpec.builder(3, 3, 3, 1).groups(3).stride(1, 2).padding(1, 0, 1, 0).build(),
                        new Shape(2, 3, 9, 20)));
    }

    @TestFactory
    Stream<DynamicTest> theForcedKernelMatchesTheReferenceWrittenAndAccumulated() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> BackwardKernelCheck.matchesTheReference((OpenClBackend) TestBackends.opencl(), STRIDED, true, c)));
    }

    /** The planner takes this kernel for depthwise layers strided along x, and the stride-1 kernel otherwise. */
    @Test
    void thePlannerPicksItForStridedDepthwiseLayers() {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        assertEquals(STRIDED, BackwardPlanner.choose(BackwardPass.DATA, cases().get(0).spec(), backend.facts()));
        ConvSpec strideOne = ConvSpec.depthwise(3, 1, 3).padding(1).build();
        assertEquals(false, STRIDED.equals(BackwardPlanner.choose(BackwardPass.DATA, strideOne, backend.facts())));
    }

    /** Ten runs give the same bits. */
    @Test
    void tenRunsGiveTheSameBits() {
        BackwardKernelCheck.sameBitsOnTenRuns((OpenClBackend) TestBackends.opencl(), STRIDED, true, cases().get(6));
    }
}
