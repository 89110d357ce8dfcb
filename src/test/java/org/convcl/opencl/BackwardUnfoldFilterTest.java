package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.convcl.ConvGradients;
import org.convcl.ConvSpec;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.ReferenceGradients;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TestBackends;
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

    static List<BackwardPointwiseFilterTest.Case> cases() {
        return List.of(
                new BackwardPointwiseFilterTest.Case("rgb stem 3x3 s2", ConvSpec.full(3, 10, 3).stride(2).padding(1).build(), new Shape(2, 3, 11, 9)),
                new BackwardPointwiseFilterTest.Case("one image 3x3", ConvSpec.full(6, 20, 3).padding(1).build(), new Shape(1, 6, 7, 8)),
                new BackwardPointwiseFilterTest.Case("groups 2, 5x3 dilated", ConvSpec.builder(8, 6, 5, 3).groups(2).dilation(2, 1).padding(2, 1, 3, 0).build(),
                        new Shape(3, 8, 9, 7)),
                new BackwardPointwiseFilterTest.Case("19 output channels 3x3 s2, no padding", ConvSpec.full(17, 19, 3).stride(2).build(), new Shape(2, 17, 8, 10)));
    }

    @TestFactory
    Stream<DynamicTest> forcedItMatchesTheReferenceWrittenAndAccumulated() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
    }

    private static void check(BackwardPointwiseFilterTest.Case c) {
        Random r = new Random(c.name().hashCode());
        ConvSpec s = c.spec();
        Shape out = s.outputShape(c.input());
        Tensor x = Tensor.of(OpenClConvCorrectnessTest.uniform(r, c.input().count()), c.input());
        Tensor dz = Tensor.of(OpenClConvCorrectnessTest.uniform(r, out.count()), out);
        float[] w = OpenClConvCorrectnessTest.uniform(r, s.weightCount()), dw0 = OpenClConvCorrectnessTest.uniform(r, s.weightCount());
        ReferenceGradients.Grads g = ReferenceGradients.gradients(x, s, w, dz);
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        try (PreparedConv conv = backend.prepare(s, w, Epilogue.none());
             DeviceTensor dx = backend.upload(x);
             DeviceTensor dd = backend.upload(dz);
             DeviceTensor dw = backend.upload(Tensor.of(dw0.clone(), ConvGradients.weightShape(s)))) {
            ((OpenClConv) conv).forceBackward(UNFOLD);
            assertEquals(UNFOLD, ((OpenClConv) conv).backwardPlan(BackwardPass.FILTER, c.input()).descriptor());
            conv.backwardFilter(dx, dd, dw, null, true);
            double[] sum = g.dw().clone();
            for (int i = 0; i < sum.length; i++) sum[i] += dw0[i];
            ReferenceGradients.assertClose(sum, dw.download().data(), ConvGradients.weightShape(s), 1e-4, "accumulated dw " + c);
            conv.backwardFilter(dx, dd, dw, null, false);
            ReferenceGradients.assertClose(g.dw(), dw.download().data(), ConvGradients.weightShape(s), 1e-4, "dw " + c);
        }
    }

    @Test
    void itGivesTheSameBitsOnTenRuns() {
        BackwardPointwiseFilterTest.Case c = cases().get(2);
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        Random r = new Random(5);
        Shape out = c.spec().outputShape(c.input());
        try (PreparedConv conv = backend.prepare(c.spec(), OpenClConvCorrectnessTest.uniform(r, c.spec().weightCount()), Epilogue.none());
             DeviceTensor x = backend.upload(Tensor.of(OpenClConvCorrectnessTest.uniform(r, c.input().count()), c.input()));
             DeviceTensor dz = backend.upload(Tensor.of(OpenClConvCorrectnessTest.uniform(r, out.count()), out));
             DeviceTensor dw = backend.allocate(ConvGradients.weightShape(c.spec()))) {
            ((OpenClConv) conv).forceBackward(UNFOLD);
            float[] first = null;
            for (int run = 0; run < 10; run++) {
                conv.backwardFilter(x, dz, dw, null, false);
                float[] now = dw.download().data();
                if (first == null) first = now;
                else assertArrayEquals(first, now, c + " run " + run);
            }
        }
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
