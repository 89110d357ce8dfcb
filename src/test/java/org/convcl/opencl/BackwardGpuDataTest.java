package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.convcl.ConvSpec;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.ReferenceGradients;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.plan.BackwardAlgorithm;
import org.convcl.plan.BackwardPass;
import org.convcl.plan.KernelFamily;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The GPU family's strided input-gradient kernel ({@code conv2d_bwd_data_gpu.cl}) on PoCL with the GPU family forced:
 * the planner picks it for strided layers (full, grouped, pointwise, depthwise γ 1 and 2), and dx, written and
 * accumulated, matches the double reference on edge shapes (strides 2 and 3 that do not divide the input, asymmetric
 * pads, dilation, a grid padded past the row and the batch).
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

    record Case(String name, ConvSpec spec, Shape input) {
        @Override
        public String toString() { return name + " " + input; }
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
        Random r = new Random(c.name().hashCode());
        ConvSpec s = c.spec();
        Shape out = s.outputShape(c.input());
        Tensor x = Tensor.of(OpenClConvCorrectnessTest.uniform(r, c.input().count()), c.input());
        Tensor dz = Tensor.of(OpenClConvCorrectnessTest.uniform(r, out.count()), out);
        float[] w = OpenClConvCorrectnessTest.uniform(r, s.weightCount()), dx0 = OpenClConvCorrectnessTest.uniform(r, c.input().count());
        ReferenceGradients.Grads g = ReferenceGradients.gradients(x, s, w, dz);
        try (PreparedConv conv = backend.prepare(s, w, Epilogue.none());
             DeviceTensor dd = backend.upload(dz);
             DeviceTensor dx = backend.upload(Tensor.of(dx0.clone(), c.input()))) {
            assertEquals(BackwardAlgorithm.BACKWARD_DATA_GPU.descriptor(),
                    ((OpenClConv) conv).backwardPlan(BackwardPass.DATA, c.input()).descriptor(), c.toString());
            conv.backwardData(dd, dx, true);
            double[] sum = g.dx().clone();
            for (int i = 0; i < sum.length; i++) sum[i] += dx0[i];
            ReferenceGradients.assertClose(sum, dx.download().data(), c.input(), 1e-4, "accumulated dx " + c);
            conv.backwardData(dd, dx, false);
            ReferenceGradients.assertClose(g.dx(), dx.download().data(), c.input(), 1e-4, "dx " + c);
        }
    }
}
