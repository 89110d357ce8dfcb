package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.convcl.Activation;
import org.convcl.ConvGradients;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Reference;
import org.convcl.ReferenceGradients;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorAssert;
import org.convcl.TestBackends;
import org.convcl.plan.Algorithm;
import org.convcl.plan.BackwardAlgorithm;
import org.convcl.plan.BackwardPass;
import org.convcl.plan.BackwardPlanner;
import org.convcl.plan.Plan;
import org.convcl.plan.Planner;
import org.convcl.plan.ShapeClass;
import org.convcl.plan.TuningTable;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every parameter set in the shipped tuning file gives the reference's answers: each distinct (kernel,
 * window, parameters) runs on small layers of its kernel and stride (images narrower and wider than the vector,
 * batch 2, γ 1 and 2, groups, bias + ReLU) with the entry re-keyed to those layers' shape classes on this device; a
 * backward entry likewise, its gradient against {@link ReferenceGradients}.
 */
@Tag("slow") // one program build per shipped parameter set and layer: about a minute on PoCL with a cold cache
class ShippedTuningParityTest {
    private static final Pattern WINDOW = Pattern.compile("k(\\d+)x(\\d+),s(\\d+)x(\\d+)");

    static Stream<Arguments> shippedParameterSets() throws IOException {
        Set<List<Object>> seen = new LinkedHashSet<>();
        for (TuningTable.Entry e : TuningFiles.shipped().entries()) {
            Matcher m = WINDOW.matcher(e.key().shapeClass());
            int[] window = m.find() ? new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4))} : new int[] {1, 1, 1, 1};
            seen.add(List.of(e.key().algorithm(), List.of(window[0], window[1], window[2], window[3]), e.params()));
        }
        assertFalse(seen.isEmpty(), "the shipped tuning file has no entries");
        return seen.stream().map(s -> Arguments.of(s.get(0), s.get(1), s.get(2)));
    }

    static Stream<Arguments> shippedForwardParameterSets() throws IOException {
        return shippedParameterSets().filter(a -> a.get()[0] instanceof Algorithm);
    }

    static Stream<Arguments> shippedBackwardParameterSets() throws IOException {
        return shippedParameterSets().filter(a -> a.get()[0] instanceof BackwardAlgorithm);
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("shippedForwardParameterSets")
    void tunedPlanMatchesTheReference(Algorithm algorithm, List<Integer> window, java.util.SortedMap<String, Integer> params) {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        int kh = window.get(0), kw = window.get(1), sh = window.get(2), sw = window.get(3);
        List<Object[]> layers = new ArrayList<>(); // {spec, input}
        switch (algorithm) {
            case POINTWISE -> {
                layers.add(new Object[] {ConvSpec.pointwise(20, 19), new Shape(2, 20, 5, 7)});
                layers.add(new Object[] {ConvSpec.pointwise(20, 19), new Shape(1, 20, 1, 3)});
            }
            case DEPTHWISE -> {
                for (int gamma : new int[] {1, 2}) {
                    ConvSpec dw = ConvSpec.builder(6, 6 * gamma, kh, kw).groups(6).stride(sh, sw).padding(kh / 2, kw / 2).build();
                    layers.add(new Object[] {dw, gamma == 1 ? new Shape(1, 6, 5, 37) : new Shape(2, 6, 11, 19)});
                }
            }
            case IMPLICIT_GEMM -> {
                layers.add(new Object[] {ConvSpec.builder(5, 10, kh, kw).stride(sh, sw).padding(kh / 2, kw / 2).build(), new Shape(2, 5, 11, 19)});
                layers.add(new Object[] {ConvSpec.builder(8, 16, kh, kw).stride(sh, sw).padding(kh / 2, kw / 2).groups(2).build(), new Shape(1, 8, 9, 23)});
            }
            case DIRECT -> throw new AssertionError("the direct kernel is not tuned");
        }
        Random random = new Random(params.hashCode());
        for (Object[] l : layers) {
            ConvSpec spec = (ConvSpec) l[0];
            Shape input = (Shape) l[1];
            TuningTable table = TuningTable.of(List.of(new TuningTable.Entry(backend.facts().deviceKey(),
                    ShapeClass.of(algorithm, spec, input), params, "parity")));
            float[] weights = random(random, spec.weightCount());
            Epilogue epilogue = Epilogue.builder().bias(random(random, spec.outChannels())).activation(Activation.RELU).build();
            Tensor x = Tensor.of(random(random, input.count()), input);
            // the entry's algorithm forced, so its parameters run whichever kernel family the backend plans with
            Plan plan = Planner.plan(spec, input, backend.facts(), table, algorithm);
            try (OpenClConv conv = new OpenClConv(backend, spec, epilogue.fold(spec, weights), epilogue.batchNorm() != null, table, algorithm, plan, input)) {
                String reason = conv.launchPlan(input).reason();
                assertTrue(reason.startsWith("forced tuned"), reason);
                TensorAssert.assertClose(Reference.conv2d(x, spec, weights, epilogue), conv.forward(x), spec.reductionLength(),
                        spec + " input " + input + " params " + params + ": " + reason);
            }
        }
    }

    /**
     * A shipped backward entry, re-keyed to small layers its kernel takes (batch 2, γ 1 and 2, planes narrower and wider
     * than the vector), is what the backward planner runs, and its gradient matches the reference's.
     */
    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("shippedBackwardParameterSets")
    void tunedBackwardPlanMatchesTheReference(BackwardAlgorithm kernel, List<Integer> window, java.util.SortedMap<String, Integer> params) {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        int kh = window.get(0), kw = window.get(1), sh = window.get(2), sw = window.get(3);
        List<Object[]> layers = new ArrayList<>(); // {spec, input}
        switch (kernel) {
            case BACKWARD_FILTER_DEPTHWISE, BACKWARD_FILTER_DEPTHWISE_FLAT, BACKWARD_DATA_DEPTHWISE_STRIDED -> {
                // the flat filter kernel takes stride-1 planes of 16-256 outputs, the row kernel larger ones
                boolean flat = kernel == BackwardAlgorithm.BACKWARD_FILTER_DEPTHWISE_FLAT;
                for (int gamma : new int[] {1, 2}) {
                    ConvSpec dw = ConvSpec.builder(6, 6 * gamma, kh, kw).groups(6).stride(sh, sw).padding(kh / 2, kw / 2).build();
                    layers.add(new Object[] {dw, flat ? new Shape(2, 6, 9, 13) : gamma == 1 ? new Shape(1, 6, 23, 37) : new Shape(2, 6, 17, 19)});
                }
            }
            case BACKWARD_FILTER_POINTWISE_GEMM -> {
                layers.add(new Object[] {ConvSpec.pointwise(20, 19), new Shape(2, 20, 9, 9)}); // one GEMM per image
                layers.add(new Object[] {ConvSpec.pointwise(20, 19), new Shape(2, 20, 3, 3)}); // dz gathered over the batch
            }
            case BACKWARD_FILTER_POINTWISE -> layers.add(new Object[] {ConvSpec.pointwise(20, 19), new Shape(3, 20, 1, 1)});
            default -> throw new AssertionError("no parity layers for the shipped " + kernel + " entries: add them here");
        }
        Random random = new Random(params.hashCode());
        for (Object[] l : layers) {
            ConvSpec spec = (ConvSpec) l[0];
            Shape input = (Shape) l[1];
            TuningTable table = TuningTable.of(List.of(new TuningTable.Entry(backend.facts().deviceKey(),
                    ShapeClass.of(kernel, spec, input), params, "parity")));
            float[] weights = random(random, spec.weightCount());
            Tensor x = Tensor.of(random(random, input.count()), input);
            Tensor dz = Tensor.of(random(random, spec.outputShape(input).count()), spec.outputShape(input));
            ReferenceGradients.Grads expected = ReferenceGradients.gradients(x, spec, weights, dz);
            String where = spec + " input " + input + " params " + params;
            try (PreparedConv conv = backend.prepare(spec, weights, Epilogue.none(), table, input)) {
                BackwardPass pass = kernel.descriptor().pass();
                BackwardPlanner.BackwardPlan plan = ((OpenClConv) conv).backwardPlan(pass, input);
                assertTrue(plan.reason().startsWith("tuned ["), where + ": " + plan.reason());
                if (pass == BackwardPass.DATA) {
                    ReferenceGradients.assertClose(expected.dx(), conv.backwardData(dz, input).data(), input, 1e-4, "dx " + where);
                } else {
                    ReferenceGradients.assertClose(expected.dw(), conv.backwardFilter(x, dz, false).weights(),
                            ConvGradients.weightShape(spec), 1e-4, "dw " + where);
                }
            }
        }
    }

    private static float[] random(Random random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = random.nextFloat() * 2 - 1;
        return a;
    }
}
