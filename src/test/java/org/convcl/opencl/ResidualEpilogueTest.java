package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.convcl.Activation;
import org.convcl.Backend;
import org.convcl.ConvSpec;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Reference;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorAssert;
import org.convcl.TestBackends;
import org.convcl.plan.Algorithm;
import org.convcl.plan.KernelFamily;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The residual epilogue {@code act(conv(x) + bias + r)}: every descriptor whose kernels add it, forced, on the edge
 * shapes of its stores (the shifted last vector of a row or image, images narrower than a vector, partial Winograd
 * tiles and its fixup of non-finite tiles, work-group tails of the GPU family), the CPU backend on the same cases, NaN
 * and Inf through it, and every bad argument refused with its name.
 */
class ResidualEpilogueTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(Algorithm.POINTWISE, ConvSpec.pointwise(9, 10), new Shape(2, 9, 1, 17), Activation.RELU),
                Arguments.of(Algorithm.POINTWISE, ConvSpec.pointwise(7, 3), new Shape(3, 7, 3, 5), Activation.NONE),
                Arguments.of(Algorithm.IMPLICIT_GEMM, ConvSpec.full(3, 9, 3).padding(1).build(), new Shape(2, 3, 4, 17), Activation.RELU),
                Arguments.of(Algorithm.IMPLICIT_GEMM, ConvSpec.full(4, 8, 3).groups(2).padding(1).build(), new Shape(1, 4, 5, 5),
                        Activation.HARDSWISH),
                Arguments.of(Algorithm.WINOGRAD, ConvSpec.full(5, 6, 3).padding(1).build(), new Shape(2, 5, 7, 9), Activation.RELU),
                Arguments.of(Algorithm.DIRECT, ConvSpec.full(3, 4, 3).dilation(2).padding(2).build(), new Shape(2, 3, 6, 7),
                        Activation.RELU6),
                Arguments.of(Algorithm.POINTWISE_GPU, ConvSpec.pointwise(9, 17), new Shape(2, 9, 5, 13), Activation.RELU),
                Arguments.of(Algorithm.IMPLICIT_GEMM_GPU, ConvSpec.full(3, 17, 3).padding(1).build(), new Shape(2, 3, 9, 5),
                        Activation.RELU),
                Arguments.of(Algorithm.WINOGRAD_GPU, ConvSpec.full(5, 6, 3).padding(1).build(), new Shape(1, 5, 5, 9), Activation.NONE));
    }

    private static boolean gpuFamily(Algorithm a) {
        return a == Algorithm.POINTWISE_GPU || a == Algorithm.IMPLICIT_GEMM_GPU || a == Algorithm.WINOGRAD_GPU;
    }

    @ParameterizedTest(name = "{0} {1} input {2} {3}")
    @MethodSource("cases")
    void forcedKernelsAndTheCpuBackendMatchTheReference(Algorithm algorithm, ConvSpec spec, Shape input, Activation activation) {
        Random random = new Random(31L * spec.hashCode() + input.hashCode());
        Tensor x = Tensor.of(uniform(random, input.count()), input);
        float[] w = uniform(random, spec.weightCount());
        Shape outShape = spec.outputShape(input);
        Tensor r = Tensor.of(uniform(random, outShape.count()), outShape);
        Epilogue epilogue = residual(uniform(random, spec.outChannels()), activation);
        Tensor expected = expected(x, spec, w, epilogue, r);
        String context = algorithm + " " + spec + ", input " + input;
        OpenClBackend shared = (OpenClBackend) TestBackends.opencl();
        try (OpenClBackend own = gpuFamily(algorithm) && shared.facts().family() != KernelFamily.GPU ? FamilyBackends.open(KernelFamily.GPU) : null) {
            OpenClBackend backend = own != null ? own : shared;
            try (PreparedConv conv = backend.prepare(spec, w, epilogue, algorithm, input)) {
                assertEquals(algorithm, ((OpenClConv) conv).preparedPlan().algorithm(), conv.plan());
                assertTrue(conv.hasResidual() && conv.plan().endsWith("+ residual"), conv.plan());
                TensorAssert.assertClose(expected, conv.forward(x, r), spec.reductionLength(), context + ", plan " + conv.plan());
            }
        }
        try (PreparedConv conv = TestBackends.cpu().prepare(spec, w, epilogue)) {
            TensorAssert.assertClose(expected, conv.forward(x, r), spec.reductionLength(), "CPU backend, " + context);
        }
    }

    /** NaN and Inf in the residual reach the output through the activation; a NaN input sends Winograd's tile to its fixup, which adds the residual too. */
    @Test
    void nanAndInfinityPropagateAsInTheReference() {
        ConvSpec spec = ConvSpec.full(4, 4, 3).padding(1).build();
        Shape input = new Shape(1, 4, 4, 4);
        Random random = new Random(5);
        float[] xs = uniform(random, input.count());
        xs[5] = Float.NaN; // one tile of every output channel goes to the fixup
        Tensor x = Tensor.of(xs, input);
        float[] w = uniform(random, spec.weightCount());
        float[] rs = uniform(random, input.count());
        rs[15] = Float.NaN;                    // far from the NaN input's tile
        rs[16 + 15] = Float.POSITIVE_INFINITY; // channel 1: +Inf stays +Inf through ReLU
        rs[32 + 15] = Float.NEGATIVE_INFINITY; // channel 2: ReLU clamps −Inf to 0
        Tensor r = Tensor.of(rs, input);
        Epilogue epilogue = residual(uniform(random, 4), Activation.RELU);
        Tensor expected = expected(x, spec, w, epilogue, r);
        OpenClBackend cl = (OpenClBackend) TestBackends.opencl();
        for (Algorithm a : List.of(Algorithm.WINOGRAD, Algorithm.IMPLICIT_GEMM)) {
            try (PreparedConv conv = cl.prepare(spec, w, epilogue, a, input)) {
                assertSame(expected, conv.forward(x, r), conv.plan());
            }
        }
        try (PreparedConv conv = TestBackends.cpu().prepare(spec, w, epilogue)) {
            assertSame(expected, conv.forward(x, r), "CPU backend");
        }
    }

    /** Where the reference is NaN or ±Inf the actual value is the same; elsewhere they agree within the tolerance. */
    private static void assertSame(Tensor expected, Tensor actual, String context) {
        float[] e = expected.data(), a = actual.data();
        int special = 0;
        for (int i = 0; i < e.length; i++) {
            if (Float.isNaN(e[i]) || Float.isInfinite(e[i])) {
                special++;
                assertEquals(e[i], a[i], context + " at " + i);
            }
        }
        assertTrue(special >= 5, context + ": only " + special + " non-finite outputs");
        assertTrue(Float.isNaN(a[15]) && a[16 + 15] == Float.POSITIVE_INFINITY && a[32 + 15] == 0f, context);
        float[] ef = e.clone(), af = a.clone();
        for (int i = 0; i < ef.length; i++) if (!Float.isFinite(ef[i])) ef[i] = af[i] = 0f;
        TensorAssert.assertClose(Tensor.of(ef, expected.shape()), Tensor.of(af, actual.shape()), 36, context);
    }

    @Test
    void badArgumentsAreRefusedNamingThem() {
        ConvSpec spec = ConvSpec.pointwise(3, 4);
        Shape in = new Shape(1, 3, 2, 2), out = new Shape(1, 4, 2, 2);
        float[] w = uniform(new Random(1), spec.weightCount());
        for (Backend backend : List.of(TestBackends.opencl(), TestBackends.cpu())) {
            Backend other = backend == TestBackends.cpu() ? TestBackends.opencl() : TestBackends.cpu();
            try (PreparedConv conv = backend.prepare(spec, w, residual(null, Activation.RELU));
                 PreparedConv plain = backend.prepare(spec, w, Epilogue.none());
                 DeviceTensor x = backend.allocate(in); DeviceTensor y = backend.allocate(out);
                 DeviceTensor r = backend.allocate(out); DeviceTensor wrong = backend.allocate(new Shape(1, 4, 2, 3));
                 DeviceTensor foreign = other.allocate(out)) {
                String name = backend.getClass().getSimpleName();
                assertMessage(IllegalArgumentException.class, () -> conv.forward(x, wrong, y), name, "residual shape", "[1, 4, 2, 3]");
                assertMessage(IllegalArgumentException.class, () -> conv.forward(x, foreign, y), name, "residual", "belongs to");
                assertMessage(IllegalArgumentException.class, () -> conv.forward(x, y, y), name, "residual and output");
                assertMessage(IllegalStateException.class, () -> conv.forward(x, y), name, "forward(input, residual, output)");
                assertMessage(IllegalStateException.class, () -> conv.forward(Tensor.of(new float[12], in)), name, "with a residual");
                assertMessage(IllegalStateException.class, () -> plain.forward(x, r, y), name, "has no residual");
                assertFalse(plain.hasResidual());
                DeviceTensor closed = backend.allocate(out);
                closed.close();
                assertMessage(IllegalStateException.class, () -> conv.forward(x, closed, y), name, "closed");
                conv.forward(x, r, y); // the valid call still runs after the refusals
            }
        }
        OpenClBackend cl = (OpenClBackend) TestBackends.opencl();
        assertMessage(IllegalArgumentException.class, () -> cl.prepare(ConvSpec.depthwise(3, 1, 3).build(), new float[27],
                residual(null, Activation.NONE), Algorithm.DEPTHWISE), "forced depthwise", "with a residual");
    }

    private static void assertMessage(Class<? extends Throwable> type, org.junit.jupiter.api.function.Executable call, String context,
                                      String... parts) {
        Throwable t = assertThrows(type, call, context);
        for (String part : parts) assertTrue(t.getMessage().contains(part), context + ": " + t.getMessage());
    }

    static Epilogue residual(float[] bias, Activation activation) {
        return Epilogue.builder().bias(bias).activation(activation).residual(true).build();
    }

    /** The reference: the convolution with bias (no activation), plus the residual, then the activation. */
    static Tensor expected(Tensor x, ConvSpec spec, float[] w, Epilogue epilogue, Tensor r) {
        Epilogue.Builder b = Epilogue.builder().bias(epilogue.biasValues());
        if (epilogue.batchNorm() != null) b.batchNorm(epilogue.batchNorm());
        float[] y = Reference.conv2d(x, spec, w, b.build()).data();
        for (int i = 0; i < y.length; i++) y[i] = Reference.activate(epilogue.activationKind(), y[i] + r.data()[i]);
        return Tensor.of(y, r.shape());
    }

    static float[] uniform(Random random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = random.nextFloat() * 2f - 1f;
        return a;
    }
}
