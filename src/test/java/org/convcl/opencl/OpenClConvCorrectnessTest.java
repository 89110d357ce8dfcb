package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
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
import org.convcl.plan.AlgorithmDescriptor;
import org.convcl.plan.DeviceFacts;
import org.convcl.plan.KernelFamily;
import org.convcl.plan.Plan;
import org.convcl.plan.ShapeClass;
import org.convcl.plan.Tunables;
import org.convcl.plan.TuningTable;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each kernel against the naive reference on a focused set of specs (the broad sweeps live elsewhere). */
class OpenClConvCorrectnessTest {

    /** Which epilogue a case uses; built per spec because lengths depend on the output channels. */
    enum Post { NONE, BIAS_RELU, BIAS_RELU6, BIAS_HARDSWISH, BATCH_NORM_RELU, BATCH_NORM }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("full 3x3 pad 1, 5 channels (tile tail), batch 3",
                        ConvSpec.full(3, 5, 3).padding(1).build(), new Shape(3, 3, 7, 6), Post.BIAS_RELU, Algorithm.IMPLICIT_GEMM),
                Arguments.of("full stride 2, asymmetric pads",
                        ConvSpec.full(4, 8, 3).stride(2).padding(0, 1, 2, 1).build(), new Shape(1, 4, 9, 10), Post.NONE, Algorithm.IMPLICIT_GEMM),
                Arguments.of("implicit GEMM: width 17 and 15 around VEC 16, 9 channels (block + 1), dilation 2",
                        ConvSpec.full(3, 9, 3).dilation(2).padding(2).build(), new Shape(2, 3, 4, 17), Post.BIAS_RELU,
                        Algorithm.IMPLICIT_GEMM),
                Arguments.of("implicit GEMM: stride 2, output width 9 (VEC 8 + 1), groups 2 with 4 channels each",
                        ConvSpec.full(4, 8, 3).stride(2).groups(2).padding(1).build(), new Shape(1, 4, 5, 17), Post.NONE,
                        Algorithm.IMPLICIT_GEMM),
                Arguments.of("full dilation 2, relu6 (3 output channels: direct)",
                        ConvSpec.full(2, 3, 3).dilation(2).padding(2).build(), new Shape(2, 2, 8, 7), Post.BIAS_RELU6, Algorithm.DIRECT),
                Arguments.of("grouped 6->9, groups 3",
                        ConvSpec.full(6, 9, 3).groups(3).padding(1).build(), new Shape(2, 6, 5, 5), Post.BIAS_RELU, Algorithm.DIRECT),
                Arguments.of("Kx1 kernel 5x1",
                        ConvSpec.builder(3, 4, 5, 1).padding(2, 0).build(), new Shape(1, 3, 9, 4), Post.NONE, Algorithm.IMPLICIT_GEMM),
                Arguments.of("1xK kernel 1x3 stride 1x2",
                        ConvSpec.builder(3, 4, 1, 3).stride(1, 2).padding(0, 1).build(), new Shape(1, 3, 4, 11), Post.NONE, Algorithm.IMPLICIT_GEMM),
                Arguments.of("full with batch-norm and relu, 1x1 output",
                        ConvSpec.full(3, 6, 3).build(), new Shape(2, 3, 3, 3), Post.BATCH_NORM_RELU, Algorithm.IMPLICIT_GEMM),
                Arguments.of("depthwise γ=1 3x3 pad 1, batch 3, width 13 (tile tail)",
                        ConvSpec.depthwise(5, 1, 3).padding(1).build(), new Shape(3, 5, 6, 13), Post.BIAS_RELU, Algorithm.DEPTHWISE),
                Arguments.of("depthwise γ=1 width 9 and 7 rows (VEC 8 + 1, TILE_Y 4 - 1 and + 3), 5x5",
                        ConvSpec.depthwise(3, 1, 5).padding(2).build(), new Shape(2, 3, 7, 9), Post.NONE, Algorithm.DEPTHWISE),
                Arguments.of("depthwise γ=2 narrower than VEC (width 7), stride 2 output width 9",
                        ConvSpec.depthwise(2, 2, 3).stride(2).padding(1).build(), new Shape(1, 2, 5, 18), Post.BIAS_RELU,
                        Algorithm.DEPTHWISE),
                Arguments.of("depthwise γ=2 stride 2 asymmetric pads",
                        ConvSpec.depthwise(3, 2, 3).stride(2).padding(0, 0, 1, 1).build(), new Shape(2, 3, 9, 8), Post.NONE, Algorithm.DEPTHWISE),
                Arguments.of("depthwise γ=3 dilation 2, batch-norm",
                        ConvSpec.depthwise(2, 3, 3).dilation(2).padding(2).build(), new Shape(1, 2, 7, 9), Post.BATCH_NORM, Algorithm.DEPTHWISE),
                Arguments.of("pointwise 7->10, 35 pixels (tile tails), batch 3, relu6",
                        ConvSpec.pointwise(7, 10), new Shape(3, 7, 5, 7), Post.BIAS_RELU6, Algorithm.POINTWISE),
                Arguments.of("pointwise 9->9: 17 pixels (VEC 16 + 1), c_in 9 (K step 8 + 1), 9 channels (block + 1)",
                        ConvSpec.pointwise(9, 9), new Shape(2, 9, 1, 17), Post.NONE, Algorithm.POINTWISE),
                Arguments.of("pointwise 7->3: 15 pixels (VEC 16 - 1: lanes across the batch of 3, 45 columns), c_in below one K step",
                        ConvSpec.pointwise(7, 3), new Shape(3, 7, 3, 5), Post.NONE, Algorithm.POINTWISE),
                Arguments.of("pointwise with batch-norm and relu",
                        ConvSpec.pointwise(16, 8), new Shape(1, 16, 4, 4), Post.BATCH_NORM_RELU, Algorithm.POINTWISE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesReference(String name, ConvSpec spec, Shape input, Post post, Algorithm algorithm) {
        Backend backend = TestBackends.opencl();
        long seed = 31L * spec.hashCode() + input.hashCode();
        Random random = new Random(seed);
        Tensor x = Tensor.of(uniform(random, input.count()), input);
        float[] w = uniform(random, spec.weightCount());
        Epilogue epilogue = epilogue(post, spec.outChannels(), random);
        Tensor expected = Reference.conv2d(x, spec, w, epilogue);
        try (PreparedConv conv = backend.prepare(spec, w, epilogue)) {
            assertTrue(((OpenClConv) conv).preparedPlan().algorithm() == onFamily(algorithm, ((OpenClBackend) backend).facts()), conv.plan());
            Tensor actual = conv.forward(x);
            TensorAssert.assertClose(expected, actual, spec.reductionLength(),
                    name + ": " + spec + ", input " + input + ", seed " + seed + ", plan " + conv.plan());
        }
    }

    /** The GPU family's kernel of the same kind as a CPU-family algorithm, where it has one. */
    private static final Map<Algorithm, Algorithm> GPU_KERNELS = Map.of(Algorithm.POINTWISE, Algorithm.POINTWISE_GPU,
            Algorithm.WINOGRAD, Algorithm.WINOGRAD_GPU, Algorithm.DEPTHWISE, Algorithm.DEPTHWISE_GPU,
            Algorithm.IMPLICIT_GEMM, Algorithm.IMPLICIT_GEMM_GPU);

    /** The algorithm the planner picks on {@code facts}' kernel family for a case written with the CPU family's {@code algorithm}. */
    static Algorithm onFamily(Algorithm algorithm, DeviceFacts facts) {
        return facts.family() == KernelFamily.GPU ? GPU_KERNELS.getOrDefault(algorithm, algorithm) : algorithm;
    }

    /**
     * The GPU family's kernels, forced (so on every device and family): sizes at their default tiles (depthwise
     * 32 × 16 outputs, implicit GEMM 64 pixels × 16, 32 or 64 channels, K slices of 16) and one off, primes, stride 2,
     * dilation 2, asymmetric padding, γ 1–3, groups, batches whose planes or pixels straddle work-groups, 1×1 outputs,
     * K×1 and 1×K, and each epilogue.
     */
    static Stream<Arguments> gpuFamilyCases() {
        Algorithm dw = Algorithm.DEPTHWISE_GPU, ig = Algorithm.IMPLICIT_GEMM_GPU;
        return Stream.of(
                Arguments.of("dw γ=1 3x3 pad 1, 32x16 (one tile), batch 2", ConvSpec.depthwise(3, 1, 3).padding(1).build(),
                        new Shape(2, 3, 16, 32), Post.BIAS_RELU, dw),
                Arguments.of("dw γ=1 3x3 pad 1, 33x17 (tile + 1), relu6", ConvSpec.depthwise(2, 1, 3).padding(1).build(),
                        new Shape(1, 2, 17, 33), Post.BIAS_RELU6, dw),
                Arguments.of("dw γ=2 3x3, 31x15 (tile - 1), no padding", ConvSpec.depthwise(2, 2, 3).build(),
                        new Shape(1, 2, 17, 33), Post.NONE, dw),
                Arguments.of("dw γ=3 5x5 pad 2, primes 29x13, batch 3, batch-norm", ConvSpec.depthwise(5, 3, 5).padding(2).build(),
                        new Shape(3, 5, 13, 29), Post.BATCH_NORM, dw),
                Arguments.of("dw γ=2 stride 2, asymmetric pads, output 33x9", ConvSpec.depthwise(3, 2, 3).stride(2).padding(0, 1, 1, 0).build(),
                        new Shape(2, 3, 18, 66), Post.BATCH_NORM_RELU, dw),
                Arguments.of("dw γ=1 stride 2 dilation 2, pad 2", ConvSpec.depthwise(4, 1, 3).stride(2).dilation(2).padding(2).build(),
                        new Shape(1, 4, 11, 37), Post.BIAS_RELU, dw),
                Arguments.of("dw γ=3 1x1 output", ConvSpec.depthwise(2, 3, 3).build(), new Shape(2, 2, 3, 3), Post.BIAS_RELU6, dw),
                Arguments.of("dw 5x1 kernel, pad 2x0", ConvSpec.builder(3, 3, 5, 1).groups(3).padding(2, 0).build(),
                        new Shape(1, 3, 19, 7), Post.NONE, dw),
                Arguments.of("dw γ=2 1x3 stride 1x2", ConvSpec.builder(2, 4, 1, 3).groups(2).stride(1, 2).padding(0, 1).build(),
                        new Shape(2, 2, 5, 23), Post.BIAS_RELU, dw),
                Arguments.of("igemm 3x3 pad 1, 5 channels (tile tail), batch 3", ConvSpec.full(3, 5, 3).padding(1).build(),
                        new Shape(3, 3, 7, 6), Post.BIAS_RELU, ig),
                Arguments.of("igemm 64 pixels (one tile), 16 channels, K 16 (2x2x4)", ConvSpec.full(4, 16, 2).build(),
                        new Shape(1, 4, 9, 9), Post.NONE, ig),
                Arguments.of("igemm 65 pixels, 17 channels, K 17 (17x1)", ConvSpec.builder(17, 17, 1, 1).padding(2, 0).build(),
                        new Shape(1, 17, 9, 5), Post.BIAS_RELU6, ig),
                Arguments.of("igemm 63 pixels, 33 channels, K 15 (5x3), batch 3", ConvSpec.builder(1, 33, 5, 3).padding(2, 1).build(),
                        new Shape(3, 1, 3, 7), Post.BATCH_NORM_RELU, ig),
                Arguments.of("igemm stride 2, asymmetric pads, 65 channels", ConvSpec.full(4, 65, 3).stride(2).padding(0, 1, 2, 1).build(),
                        new Shape(2, 4, 9, 10), Post.BIAS_RELU, ig),
                Arguments.of("igemm dilation 2, prime width 17", ConvSpec.full(3, 9, 3).dilation(2).padding(2).build(),
                        new Shape(2, 3, 4, 17), Post.BIAS_RELU, ig),
                Arguments.of("igemm groups 2, stride 2, 4 channels each", ConvSpec.full(4, 8, 3).stride(2).groups(2).padding(1).build(),
                        new Shape(1, 4, 5, 17), Post.NONE, ig),
                Arguments.of("igemm groups 3, 1x3 stride 1x2", ConvSpec.builder(6, 15, 1, 3).groups(3).stride(1, 2).padding(0, 1).build(),
                        new Shape(2, 6, 4, 11), Post.BIAS_RELU6, ig),
                Arguments.of("igemm 1x1 output, batch-norm relu", ConvSpec.full(3, 6, 3).build(), new Shape(2, 3, 3, 3),
                        Post.BATCH_NORM_RELU, ig),
                Arguments.of("igemm 1x1 stride 2 on the tensor's last rows", ConvSpec.full(8, 10, 1).stride(2).build(),
                        new Shape(1, 8, 5, 33), Post.NONE, ig));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gpuFamilyCases")
    void gpuFamilyKernelsMatchTheReference(String name, ConvSpec spec, Shape input, Post post, Algorithm algorithm) {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        long seed = 31L * spec.hashCode() + input.hashCode();
        Random random = new Random(seed);
        Tensor x = Tensor.of(uniform(random, input.count()), input);
        float[] w = uniform(random, spec.weightCount());
        Epilogue epilogue = epilogue(post, spec.outChannels(), random);
        try (PreparedConv conv = backend.prepare(spec, w, epilogue, algorithm, input)) {
            assertEquals(algorithm, ((OpenClConv) conv).preparedPlan().algorithm(), conv.plan());
            TensorAssert.assertClose(Reference.conv2d(x, spec, w, epilogue), conv.forward(x), spec.reductionLength(),
                    name + ": " + spec + ", input " + input + ", seed " + seed + ", plan " + conv.plan());
        }
    }

    static Stream<Arguments> gpuFamilyParameterSets() {
        List<Arguments> sets = new ArrayList<>();
        for (Algorithm a : List.of(Algorithm.DEPTHWISE_GPU, Algorithm.IMPLICIT_GEMM_GPU)) {
            ConvSpec spec = a == Algorithm.DEPTHWISE_GPU ? ConvSpec.depthwise(6, 2, 3).stride(2).padding(1, 1, 0, 0).build()
                    : ConvSpec.full(6, 40, 3).groups(2).padding(1).build();
            sets.add(Arguments.of(a, spec, Tunables.defaults(a, spec)));
            for (SortedMap<String, Integer> c : Tunables.candidates(a, spec)) sets.add(Arguments.of(a, spec, c));
        }
        return sets.stream();
    }

    /**
     * Every parameter set the tuner tries for the GPU family's kernels (a plan made from it, forced), on a 7×7 plane,
     * a plane wider and taller than every tile, and a batch whose planes straddle work-groups.
     */
    @Tag("slow") // one program build per parameter set
    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("gpuFamilyParameterSets")
    void gpuFamilyParameterSetsMatchTheReference(Algorithm algorithm, ConvSpec spec, SortedMap<String, Integer> params) {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        AlgorithmDescriptor d = algorithm.descriptor();
        Plan plan = new Plan(algorithm, d.defines(spec, params), d.local(spec, null, params), "parameter set " + params);
        Random random = new Random(params.hashCode());
        float[] w = uniform(random, spec.weightCount());
        Epilogue epilogue = epilogue(Post.BIAS_RELU6, spec.outChannels(), random);
        for (Shape input : List.of(new Shape(1, 6, 7, 7), new Shape(1, 6, 37, 133), new Shape(3, 6, 9, 11))) {
            Tensor x = Tensor.of(uniform(random, input.count()), input);
            try (OpenClConv conv = new OpenClConv(backend, spec, epilogue.fold(spec, w), epilogue.batchNorm() != null, TuningTable.EMPTY, algorithm, plan, input)) {
                TensorAssert.assertClose(Reference.conv2d(x, spec, w, epilogue), conv.forward(x), spec.reductionLength(),
                        algorithm + " " + spec + ", input " + input + ", params " + params);
            }
        }
    }

    /** γ = 2, 3x3, pad 1: the spec whose depthwise parameter sets run on narrow planes below. */
    private static final ConvSpec NARROW_DW = ConvSpec.depthwise(6, 2, 3).padding(1).build();

    static Stream<SortedMap<String, Integer>> depthwiseParameterSets() {
        List<SortedMap<String, Integer>> sets = new ArrayList<>(Tunables.candidates(Algorithm.DEPTHWISE, NARROW_DW));
        sets.add(0, Tunables.defaults(Algorithm.DEPTHWISE, NARROW_DW));
        return sets.stream();
    }

    /**
     * Every depthwise parameter set the tuner tries, on planes narrower than its vector (7x7, 14x14 and width
     * 3, where a row's extra lanes reach several later rows), with heights that leave a partial row tile.
     */
    @Tag("slow") // one program build per parameter set
    @ParameterizedTest(name = "{0}")
    @MethodSource("depthwiseParameterSets")
    void depthwiseParameterSetsMatchTheReferenceOnNarrowPlanes(SortedMap<String, Integer> params) {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        Random random = new Random(params.hashCode());
        float[] w = uniform(random, NARROW_DW.weightCount());
        Epilogue epilogue = epilogue(Post.BIAS_RELU6, NARROW_DW.outChannels(), random);
        for (Shape input : List.of(new Shape(2, 6, 7, 7), new Shape(1, 6, 14, 14), new Shape(1, 6, 9, 3))) {
            Tensor x = Tensor.of(uniform(random, input.count()), input);
            TuningTable table = TuningTable.of(List.of(new TuningTable.Entry(backend.facts().deviceKey(),
                    ShapeClass.of(Algorithm.DEPTHWISE, NARROW_DW, input), params, "narrow planes")));
            try (PreparedConv conv = backend.prepare(NARROW_DW, w, epilogue, table)) {
                String reason = ((OpenClConv) conv).launchPlan(input).reason();
                TensorAssert.assertClose(Reference.conv2d(x, NARROW_DW, w, epilogue), conv.forward(x),
                        NARROW_DW.reductionLength(), "input " + input + ", params " + params + ", plan " + reason);
            }
        }
    }

    /** The implicit GEMM tuned to 16 outputs along x at stride 2 (two loads per tap vector), as ResNet-18's shipped entries run it. */
    static final SortedMap<String, Integer> WIDE_STRIDED = new TreeMap<>(Map.of("TILE_OC", 16, "VEC", 16, "L0", 1, "L1", 4, "L2", 4));

    /**
     * Layers for {@link #WIDE_STRIDED}: a 7×7 first conv on rows of 17 outputs (the last block shifted back, edge
     * over-reads, the buffer's last row from a span) with a channel tail, a 1×1 shortcut on rows of 33, a 3×3 on rows of
     * 5 (narrower than the vector).
     */
    static Stream<Arguments> wideStridedLayers() {
        return Stream.of(
                Arguments.of(ConvSpec.full(3, 20, 7).stride(2).padding(3).build(), new Shape(2, 3, 7, 34)),
                Arguments.of(ConvSpec.full(4, 6, 1).stride(2).build(), new Shape(1, 4, 3, 66)),
                Arguments.of(ConvSpec.full(3, 8, 3).stride(2).padding(1).build(), new Shape(1, 3, 5, 9)));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("wideStridedLayers")
    void implicitGemmAt16OutputsAlongXAndStride2MatchesTheReference(ConvSpec spec, Shape input) {
        try (OpenClBackend backend = FamilyBackends.open(KernelFamily.CPU)) {
            assertTunedMatchesReference(backend, Algorithm.IMPLICIT_GEMM, WIDE_STRIDED, spec, input);
        }
    }

    /**
     * Runs {@code spec} on {@code input} (bias + ReLU) with a one-entry table giving {@code algorithm} the
     * {@code params}, checks that the plan is that tuned entry and that the output matches the reference.
     */
    static void assertTunedMatchesReference(OpenClBackend backend, Algorithm algorithm, SortedMap<String, Integer> params,
                                            ConvSpec spec, Shape input) {
        Random random = new Random(31L * spec.hashCode() + input.hashCode());
        float[] w = uniform(random, spec.weightCount());
        Epilogue epilogue = epilogue(Post.BIAS_RELU, spec.outChannels(), random);
        Tensor x = Tensor.of(uniform(random, input.count()), input);
        TuningTable table = TuningTable.of(List.of(new TuningTable.Entry(backend.facts().deviceKey(),
                ShapeClass.of(algorithm, spec, input), params, "test")));
        try (PreparedConv conv = backend.prepare(spec, w, epilogue, table, input)) {
            Plan plan = ((OpenClConv) conv).launchPlan(input);
            assertEquals(algorithm, plan.algorithm(), plan.reason());
            assertTrue(plan.reason().startsWith("tuned ["), plan.reason());
            TensorAssert.assertClose(Reference.conv2d(x, spec, w, epilogue), conv.forward(x), spec.reductionLength(),
                    spec + ", input " + input + ", params " + params + ", plan " + plan.reason());
        }
    }

    @Test
    void nanAndInfinityPropagateThroughReluAsInTheReference() {
        Backend backend = TestBackends.opencl();
        ConvSpec spec = ConvSpec.pointwise(16, 8); // same program as the batch-norm + relu case
        Random random = new Random(7);
        float[] xs = uniform(random, 16 * 4 * 4);
        xs[0] = Float.NaN;                     // pixel 0 of channel 0: every output channel sees NaN
        xs[16 + 5] = Float.POSITIVE_INFINITY;  // pixel 5 of channel 1: ±Inf (or NaN) by weight sign
        Tensor x = Tensor.of(xs, 1, 16, 4, 4);
        float[] w = uniform(random, spec.weightCount());
        Epilogue epilogue = epilogue(Post.BATCH_NORM_RELU, 8, random);
        Tensor expected = Reference.conv2d(x, spec, w, epilogue);
        Tensor actual = backend.conv2d(x, spec, w, epilogue);
        for (int o = 0; o < 8; o++) {
            assertTrue(Float.isNaN(actual.get(0, o, 0, 0)), "relu(NaN) must stay NaN in channel " + o);
        }
        TensorAssert.assertClose(expected, actual, spec.reductionLength(), "NaN/Inf propagation, " + spec);
    }

    @Test
    void oneProgramServesSeveralImageSizesAndDeviceTensorsChain() {
        Backend backend = TestBackends.opencl();
        ConvSpec dw = ConvSpec.depthwise(5, 1, 3).padding(1).build();   // programs shared with the cases above
        ConvSpec pw = ConvSpec.pointwise(5, 3);
        Random random = new Random(11);
        float[] wd = uniform(random, dw.weightCount());
        float[] wp = uniform(random, pw.weightCount());
        Epilogue relu = Epilogue.builder().bias(uniform(random, 5)).activation(Activation.RELU).build();
        try (PreparedConv depthwise = backend.prepare(dw, wd, relu);
             PreparedConv pointwise = backend.prepare(pw, wp, Epilogue.none())) {
            for (Shape s : new Shape[] {new Shape(1, 5, 4, 4), new Shape(2, 5, 11, 17)}) {
                Tensor x = Tensor.of(uniform(random, s.count()), s);
                Tensor expected = Reference.conv2d(Reference.conv2d(x, dw, wd, relu), pw, wp, Epilogue.none());
                try (DeviceTensor in = backend.upload(x);
                     DeviceTensor mid = depthwise.forward(in);
                     DeviceTensor out = pointwise.forward(mid)) {
                    long ns = pointwise.forwardTimed(mid, out);
                    assertTrue(ns >= 0, "profiled time must be non-negative, got " + ns);
                    TensorAssert.assertClose(expected, out.download(), dw.reductionLength() * pw.reductionLength(),
                            "depthwise then pointwise on " + s);
                    assertEquals(pointwise.outputShape(s), out.shape());
                }
            }
        }
    }

    static float[] uniform(Random random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = random.nextFloat() * 2f - 1f;
        return a;
    }

    static Epilogue epilogue(Post post, int channels, Random random) {
        return switch (post) {
            case NONE -> Epilogue.none();
            case BIAS_RELU -> Epilogue.builder().bias(uniform(random, channels)).activation(Activation.RELU).build();
            case BIAS_RELU6 -> Epilogue.builder().bias(scaled(uniform(random, channels), 4f)).activation(Activation.RELU6).build();
            case BIAS_HARDSWISH -> Epilogue.builder().bias(scaled(uniform(random, channels), 4f)).activation(Activation.HARDSWISH).build();
            case BATCH_NORM, BATCH_NORM_RELU -> {
                float[] variance = new float[channels];
                float[] gamma = new float[channels];
                for (int i = 0; i < channels; i++) {
                    variance[i] = 0.1f + random.nextFloat();
                    gamma[i] = 0.5f + random.nextFloat();
                }
                yield Epilogue.builder().bias(uniform(random, channels))
                        .batchNorm(uniform(random, channels), variance, gamma, uniform(random, channels), 1e-5f)
                        .activation(post == Post.BATCH_NORM_RELU ? Activation.RELU : Activation.NONE).build();
            }
        };
    }

    private static float[] scaled(float[] a, float k) {
        for (int i = 0; i < a.length; i++) a[i] *= k;
        return a;
    }
}
