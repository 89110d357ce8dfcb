package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import java.util.stream.Stream;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Reference;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorAssert;
import org.convcl.TestBackends;
import org.convcl.opencl.OpenClConvCorrectnessTest.Post;
import org.convcl.plan.Algorithm;
import org.convcl.plan.DeviceFacts;
import org.convcl.plan.Launch;
import org.convcl.plan.Plan;
import org.convcl.plan.Planner;
import org.convcl.plan.ShapeClass;
import org.convcl.plan.Tunables;
import org.convcl.plan.TuningTable;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The GPU family's pointwise GEMM ({@link Algorithm#POINTWISE_GPU}, forced, whatever the device) against the reference:
 * sizes at its 64 × 64 × 16 tiles and one either side (output channels, pixels, input channels), primes, batches,
 * 7×7 and 1×1 images, bias with each activation; and every parameter set the tuner tries.
 */
class PointwiseGpuTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("a whole tile: 64 channels x 64 pixels, K 16", ConvSpec.pointwise(16, 64), new Shape(1, 16, 8, 8), Post.BIAS_RELU),
                Arguments.of("tile - 1: 63 channels, 63 pixels, K 15", ConvSpec.pointwise(15, 63), new Shape(1, 15, 7, 9), Post.NONE),
                Arguments.of("tile + 1: 65 channels, 65 pixels, K 17, batch 2", ConvSpec.pointwise(17, 65), new Shape(2, 17, 5, 13), Post.BIAS_RELU6),
                Arguments.of("primes: 13 -> 31 on 11x13, batch 3", ConvSpec.pointwise(13, 31), new Shape(3, 13, 11, 13), Post.BATCH_NORM_RELU),
                Arguments.of("7x7, 128 -> 130, batch 4", ConvSpec.pointwise(128, 130), new Shape(4, 128, 7, 7), Post.BIAS_RELU),
                Arguments.of("1x1 image, batch 5 (a classifier)", ConvSpec.pointwise(37, 10), new Shape(5, 37, 1, 1), Post.BATCH_NORM),
                Arguments.of("one input and one output channel", ConvSpec.pointwise(1, 1), new Shape(2, 1, 3, 3), Post.BIAS_RELU6),
                Arguments.of("several tiles each way: 96 -> 200 on 23x29", ConvSpec.pointwise(96, 200), new Shape(1, 96, 23, 29), Post.NONE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheReference(String name, ConvSpec spec, Shape input, Post post) {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        long seed = 31L * spec.hashCode() + input.hashCode();
        Random random = new Random(seed);
        Tensor x = Tensor.of(OpenClConvCorrectnessTest.uniform(random, input.count()), input);
        float[] w = OpenClConvCorrectnessTest.uniform(random, spec.weightCount());
        Epilogue epilogue = OpenClConvCorrectnessTest.epilogue(post, spec.outChannels(), random);
        try (PreparedConv conv = backend.prepare(spec, w, epilogue, Algorithm.POINTWISE_GPU, input)) {
            Plan plan = ((OpenClConv) conv).preparedPlan();
            assertEquals(Algorithm.POINTWISE_GPU, plan.algorithm(), conv.plan());
            TensorAssert.assertClose(Reference.conv2d(x, spec, w, epilogue), conv.forward(x), spec.reductionLength(),
                    name + ": " + spec + ", input " + input + ", seed " + seed + ", plan " + conv.plan());
        }
    }

    /** A layer with a ragged edge in every tile dimension of every candidate (K 40, 70 channels, 9x11 pixels). */
    private static final ConvSpec RAGGED = ConvSpec.pointwise(40, 70);
    private static final Shape RAGGED_INPUT = new Shape(2, 40, 9, 11);

    static Stream<SortedMap<String, Integer>> parameterSets() {
        List<SortedMap<String, Integer>> sets = new ArrayList<>(Tunables.candidates(Algorithm.POINTWISE_GPU, RAGGED));
        sets.add(0, Tunables.defaults(Algorithm.POINTWISE_GPU, RAGGED));
        return sets.stream();
    }

    /** Every parameter set the tuner tries runs as a tuned entry would and matches the reference (where it fits the device). */
    @Tag("slow") // one program build per parameter set
    @ParameterizedTest(name = "{0}")
    @MethodSource("parameterSets")
    void everyTunerCandidateMatchesTheReference(SortedMap<String, Integer> params) {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        Random random = new Random(params.hashCode());
        float[] w = OpenClConvCorrectnessTest.uniform(random, RAGGED.weightCount());
        Epilogue epilogue = OpenClConvCorrectnessTest.epilogue(Post.BIAS_RELU6, RAGGED.outChannels(), random);
        Tensor x = Tensor.of(OpenClConvCorrectnessTest.uniform(random, RAGGED_INPUT.count()), RAGGED_INPUT);
        DeviceFacts facts = backend.facts();
        TuningTable table = TuningTable.of(List.of(new TuningTable.Entry(facts.deviceKey(),
                ShapeClass.of(Algorithm.POINTWISE_GPU, RAGGED, RAGGED_INPUT), params, "candidate")));
        boolean fits = Algorithm.POINTWISE_GPU.descriptor().misfit(RAGGED, params, facts).isEmpty();
        try (PreparedConv conv = backend.prepare(RAGGED, w, epilogue, table, Algorithm.POINTWISE_GPU, RAGGED_INPUT)) {
            Plan plan = ((OpenClConv) conv).preparedPlan();
            assertEquals(fits, plan.reason().startsWith("forced tuned"), plan.reason());
            TensorAssert.assertClose(Reference.conv2d(x, RAGGED, w, epilogue), conv.forward(x), RAGGED.reductionLength(),
                    "params " + params + ", plan " + plan);
        }
    }

    @Test
    void aCompiledKernelAllowingFewerItemsThanTheTilesNeedIsAnErrorNotASmallerGroup() {
        DeviceFacts facts = ((OpenClBackend) TestBackends.opencl()).facts();
        Plan plan = Planner.plan(RAGGED, RAGGED_INPUT, facts, TuningTable.EMPTY, Algorithm.POINTWISE_GPU);
        long items = plan.local()[0] * plan.local()[1] * plan.local()[2];
        List<Launch> launches = plan.launches(RAGGED, RAGGED_INPUT, facts, new long[] {items});
        assertEquals(1, launches.size());
        assertEquals(List.of(plan.local()[0], plan.local()[1], 1L), List.of(launches.get(0).local()[0], launches.get(0).local()[1],
                launches.get(0).local()[2]));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> plan.launches(RAGGED, RAGGED_INPUT, facts, new long[] {items / 2}));
        assertTrue(e.getMessage().contains("work-groups of " + items) && e.getMessage().contains("allows " + items / 2), e.getMessage());
    }
}
