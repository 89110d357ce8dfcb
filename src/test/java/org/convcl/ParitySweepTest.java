package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * Seeded random sweeps of every kind (pointwise, depthwise with γ ∈ {1,2,3}, full, grouped) on every backend
 * of {@link TestBackends#all()}, compared with the naive {@link Reference}. Each case is prepared once per
 * backend. The fast sweep keeps the number of distinct (kernel, stride, dilation, γ, epilogue) combinations
 * small, since an OpenCL backend compiles a program for each; the slow sweep reuses them on larger tensors.
 * The worst absolute error per backend and kind is printed at the end.
 */
class ParitySweepTest {
    private static final long BASE_SEED = 20261122L;
    private static final Map<String, Double> WORST = new TreeMap<>();

    /** The epilogues swept, cycled over the cases. */
    enum Ep { NONE, BIAS, BIAS_BN, RELU, BIAS_BN_RELU6, BIAS_HARDSWISH }

    /** One sweep case: a spec, an input size, an epilogue and whether the input holds NaN and ±Inf. */
    record Case(ConvSpec spec, int n, int h, int w, Ep epilogue, boolean specials, long seed) {
        String name() {
            return spec + " in=" + n + "x" + spec.inChannels() + "x" + h + "x" + w + " " + epilogue
                    + (specials ? " NaN/Inf" : "") + " seed=" + seed;
        }
    }

    @TestFactory
    Stream<DynamicTest> fastSweep() {
        return testsFor(fastCases());
    }

    @Tag("slow")
    @TestFactory
    Stream<DynamicTest> slowSweep() {
        // The same layer shapes on larger tensors and batch 2: no new kernel programs to compile.
        List<Case> big = new ArrayList<>();
        for (Case c : fastCases()) {
            int scale = c.spec.kind() == ConvSpec.Kind.DEPTHWISE ? 4 : 2;
            ConvSpec spec = widen(c.spec, scale);
            big.add(new Case(spec, 2, c.h * 2 + 3, c.w * 3 + 1, c.epilogue, c.specials, c.seed + 1_000_000));
        }
        return testsFor(big);
    }

    /** Multiplies the channel counts (and, for depthwise and grouped specs, the groups) by {@code scale}. */
    private static ConvSpec widen(ConvSpec s, int scale) {
        int groups = s.groups() == 1 ? 1 : s.groups() * scale;
        return ConvSpec.builder(s.inChannels() * scale, s.outChannels() * scale, s.kernelH(), s.kernelW())
                .stride(s.strideH(), s.strideW()).dilation(s.dilationH(), s.dilationW()).groups(groups)
                .padding(s.padTop(), s.padLeft(), s.padBottom(), s.padRight()).build();
    }

    static List<Case> fastCases() {
        List<Case> cases = new ArrayList<>();
        // Sizes at tile sizes 8, 16, 32, one either side, primes, and 1.
        int[] sizes = {8, 7, 9, 16, 15, 17, 32, 31, 33, 13, 29, 1};

        // Pointwise: channel counts around the 4-channel blocks and 32-channel chunks; pixel counts across 512.
        int[][] pw = {{3, 8}, {8, 16}, {17, 9}, {32, 33}, {31, 7}, {1, 1}, {5, 4}, {40, 37}, {2, 3}, {7, 13}};
        int[][] pwSize = {{8, 8}, {16, 16}, {7, 13}, {9, 9}, {17, 15}, {1, 1}, {33, 17}, {29, 29}, {1, 1}, {13, 7}};
        for (int i = 0; i < pw.length; i++) {
            add(cases, ConvSpec.pointwise(pw[i][0], pw[i][1]), i % 2 == 0 ? 1 : 3, pwSize[i][0], pwSize[i][1], i, i >= 8);
        }

        // Depthwise: γ ∈ {1,2,3} × (kernel, stride, dilation) shapes, same or asymmetric padding.
        int[][] dwShapes = {{3, 3, 1, 1}, {3, 3, 2, 1}, {3, 3, 1, 2}, {5, 5, 1, 1}, {3, 1, 1, 1}, {1, 3, 2, 1}, {3, 3, 2, 2}};
        int[] channels = {2, 3, 4, 8, 5};
        int k = 0;
        for (int gamma = 1; gamma <= 3; gamma++) {
            for (int[] sh : dwShapes) {
                int c = channels[k % channels.length];
                int h = sizes[k % sizes.length], w = sizes[(k + 5) % sizes.length];
                UnaryOperator<ConvSpec.Builder> pad = k % 3 == 2 ? b -> b.padding(1, 0, 2, 1) : b -> b.samePadding(h, w);
                ConvSpec spec = pad.apply(ConvSpec.builder(c, c * gamma, sh[0], sh[1]).groups(c).stride(sh[2]).dilation(sh[3]))
                        .build();
                add(cases, spec, k % 4 == 3 ? 3 : 1, Math.max(h, needed(spec, true)), Math.max(w, needed(spec, false)),
                        k, k % 7 == 4);
                k++;
            }
        }
        // 1×1 outputs: the kernel exactly covers the unpadded input.
        add(cases, ConvSpec.depthwise(3, 2, 3).build(), 3, 3, 3, 1, false);

        // Full: square, even, Kx1 / 1xK, stride 2, dilation 2, 1×1 that is not pointwise, 1×1 outputs.
        Object[][] full = {
            {3, 8, ConvSpec.full(3, 8, 3).padding(1)},
            {5, 4, ConvSpec.full(5, 4, 3).stride(2).padding(1, 1, 0, 0)},
            {4, 9, ConvSpec.full(4, 9, 3).dilation(2).padding(2)},
            {1, 4, ConvSpec.builder(1, 4, 1, 3).padding(0, 1)},
            {6, 5, ConvSpec.builder(6, 5, 3, 1).stride(2, 1).padding(1, 0, 1, 0)},
            {3, 4, ConvSpec.full(3, 4, 2)},
            {8, 6, ConvSpec.full(8, 6, 5).stride(2).padding(2, 1, 2, 3)},
            {4, 5, ConvSpec.full(4, 5, 1).stride(2)},
            {3, 3, ConvSpec.full(3, 3, 1).padding(1, 0, 0, 1)},
            {2, 7, ConvSpec.full(2, 7, 3)},
        };
        int[][] fullSize = {{16, 16}, {15, 17}, {9, 13}, {32, 1}, {33, 7}, {8, 9}, {29, 31}, {17, 16}, {7, 7}, {3, 3}};
        for (int i = 0; i < full.length; i++) {
            ConvSpec spec = ((ConvSpec.Builder) full[i][2]).build();
            add(cases, spec, i % 3 == 1 ? 3 : 1, fullSize[i][0], fullSize[i][1], i + 1, i == 2);
        }

        // Grouped: two to four groups, several output channels per group.
        ConvSpec[] grouped = {
            ConvSpec.full(4, 6, 3).groups(2).padding(1).build(),
            ConvSpec.full(6, 4, 3).groups(2).stride(2).padding(0, 1, 1, 1).build(),
            ConvSpec.full(4, 8, 1).groups(2).build(),
            ConvSpec.full(6, 9, 3).groups(3).dilation(2).padding(2).build(),
            ConvSpec.builder(4, 6, 3, 1).groups(2).padding(1, 0).build(),
            ConvSpec.full(8, 8, 5).groups(4).stride(2).dilation(2).padding(3).build(),
        };
        int[][] groupedSize = {{8, 9}, {16, 15}, {13, 7}, {17, 16}, {31, 8}, {29, 33}};
        for (int i = 0; i < grouped.length; i++) {
            add(cases, grouped[i], i % 2 == 0 ? 3 : 1, groupedSize[i][0], groupedSize[i][1], i + 2, i == 1);
        }
        return cases;
    }

    /** Smallest input extent the spec accepts along one axis. */
    private static int needed(ConvSpec s, boolean height) {
        int k = height ? s.kernelH() : s.kernelW(), d = height ? s.dilationH() : s.dilationW();
        int pads = height ? s.padTop() + s.padBottom() : s.padLeft() + s.padRight();
        return Math.max(1, d * (k - 1) + 1 - pads);
    }

    private static void add(List<Case> cases, ConvSpec spec, int n, int h, int w, int epilogueIndex, boolean specials) {
        Ep[] eps = Ep.values();
        cases.add(new Case(spec, n, h, w, eps[epilogueIndex % eps.length], specials, BASE_SEED + cases.size()));
    }

    private static Stream<DynamicTest> testsFor(List<Case> cases) {
        return PerBackend.tests(cases, Case::name, ParitySweepTest::check);
    }

    static void check(Backend backend, Case c) {
        SplittableRandom random = new SplittableRandom(c.seed);
        ConvSpec spec = c.spec;
        Tensor input = Tensor.of(uniform(random, c.n * spec.inChannels() * c.h * c.w, 1f), c.n, spec.inChannels(), c.h, c.w);
        if (c.specials) sprinkleSpecials(random, input.data());
        float[] weights = uniform(random, spec.weightCount(), 1f);
        Epilogue epilogue = epilogue(random, c.epilogue, spec.outChannels());
        Tensor expected = Reference.conv2d(input, spec, weights, epilogue);
        Tensor actual;
        try (PreparedConv conv = backend.prepare(spec, weights, epilogue)) {
            actual = conv.forward(input);
        }
        double scale = 1;
        if (epilogue.batchNorm() != null) {
            for (int o = 0; o < spec.outChannels(); o++) scale = Math.max(scale, Math.abs(epilogue.batchNorm().scale(o)));
        }
        String context = backend.device().id() + " " + c.name() + " (" + spec.kind() + ")";
        TensorAssert.assertClose(expected, actual, TensorAssert.atol(spec.reductionLength()) * scale, TensorAssert.RTOL, context);
        if (c.specials) {
            assertTrue(hasNonFinite(expected), "a NaN/Inf case must produce a non-finite reference output: " + context);
        }
        record(backend.device().id() + " " + spec.kind() + (spec.kind() == ConvSpec.Kind.DEPTHWISE
                ? " γ=" + spec.depthMultiplier() : ""), TensorAssert.maxAbsError(expected, actual));
    }

    private static synchronized void record(String key, double error) {
        WORST.merge(key, error, Math::max);
    }

    @AfterAll
    static void printWorstErrors() {
        synchronized (ParitySweepTest.class) {
            System.out.println("[parity] worst |actual - reference| per backend and kind:");
            WORST.forEach((key, err) -> System.out.printf("[parity]   %-28s %.3g%n", key, err));
        }
    }

    static float[] uniform(SplittableRandom random, int count, float magnitude) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (float) ((random.nextDouble() * 2 - 1) * magnitude);
        return a;
    }

    /** Replaces a few elements with NaN, +Inf and −Inf. */
    private static void sprinkleSpecials(SplittableRandom random, float[] data) {
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int i = 0; i < Math.max(3, data.length / 64); i++) {
            data[random.nextInt(data.length)] = specials[i % specials.length];
        }
    }

    private static boolean hasNonFinite(Tensor t) {
        for (float v : t.data()) if (!Float.isFinite(v)) return true;
        return false;
    }

    /** A random epilogue of the given kind; the ReLU6 one scales by 3–6 so that outputs cross 6. */
    static Epilogue epilogue(SplittableRandom random, Ep kind, int channels) {
        Epilogue.Builder b = Epilogue.builder();
        if (kind != Ep.NONE && kind != Ep.RELU) b.bias(uniform(random, channels, 1f));
        if (kind == Ep.BIAS_BN || kind == Ep.BIAS_BN_RELU6) {
            float[] variance = new float[channels], gamma = new float[channels];
            for (int o = 0; o < channels; o++) {
                variance[o] = (float) (0.2 + random.nextDouble());
                gamma[o] = (float) (kind == Ep.BIAS_BN_RELU6 ? 3 + 3 * random.nextDouble() : 0.5 + random.nextDouble());
            }
            b.batchNorm(uniform(random, channels, 0.5f), variance, gamma, uniform(random, channels, 0.5f), 1e-5f);
        }
        if (kind == Ep.RELU) b.activation(Activation.RELU);
        if (kind == Ep.BIAS_BN_RELU6) b.activation(Activation.RELU6);
        if (kind == Ep.BIAS_HARDSWISH) b.activation(Activation.HARDSWISH);
        return b.build();
    }

    /** The fast sweep stays within the compile budget of an OpenCL backend and covers every kind and γ. */
    @org.junit.jupiter.api.Test
    void fastSweepCoversEveryKindWithinTheProgramBudget() {
        List<Case> cases = fastCases();
        long combos = cases.stream().map(c -> List.of(c.spec.kernelH(), c.spec.kernelW(), c.spec.strideH(),
                c.spec.strideW(), c.spec.dilationH(), c.spec.dilationW(), c.spec.depthMultiplier(), c.epilogue))
                .distinct().count();
        assertTrue(combos <= 80, "distinct (kernel, stride, dilation, γ, epilogue) combinations: " + combos);
        for (ConvSpec.Kind kind : ConvSpec.Kind.values()) {
            assertTrue(cases.stream().anyMatch(c -> c.spec.kind() == kind), "no case of kind " + kind);
        }
        for (int gamma = 1; gamma <= 3; gamma++) {
            int g = gamma;
            assertTrue(cases.stream().anyMatch(c -> c.spec.depthMultiplier() == g), "no depthwise case with γ=" + g);
        }
        for (Ep ep : Ep.values()) {
            assertTrue(cases.stream().anyMatch(c -> c.epilogue == ep), "no case with epilogue " + ep);
        }
        assertTrue(cases.stream().anyMatch(c -> c.spec.outputShape(new Shape(c.n, c.spec.inChannels(), c.h, c.w)).h() == 1
                && c.spec.outputShape(new Shape(c.n, c.spec.inChannels(), c.h, c.w)).w() == 1), "no 1×1 output case");
        assertEquals(cases.size(), cases.stream().map(Case::seed).distinct().count(), "seeds must be distinct");
    }
}
