package org.convcl.opencl;


import java.util.List;
import java.util.stream.Stream;
import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.convcl.opencl.BackwardKernelCheck.Case;
import org.convcl.plan.BackwardAlgorithm;
import org.convcl.plan.KernelFamily;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The GPU family's strided input-gradient kernel ({@code conv2d_bwd_data_gpu.cl}) on PoCL with the GPU family forced:
 * the planner picks it for strided layers (full, grouped, pointwise, depthwise γ 1 and 2), and dx, written and
 * accumulated, matches the double reference on edge shapes (strides 2 and 3 that do not divide the input, asymmetric
 * pads, dilation, a grid padded past the row and the batch), and the same bits on ten runs.
 */
class BackwardGpuDataTest {
    private static OpenClBackend backend;

    @BeforeAll
    static void open() {
        backend = FamilyBackends.open(KernelFamily.GPU);
    }

    @AfterAll
    static void close() {
        if (backend != null) backend.close();
    }

    static List<Case> cases() {
        return List.of(
                new Case("full 3x3 s2, odd sizes", ConvSpec.full(3, 5, 3).stride(2).padding(1).build(), new Shape(2, 3, 13, 11)),
                new Case("full 4x2 s3x2, asymmetric pads", ConvSpec.builder(4, 6, 4, 2).stride(3, 2).padding(2, 0, 1, 1).build(),
                        new Shape(1, 4, 14, 9)),
                new Case("groups 2, 3x3 s2 dilated 2", ConvSpec.builder(6, 4, 3, 3).groups(2).stride(2).dilation(2).padding(2).build(),
                        new Shape(2, 6, 10, 7)),
                new Case("pointwise s2", ConvSpec.builder(5, 7, 1, 1).stride(2).build(), new Shape(2, 5, 7, 9)),
                new Case("depthwise γ=1 s2, pads past the kernel", ConvSpec.depthwise(3, 1, 3).stride(2).padding(0, 1, 2, 3).build(),
                        new Shape(2, 3, 11, 17)),
                new Case("depthwise γ=2 5x5 s3 dilated", ConvSpec.depthwise(4, 2, 5).stride(3).dilation(2, 1).padding(3).build(),
                        new Shape(1, 4, 13, 10)));
    }

    @TestFactory
    Stream<DynamicTest> thePlannerPicksItAndItMatchesTheReferenceWrittenAndAccumulated() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
    }

    private static void check(Case c) {
        BackwardKernelCheck.matchesTheReference(backend, BackwardAlgorithm.BACKWARD_DATA_GPU.descriptor(), false, c);
    }

    /** Ten runs give the same bits. */
    @Test
    void tenRunsGiveTheSameBits() {
        BackwardKernelCheck.sameBitsOnTenRuns(backend, BackwardAlgorithm.BACKWARD_DATA_GPU.descriptor(), false, cases().get(2));
    }
}
