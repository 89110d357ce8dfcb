package org.convcl.opencl;


import java.util.List;
import java.util.stream.Stream;
import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.convcl.plan.BackwardAlgorithm;
import org.convcl.plan.KernelFamily;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The GPU family's weight-gradient kernels, the GEMMs on {@code POINTWISE_GPU} and the depthwise work-group reduction, on PoCL with the GPU family forced: the planner's
 * choice there, written and accumulated against the double reference (tiles one past a block, a single image, the
 * gathered batch, groups) and its depthwise reduction (γ, stride, dilation), and the same bits on 10 runs.
 */
class BackwardGpuFilterTest {
    private static OpenClBackend backend;

    @BeforeAll
    static void open() {
        backend = FamilyBackends.open(KernelFamily.GPU);
    }

    @AfterAll
    static void close() {
        if (backend != null) backend.close();
    }

    record Case(String name, ConvSpec spec, Shape input, BackwardAlgorithm expected) {
        @Override
        public String toString() { return name + " " + input; }

        BackwardKernelCheck.Case layer() { return new BackwardKernelCheck.Case(name, spec, input); }
    }

    static List<Case> cases() {
        return List.of(
                new Case("pointwise per image, 65 output channels", ConvSpec.pointwise(20, 65), new Shape(2, 20, 9, 11),
                        BackwardAlgorithm.BACKWARD_FILTER_POINTWISE_GEMM_GPU),
                new Case("pointwise gathered", ConvSpec.pointwise(70, 9), new Shape(3, 70, 5, 7), BackwardAlgorithm.BACKWARD_FILTER_POINTWISE_GEMM_GPU),
                new Case("full 3x3 s2, one image", ConvSpec.full(3, 10, 3).stride(2).padding(1).build(), new Shape(1, 3, 40, 33),
                        BackwardAlgorithm.BACKWARD_FILTER_UNFOLD_GEMM_GPU),
                new Case("groups 2, 5x3 dilated", ConvSpec.builder(8, 6, 5, 3).groups(2).dilation(2, 1).padding(2, 1, 3, 0).build(),
                        new Shape(3, 8, 9, 7), BackwardAlgorithm.BACKWARD_FILTER_UNFOLD_GEMM_GPU),
                new Case("depthwise γ=2, stride 2, pads past the kernel", ConvSpec.depthwise(3, 2, 3).stride(2).padding(0, 1, 2, 3).build(),
                        new Shape(2, 3, 11, 17), BackwardAlgorithm.BACKWARD_FILTER_DEPTHWISE_GPU),
                new Case("depthwise 5x5 dilated, fewer pixels than a group", ConvSpec.depthwise(4, 1, 5).dilation(2).padding(4).build(),
                        new Shape(1, 4, 6, 5), BackwardAlgorithm.BACKWARD_FILTER_DEPTHWISE_GPU));
    }

    @TestFactory
    Stream<DynamicTest> thePlannersGpuGemmsMatchTheReferenceWrittenAndAccumulated() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
    }

    private static void check(Case c) {
        BackwardKernelCheck.matchesTheReference(backend, c.expected().descriptor(), false, c.layer());
    }

    @TestFactory
    Stream<DynamicTest> theUnfoldGemmAndTheDepthwiseReductionGiveTheSameBitsOnTenRuns() {
        return Stream.of(cases().get(3), cases().get(4)).map(c -> DynamicTest.dynamicTest(c.toString(), () -> tenRuns(c)));
    }

    private static void tenRuns(Case c) {
        BackwardKernelCheck.sameBitsOnTenRuns(backend, c.expected().descriptor(), false, c.layer());
    }
}
