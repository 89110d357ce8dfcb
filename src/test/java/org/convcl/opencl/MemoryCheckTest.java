package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.convcl.Activation;
import org.convcl.BlockMode;
import org.convcl.ConvGradients;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.PreparedBlock;
import org.convcl.PreparedConv;
import org.convcl.Reference;
import org.convcl.ReferenceGradients;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorAssert;
import org.convcl.TestBackends;
import org.convcl.net.TensorOpsCases;
import org.convcl.opencl.OpenClConvCorrectnessTest.Post;
import org.convcl.plan.Algorithm;
import org.convcl.plan.BlockDescriptor;
import org.convcl.plan.BlockPlanner;
import org.convcl.plan.DeviceFacts;
import org.convcl.plan.KernelFamily;
import org.convcl.plan.Planner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The memory-checker tier (DESIGN §5): every algorithm of every kernel family ({@link Algorithm#values()}, on each
 * family whose {@link Planner#registry} lists it) and every fused block kernel of every family
 * ({@link BlockPlanner#registry}), forced, on small shapes that reach each edge path of the kernels (stride 2, 1×1
 * stride 2, dilation, asymmetric padding, γ 2–3, widths around the vector, the tensor's last rows, images smaller than
 * a vector, batch 2), against the reference. Each algorithm runs every shape of {@link #SHAPES} it accepts (and those
 * whose kernels add a residual, three of them with one). On PoCL it
 * is one more parity test; {@code .ci/run} also runs it on the Oclgrind simulator with its access, race,
 * uninitialised-value and API checks on, where {@link OclgrindLogCheck} fails a case on any diagnostic. The shapes stay
 * tiny: Oclgrind is 100–1000× slower.
 *
 * <p>Each case runs on a backend of its own (its own OpenCL context, {@link FamilyBackends}), opened with the family
 * forced and closed after it. Oclgrind 21.10 keeps a released buffer's shadow (its record of
 * which bytes were written) for the next buffer that reuses its number, with the old size, so in a shared context a
 * kernel writing a new scratch buffer past the old size looked like it read unwritten memory; a fresh context starts
 * every buffer's record anew.
 */
@Tag("oclgrind")
@ExtendWith(OclgrindLogCheck.class)
class MemoryCheckTest {

    @BeforeAll
    static void namesTheDevice() {
        System.out.println("[MemoryCheckTest] on " + TestBackends.opencl().device());
    }

    /** A convolution shape of the pool: the spec, its input, its epilogue. */
    record ConvCase(ConvSpec spec, Shape input, Post post) {
        @Override
        public String toString() {
            return spec + " on " + input + " " + post;
        }
    }

    /** The pool of convolution shapes; each algorithm runs those it accepts. */
    static final List<ConvCase> SHAPES = List.of(
            new ConvCase(ConvSpec.full(2, 3, 3).dilation(2).padding(2).build(), new Shape(2, 2, 6, 7), Post.BIAS_RELU6),
            new ConvCase(ConvSpec.full(3, 3, 3).stride(2).padding(0, 1, 2, 1).build(), new Shape(1, 3, 7, 9), Post.NONE),
            new ConvCase(ConvSpec.full(4, 8, 3).stride(2).padding(0, 1, 2, 1).build(), new Shape(2, 4, 9, 10), Post.NONE),
            new ConvCase(ConvSpec.full(4, 5, 1).stride(2).build(), new Shape(2, 4, 6, 17), Post.BIAS_RELU),
            new ConvCase(ConvSpec.full(3, 9, 3).dilation(2).padding(2).build(), new Shape(1, 3, 4, 17), Post.BIAS_RELU),
            // output rows of 17 (a whole vector and a shifted-back last block) whose taps end at the tensor's end
            new ConvCase(ConvSpec.full(8, 10, 1).stride(2).build(), new Shape(1, 8, 5, 33), Post.NONE),
            new ConvCase(ConvSpec.full(3, 4, 3).stride(2).build(), new Shape(1, 3, 5, 35), Post.BIAS_RELU),
            new ConvCase(ConvSpec.builder(4, 6, 1, 3).stride(2, 2).padding(0, 1).groups(2).build(), new Shape(1, 4, 5, 15), Post.BIAS_RELU6),
            new ConvCase(ConvSpec.full(4, 4, 3).padding(1).build(), new Shape(2, 4, 6, 7), Post.BIAS_RELU),
            new ConvCase(ConvSpec.full(3, 5, 3).padding(0, 1, 2, 0).build(), new Shape(1, 3, 9, 5), Post.NONE),
            new ConvCase(ConvSpec.pointwise(7, 10), new Shape(3, 7, 5, 7), Post.BIAS_RELU6),
            new ConvCase(ConvSpec.pointwise(9, 9), new Shape(2, 9, 1, 17), Post.NONE),
            new ConvCase(ConvSpec.pointwise(7, 3), new Shape(3, 7, 3, 5), Post.NONE),
            // the GPU family's tiles: channels and pixels one past a tile, 1x1 images, a plane wider than a tile,
            // a plane taller than a tile at dilation 2
            new ConvCase(ConvSpec.pointwise(17, 65), new Shape(2, 17, 5, 13), Post.BIAS_HARDSWISH),
            new ConvCase(ConvSpec.pointwise(7, 3), new Shape(3, 7, 1, 1), Post.BIAS_RELU),
            new ConvCase(ConvSpec.full(5, 7, 3).padding(1).build(), new Shape(2, 5, 5, 7), Post.BIAS_RELU),
            new ConvCase(ConvSpec.full(3, 17, 3).dilation(2).padding(2).build(), new Shape(1, 3, 4, 17), Post.BIAS_RELU6),
            new ConvCase(ConvSpec.depthwise(3, 1, 3).stride(2).padding(1).build(), new Shape(2, 3, 9, 35), Post.BIAS_RELU),
            new ConvCase(ConvSpec.depthwise(2, 3, 3).dilation(2).padding(2).build(), new Shape(1, 2, 17, 9), Post.BATCH_NORM),
            new ConvCase(ConvSpec.depthwise(3, 1, 3).stride(2).padding(1).build(), new Shape(2, 3, 9, 18), Post.BIAS_RELU),
            new ConvCase(ConvSpec.depthwise(2, 2, 3).stride(2).padding(0, 0, 1, 1).build(), new Shape(2, 2, 9, 8), Post.NONE),
            new ConvCase(ConvSpec.builder(2, 6, 1, 3).groups(2).stride(2, 2).padding(0, 1).build(), new Shape(1, 2, 5, 33), Post.BIAS_HARDSWISH),
            new ConvCase(ConvSpec.depthwise(2, 3, 3).dilation(2).padding(2).build(), new Shape(1, 2, 7, 9), Post.BATCH_NORM),
            new ConvCase(ConvSpec.depthwise(3, 1, 5).padding(2).build(), new Shape(2, 3, 7, 17), Post.NONE),
            new ConvCase(ConvSpec.depthwise(2, 1, 3).stride(2).padding(1).build(), new Shape(1, 2, 5, 33), Post.NONE));

    /** A block shape of the pool: the block and its input. */
    record BlockCase(SeparableBlock block, Shape input) {
        @Override
        public String toString() {
            return block + " on " + input;
        }
    }

    /** The pool of block shapes; each fused kernel runs those it does not decline. */
    static final List<BlockCase> BLOCKS = List.of(
            new BlockCase(SeparableBlock.mobilenet(6, 10, 2), new Shape(2, 6, 13, 11)),
            new BlockCase(SeparableBlock.mobilenet(3, 5, 2), new Shape(1, 3, 4, 37)),
            new BlockCase(SeparableBlock.mobilenet(13, 11, 1), new Shape(1, 13, 6, 37)),
            new BlockCase(SeparableBlock.builder(5, 9).depthMultiplier(2).kernel(5, 3).dilation(2, 1).padding(3, 0, 1, 2)
                    .depthwiseEpilogue(Epilogue.activation(Activation.RELU6)).build(), new Shape(1, 5, 12, 10)),
            // an output of 3×5 pixels: smaller than one vector
            new BlockCase(SeparableBlock.builder(2, 7).depthMultiplier(3).stride(2).padding(1).build(), new Shape(2, 2, 5, 9)));

    /** The device's facts as the planner sees them with {@code family} forced. */
    private static DeviceFacts facts(KernelFamily family) {
        return ((OpenClBackend) TestBackends.opencl()).facts().withFamily(family);
    }

    /**
     * The families each algorithm is checked on: every family whose registry lists it (its plans may differ by family),
     * else the device's own (an algorithm no registry lists still runs when forced).
     */
    static List<KernelFamily> familiesOf(Algorithm algorithm) {
        List<KernelFamily> families = new ArrayList<>();
        for (KernelFamily f : KernelFamily.values()) if (Planner.registry(f).contains(algorithm)) families.add(f);
        if (families.isEmpty()) families.add(((OpenClBackend) TestBackends.opencl()).facts().family());
        return families;
    }

    static Stream<Arguments> convolutions() {
        List<Arguments> cases = new ArrayList<>();
        for (Algorithm a : Algorithm.values()) {
            for (KernelFamily family : familiesOf(a)) {
                DeviceFacts device = facts(family);
                for (ConvCase c : SHAPES) {
                    if (a.descriptor().declines(c.spec(), device).isEmpty()) cases.add(Arguments.of(family, a, c));
                }
            }
        }
        return cases.stream();
    }

    /** Every fused block kernel of every family's registry, with the blocks it runs. */
    static Stream<Arguments> blocks() {
        List<Arguments> cases = new ArrayList<>();
        for (KernelFamily family : KernelFamily.values()) {
            DeviceFacts device = facts(family);
            for (BlockDescriptor d : BlockPlanner.registry(family)) {
                for (BlockCase b : BLOCKS) {
                    if (d.declines(b.block(), device).isEmpty()) cases.add(Arguments.of(family, d.entryPoint(), b));
                }
            }
        }
        return cases.stream();
    }

    @Test
    void everyAlgorithmAndBlockKernelOfEveryFamilyHasACase() {
        Set<List<Object>> covered = new HashSet<>();
        convolutions().forEach(a -> covered.add(List.of(a.get()[0], a.get()[1])));
        blocks().forEach(a -> covered.add(List.of(a.get()[0], a.get()[1])));
        for (Algorithm a : Algorithm.values()) {
            for (KernelFamily f : familiesOf(a)) {
                assertTrue(covered.contains(List.of(f, a)), a + " runs none of the memory-checker shapes on the " + f
                        + " family: add one it accepts");
            }
        }
        for (KernelFamily f : KernelFamily.values()) {
            for (BlockDescriptor d : BlockPlanner.registry(f)) {
                assertTrue(covered.contains(List.of(f, d.entryPoint())), d.entryPoint() + " runs none of the memory-checker "
                        + "blocks on the " + f + " family: add one it takes");
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("convolutions")
    void convolutionMatchesTheReference(KernelFamily family, Algorithm algorithm, ConvCase c) {
        ConvSpec spec = c.spec();
        Shape input = c.input();
        long seed = 31L * spec.hashCode() + input.hashCode();
        Random random = new Random(seed);
        Tensor x = Tensor.of(OpenClConvCorrectnessTest.uniform(random, input.count()), input);
        float[] w = OpenClConvCorrectnessTest.uniform(random, spec.weightCount());
        Epilogue epilogue = OpenClConvCorrectnessTest.epilogue(c.post(), spec.outChannels(), random);
        try (OpenClBackend backend = FamilyBackends.open(family); PreparedConv conv = backend.prepare(spec, w, epilogue, algorithm)) {
            assertEquals(algorithm, ((OpenClConv) conv).preparedPlan().algorithm(), conv.plan());
            TensorAssert.assertClose(Reference.conv2d(x, spec, w, epilogue), conv.forward(x), spec.reductionLength(),
                    family + " " + algorithm + " " + spec + ", input " + input + ", seed " + seed + ", plan " + conv.plan());
        }
    }

    /** The implicit GEMM at 16 outputs along x and stride 2, a tuned-only parameter set (its defaults there take 8). */
    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("org.convcl.opencl.OpenClConvCorrectnessTest#wideStridedLayers")
    void implicitGemmAt16OutputsAlongXAndStride2(ConvSpec spec, Shape input) {
        try (OpenClBackend backend = FamilyBackends.open(KernelFamily.CPU)) {
            OpenClConvCorrectnessTest.assertTunedMatchesReference(backend, Algorithm.IMPLICIT_GEMM,
                    OpenClConvCorrectnessTest.WIDE_STRIDED, spec, input);
        }
    }

    /**
     * Every algorithm whose kernels add a residual ({@link org.convcl.plan.AlgorithmDescriptor#runsResidual}), on each
     * family that lists it, with the first three shapes of {@link #SHAPES} it accepts: the residual is read where the
     * outputs are stored (shifted last vectors, images narrower than a vector, partial tiles).
     */
    static Stream<Arguments> residualConvolutions() {
        List<Arguments> cases = new ArrayList<>();
        for (Algorithm a : Algorithm.values()) {
            if (!a.descriptor().runsResidual()) continue;
            for (KernelFamily family : familiesOf(a)) {
                DeviceFacts device = facts(family);
                SHAPES.stream().filter(c -> a.descriptor().declines(c.spec(), device).isEmpty()).limit(3)
                        .forEach(c -> cases.add(Arguments.of(family, a, c)));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} + residual")
    @MethodSource("residualConvolutions")
    void residualConvolutionMatchesTheReference(KernelFamily family, Algorithm algorithm, ConvCase c) {
        ConvSpec spec = c.spec();
        Shape input = c.input(), output = spec.outputShape(input);
        Random random = new Random(31L * spec.hashCode() + input.hashCode());
        Tensor x = Tensor.of(OpenClConvCorrectnessTest.uniform(random, input.count()), input);
        float[] w = OpenClConvCorrectnessTest.uniform(random, spec.weightCount());
        Tensor r = Tensor.of(OpenClConvCorrectnessTest.uniform(random, output.count()), output);
        Epilogue epilogue = ResidualEpilogueTest.residual(OpenClConvCorrectnessTest.uniform(random, spec.outChannels()),
                Activation.RELU);
        try (OpenClBackend backend = FamilyBackends.open(family); PreparedConv conv = backend.prepare(spec, w, epilogue, algorithm)) {
            assertEquals(algorithm, ((OpenClConv) conv).preparedPlan().algorithm(), conv.plan());
            TensorAssert.assertClose(ResidualEpilogueTest.expected(x, spec, w, epilogue, r), conv.forward(x, r),
                    spec.reductionLength(), family + " " + algorithm + " " + spec + ", input " + input + ", plan " + conv.plan());
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("blocks")
    void fusedBlockMatchesTheReference(KernelFamily family, String entryPoint, BlockCase c) {
        SeparableBlock block = c.block();
        Shape input = c.input();
        SplittableRandom random = new SplittableRandom(block.hashCode() * 31L + input.hashCode());
        float[] dw = uniform(random, block.depthwise().weightCount());
        float[] pw = uniform(random, block.pointwise().weightCount());
        Tensor x = Tensor.of(uniform(random, input.count()), input);
        Tensor mid = Reference.conv2d(x, block.depthwise(), dw, block.depthwiseEpilogue());
        Tensor expected = Reference.conv2d(mid, block.pointwise(), pw, block.pointwiseEpilogue());
        BlockDescriptor kernel = BlockPlanner.registry(family).stream().filter(d -> d.entryPoint().equals(entryPoint)).findFirst()
                .orElseThrow();
        try (OpenClBackend backend = FamilyBackends.open(family);
             PreparedBlock prepared = new OpenClFusedBlock(backend, block, dw, pw,
                     new BlockPlanner.Choice(BlockMode.FUSED, "forced by the memory-checker tier", kernel))) {
            int reduction = block.midChannels() * block.depthwise().kernelH() * block.depthwise().kernelW();
            TensorAssert.assertClose(expected, prepared.forward(x), reduction, family + " " + block + ", input " + input + ", "
                    + prepared.plan());
        }
    }

    /**
     * The GPU family's masked path: non-finite weights (an infinity, a NaN) with padding, where a padded tap must be
     * skipped rather than multiplied (the implicit GEMM's flag is set atomically by the work-items that stage them).
     */
    @ParameterizedTest(name = "{0} {1} with non-finite weights")
    @MethodSource("nonFiniteCases")
    void gpuFamilyNonFiniteWeightsSkipPaddingAsTheReference(Algorithm algorithm, ConvSpec spec, Shape input) {
        Random random = new Random(spec.hashCode());
        Tensor x = Tensor.of(OpenClConvCorrectnessTest.uniform(random, input.count()), input);
        float[] w = OpenClConvCorrectnessTest.uniform(random, spec.weightCount());
        w[0] = Float.POSITIVE_INFINITY; // first tap of output channel 0: meets the top-left padding
        w[w.length - 1] = Float.NaN;    // last tap of the last output channel: meets the bottom-right padding
        Epilogue epilogue = Epilogue.activation(Activation.RELU);
        try (OpenClBackend backend = FamilyBackends.open(KernelFamily.GPU);
             PreparedConv conv = backend.prepare(spec, w, epilogue, algorithm, input)) {
            TensorAssert.assertClose(Reference.conv2d(x, spec, w, epilogue), conv.forward(x), spec.reductionLength(),
                    algorithm + " " + spec + ", input " + input + ", plan " + conv.plan());
        }
    }

    static Stream<Arguments> nonFiniteCases() {
        return Stream.of(
                Arguments.of(Algorithm.DEPTHWISE_GPU, ConvSpec.depthwise(3, 2, 3).stride(2).padding(1).build(), new Shape(2, 3, 7, 9)),
                Arguments.of(Algorithm.IMPLICIT_GEMM_GPU, ConvSpec.full(3, 5, 3).padding(1, 2, 1, 0).groups(1).build(), new Shape(2, 3, 5, 6)));
    }

    /**
     * Backward passes: each strided data kernel and filter kernel path (the stride-2 depthwise case's rows hold a whole
     * block, stored interleaved), the stride-1 path with accumulation, ReLU6's mask.
     */
    static Stream<Arguments> backward() {
        return Stream.of(
                Arguments.of(ConvSpec.full(3, 5, 3).stride(2).padding(0, 1, 2, 1).build(), new Shape(2, 3, 7, 9)),
                Arguments.of(ConvSpec.full(4, 6, 1).stride(2).groups(2).build(), new Shape(1, 4, 5, 17)),
                Arguments.of(ConvSpec.depthwise(3, 2, 3).stride(2).padding(1).build(), new Shape(2, 3, 7, 17)),
                Arguments.of(ConvSpec.depthwise(2, 3, 3).dilation(2).padding(1, 2, 2, 0).build(), new Shape(1, 2, 6, 9)),
                // the depthwise filter kernel with a whole channel per work-item (128 output channels)
                Arguments.of(ConvSpec.depthwise(64, 2, 3).stride(2).padding(1).build(), new Shape(1, 64, 5, 9)),
                Arguments.of(ConvSpec.full(3, 4, 3).padding(1).build(), new Shape(1, 3, 5, 9)),
                // the data kernel's three stride phases with asymmetric pads; the depthwise data kernel (stride 1, pads
                // past the kernel); the pointwise filter GEMM per image (input channels past a vector, and fewer than
                // one), gathered (planes smaller than the channels, a partial transpose block), and one pixel per image
                Arguments.of(ConvSpec.full(2, 3, 3).stride(3).padding(1, 2, 0, 1).build(), new Shape(1, 2, 8, 20)),
                Arguments.of(ConvSpec.depthwise(2, 2, 3).padding(3, 1, 1, 2).build(), new Shape(1, 2, 5, 9)),
                // the data kernel's whole-vector stores at stride 1 (pads past the kernel) and a partial last block
                Arguments.of(ConvSpec.full(2, 3, 2).padding(2, 3, 1, 2).build(), new Shape(1, 2, 4, 13)),
                Arguments.of(ConvSpec.pointwise(130, 3), new Shape(2, 130, 1, 520)),
                Arguments.of(ConvSpec.pointwise(5, 6), new Shape(3, 5, 2, 3)),
                Arguments.of(ConvSpec.pointwise(37, 14), new Shape(3, 37, 5, 7)),
                Arguments.of(ConvSpec.pointwise(70, 9), new Shape(3, 70, 1, 1)),
                // the strided depthwise data kernel: shifted vector loads at both row ends with a partial last block and
                // two row blocks, rows narrower than a vector (lane by lane), stride 3 (lane stores); the flat-plane
                // depthwise filter kernel: rows of 7, rows narrower than a step with γ 2, fewer output rows than input
                // rows, dilation
                Arguments.of(ConvSpec.depthwise(2, 1, 3).stride(2).padding(1).build(), new Shape(1, 2, 34, 37)),
                Arguments.of(ConvSpec.depthwise(2, 2, 3).stride(2).padding(0, 1, 1, 0).build(), new Shape(2, 2, 3, 3)),
                Arguments.of(ConvSpec.depthwise(2, 1, 3).stride(3).padding(1).build(), new Shape(1, 2, 5, 11)),
                Arguments.of(ConvSpec.depthwise(3, 1, 3).padding(1).build(), new Shape(2, 3, 7, 7)),
                Arguments.of(ConvSpec.depthwise(2, 2, 3).padding(1).build(), new Shape(1, 2, 9, 3)),
                Arguments.of(ConvSpec.depthwise(2, 1, 3).padding(0, 1).build(), new Shape(1, 2, 6, 5)),
                Arguments.of(ConvSpec.depthwise(2, 1, 3).dilation(2).padding(2).build(), new Shape(1, 2, 5, 6)),
                // on a GPU-typed device, the GPU family's data kernel: groups, strides 3 x 2 that do not divide the input,
                // dilation, asymmetric pads, a batch of two (its grid padded past the row)
                Arguments.of(ConvSpec.builder(4, 6, 3, 2).groups(2).stride(3, 2).dilation(2, 1).padding(2, 0, 1, 1).build(), new Shape(2, 4, 10, 11)));
    }

    /**
     * The pointwise filter's dot-product kernel, which the planner keeps for one pixel per image, forced on its chunked
     * path: two chunks (the second inside an image), and images shorter than a vector.
     */
    static Stream<Arguments> pointwiseFilterDotProduct() {
        return Stream.of(Arguments.of(ConvSpec.pointwise(130, 3), new Shape(2, 130, 1, 520)), Arguments.of(ConvSpec.pointwise(5, 6), new Shape(3, 5, 2, 3)));
    }

    @ParameterizedTest(name = "pointwise filter dot product {0} on {1}")
    @MethodSource("pointwiseFilterDotProduct")
    void thePointwiseFilterDotProductKernelMatchesTheReference(ConvSpec spec, Shape input) {
        Random random = new Random(31L * spec.hashCode() + input.hashCode());
        Shape out = spec.outputShape(input);
        Tensor x = Tensor.of(OpenClConvCorrectnessTest.uniform(random, input.count()), input);
        float[] w = OpenClConvCorrectnessTest.uniform(random, spec.weightCount());
        Tensor dz = Tensor.of(OpenClConvCorrectnessTest.uniform(random, out.count()), out);
        try (OpenClBackend backend = FamilyBackends.open(((OpenClBackend) TestBackends.opencl()).facts().family());
             PreparedConv conv = backend.prepare(spec, w, Epilogue.none())) {
            ((OpenClConv) conv).forceBackward(BackwardPointwiseFilterTest.DOT);
            ConvGradients.Filter f = conv.backwardFilter(x, dz, true);
            ReferenceGradients.Grads g = ReferenceGradients.gradients(x, spec, w, dz);
            ReferenceGradients.assertClose(g.dw(), f.weights(), ConvGradients.weightShape(spec), 1e-4, "dw " + spec);
            ReferenceGradients.assertClose(g.db(), f.bias(), ConvGradients.biasShape(spec), 1e-4, "db " + spec);
        }
    }

    /**
     * The full-convolution filter's unfold GEMM of the CPU family (a row of windows per work-item, the register-blocked
     * GEMM), forced with that family on whatever device runs the tier, written and accumulated: padding on every side
     * at stride 2, and groups with dilation (the GPU family's unfold runs in {@link #backwardPassesMatchTheReference} on a GPU-typed device).
     */
    static Stream<Arguments> unfoldFilterGemm() {
        return Stream.of(Arguments.of(ConvSpec.full(3, 5, 3).stride(2).padding(0, 1, 2, 1).build(), new Shape(2, 3, 7, 9)),
                Arguments.of(ConvSpec.builder(4, 6, 3, 2).groups(2).dilation(2, 1).padding(1).build(), new Shape(1, 4, 5, 6)));
    }

    @ParameterizedTest(name = "CPU-family unfold filter GEMM {0} on {1}")
    @MethodSource("unfoldFilterGemm")
    void theCpuFamilyUnfoldFilterGemmMatchesTheReference(ConvSpec spec, Shape input) {
        try (OpenClBackend backend = FamilyBackends.open(org.convcl.plan.KernelFamily.CPU)) {
            BackwardKernelCheck.matchesTheReference(backend, BackwardUnfoldFilterTest.UNFOLD, true,
                    new BackwardKernelCheck.Case(spec.toString(), spec, input));
        }
    }

    @ParameterizedTest(name = "backward {0} on {1}")
    @MethodSource("backward")
    void backwardPassesMatchTheReference(ConvSpec spec, Shape input) {
        Random random = new Random(31L * spec.hashCode() + input.hashCode());
        Shape out = spec.outputShape(input);
        Tensor x = Tensor.of(OpenClConvCorrectnessTest.uniform(random, input.count()), input);
        float[] w = OpenClConvCorrectnessTest.uniform(random, spec.weightCount());
        Tensor dy = Tensor.of(OpenClConvCorrectnessTest.uniform(random, out.count()), out);
        float[] dx0 = OpenClConvCorrectnessTest.uniform(random, input.count());
        try (OpenClBackend backend = FamilyBackends.open(((OpenClBackend) TestBackends.opencl()).facts().family());
             PreparedConv conv = backend.prepare(spec, w, Epilogue.activation(Activation.RELU6))) {
            Tensor dz = conv.activationBackward(conv.forward(x), dy);
            ReferenceGradients.Grads g = ReferenceGradients.gradients(x, spec, w, dz);
            Tensor dx = Tensor.of(dx0.clone(), input);
            conv.backwardData(dz, dx, true);
            double[] expected = g.dx().clone();
            for (int i = 0; i < expected.length; i++) expected[i] += dx0[i];
            ReferenceGradients.assertClose(expected, dx.data(), input, 1e-4, "accumulated dx " + spec + " on " + input);
            ConvGradients.Filter f = conv.backwardFilter(x, dz, true);
            ReferenceGradients.assertClose(g.dw(), f.weights(), ConvGradients.weightShape(spec), 1e-4, "dw " + spec);
            ReferenceGradients.assertClose(g.db(), f.bias(), ConvGradients.biasShape(spec), 1e-4, "db " + spec);
        }
    }

    static Stream<TensorOpsCases.OpCase> networkOperators() {
        return TensorOpsCases.all().stream();
    }

    /** The network operators of {@code kernels/net_ops.cl}: every case of {@link TensorOpsCases}, each on a fresh context. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("networkOperators")
    void networkOperatorMatchesTheJavaDefinition(TensorOpsCases.OpCase c) {
        try (OpenClBackend backend = FamilyBackends.open(((OpenClBackend) TestBackends.opencl()).facts().family())) {
            TensorOpsCases.check(backend, c);
        }
    }

    @Test
    void noRestrictSettingIsParsedAndBadValuesNamed() {
        assertFalse(KernelLibrary.noRestrict(null, null));
        assertTrue(KernelLibrary.noRestrict(null, "true"));
        assertFalse(KernelLibrary.noRestrict("false", "true"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelLibrary.noRestrict("yes", null));
        assertTrue(e.getMessage().contains("convcl.noRestrict") && e.getMessage().contains("'yes'"), e.getMessage());
    }

    private static float[] uniform(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (random.nextDouble() * 2 - 1);
        return a;
    }
}
