package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
        return BackwardPlanner.FILTER_REGISTRY.stream().filter(type::isInstance).findFirst().orElseThrow();
    }

    record Case(String name, ConvSpec spec, Shape input) {
        @Override
        public String toString() { return name + " " + input; }
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
                d.getClass().getSimpleName() + " " + c, () -> check(d, c))));
    }

    private static void check(BackwardDescriptor forced, Case c) {
        Random r = new Random(c.name().hashCode());
        ConvSpec s = c.spec();
        Shape out = s.outputShape(c.input());
        Tensor x = Tensor.of(random(r, c.input().count()), c.input()), dz = Tensor.of(random(r, out.count()), out);
        float[] w = random(r, s.weightCount()), dw0 = random(r, s.weightCount());
        ReferenceGradients.Grads g = ReferenceGradients.gradients(x, s, w, dz);
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        try (PreparedConv conv = backend.prepare(s, w, Epilogue.none());
             DeviceTensor dx = backend.upload(x);
             DeviceTensor dd = backend.upload(dz);
             DeviceTensor dw = backend.upload(Tensor.of(dw0.clone(), ConvGradients.weightShape(s)))) {
            ((OpenClConv) conv).forceBackward(forced);
            conv.backwardFilter(dx, dd, dw, null, true);
            double[] sum = g.dw().clone();
            for (int i = 0; i < sum.length; i++) sum[i] += dw0[i];
            ReferenceGradients.assertClose(sum, dw.download().data(), ConvGradients.weightShape(s), 1e-4, "accumulated dw " + c);
            conv.backwardFilter(dx, dd, dw, null, false);
            ReferenceGradients.assertClose(g.dw(), dw.download().data(), ConvGradients.weightShape(s), 1e-4, "dw " + c);
        }
    }

    /** The GEMM, per image (partial sums added in image order) and gathered, gives the same bits on 10 runs. */
    @Test
    void theGemmGivesTheSameBitsOnTenRuns() {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        for (Case c : List.of(cases().get(1), cases().get(3))) {
            Random r = new Random(5);
            Shape out = c.spec().outputShape(c.input());
            try (PreparedConv conv = backend.prepare(c.spec(), random(r, c.spec().weightCount()), Epilogue.none());
                 DeviceTensor x = backend.upload(Tensor.of(random(r, c.input().count()), c.input()));
                 DeviceTensor dz = backend.upload(Tensor.of(random(r, out.count()), out));
                 DeviceTensor dw = backend.allocate(ConvGradients.weightShape(c.spec()))) {
                ((OpenClConv) conv).forceBackward(GEMM);
                float[] first = null;
                for (int run = 0; run < 10; run++) {
                    conv.backwardFilter(x, dz, dw, null, false);
                    float[] now = dw.download().data();
                    if (first == null) first = now;
                    else assertArrayEquals(first, now, c + " run " + run);
                }
            }
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
