package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.plan.BackwardAlgorithm;
import org.convcl.plan.BackwardPass;
import org.convcl.plan.BackwardPlanner;
import org.convcl.TestBackends;
import org.convcl.plan.Algorithm;
import org.convcl.plan.ShapeClass;
import org.convcl.plan.TuningJson;
import org.convcl.plan.TuningTable;
import org.convcl.plan.TunedKernel;
import org.convcl.plan.Tunables;
import org.junit.jupiter.api.Test;

/** The tuner on PoCL with 2 layers and 2 candidates each; the winner rule and the table update without a device. */
class TunerTest {

    @Test
    void tinyTuneRunTimesVerifiedCandidatesPerClass() {
        Tuner tuner = new Tuner(TestBackends.opencl(), new Tuner.Options(1, 3, 0.05, 2));
        ConvSpec pw = ConvSpec.pointwise(16, 24);
        ConvSpec dw = ConvSpec.depthwise(8, 1, 3).padding(1).build();
        List<Tuner.Layer> layers = List.of(new Tuner.Layer("pw", pw, new Shape(1, 16, 9, 11)),
                new Tuner.Layer("dw", dw, new Shape(1, 8, 13, 13)),
                new Tuner.Layer("pw again", pw, new Shape(1, 16, 9, 11)), // a duplicate runs once
                new Tuner.Layer("direct", ConvSpec.full(4, 6, 3).groups(2).build(), new Shape(1, 4, 8, 8))); // not tuned
        List<String> progress = new ArrayList<>();
        List<Tuner.ClassResult> results = tuner.tune(layers, progress::add);
        assertEquals(2, results.size(), progress::toString);
        assertTrue(progress.get(0).contains("not tuned"), progress::toString);
        for (Tuner.ClassResult r : results) {
            assertEquals(1, r.layers().size(), r.toString());
            assertTrue(r.defaults().total() > 0, r.toString());
            TunedKernel a = r.shapeClass().algorithm();
            assertEquals(Tunables.defaults(a, r.layers().get(0).spec()), r.defaults().params());
            assertTrue(r.dropped().stream().noneMatch(d -> d.contains("differs") || d.contains("failed")), r.dropped().toString());
            List<?> firstTwo = Tunables.candidates(a, r.layers().get(0).spec()).subList(0, 2);
            assertTrue(r.best() != null && firstTwo.contains(r.best().params()), r.toString());
            assertEquals(r.winner(), Tuner.beats(r.best().total(), r.defaults().total(), 0.05), r.toString());
        }
        TuningTable table = Tuner.apply(TuningTable.EMPTY, tuner.deviceKey(), results, "test");
        assertEquals(results.stream().filter(Tuner.ClassResult::winner).count(), table.size());
        assertEquals(table, TuningJson.parse(TuningJson.format(table), "round trip"));
    }

    @Test
    void tinyBackwardTuneCoversTheDataAndFilterKernelsAndChecksEveryCandidate() {
        Tuner tuner = new Tuner(TestBackends.opencl(), new Tuner.Options(0, 1, 0.05, 1));
        ConvSpec strided = ConvSpec.full(8, 8, 3).stride(2).padding(1).build();
        List<String> progress = new ArrayList<>();
        List<Tuner.ClassResult> results = tuner.tune(List.of(new Tuner.Layer("strided", strided, new Shape(2, 8, 40, 40))),
                List.of(Tuner.Pass.BACKWARD_DATA, Tuner.Pass.BACKWARD_FILTER), progress::add);
        assertEquals(List.of(BackwardAlgorithm.BACKWARD_DATA, BackwardAlgorithm.BACKWARD_FILTER),
                results.stream().map(r -> r.shapeClass().algorithm()).toList(), progress::toString);
        // a stride-1 layer's data pass is a forward convolution, which the forward pass tunes
        List<String> skipped = new ArrayList<>();
        ConvSpec dw = ConvSpec.depthwise(8, 1, 3).padding(1).build();
        assertTrue(tuner.tune(List.of(new Tuner.Layer("dw", dw, new Shape(1, 8, 9, 9))), List.of(Tuner.Pass.BACKWARD_DATA), skipped::add).isEmpty());
        assertEquals(List.of("dw: its backward data pass is a forward convolution (stride 1), tuned with the forward pass"), skipped);
        for (Tuner.ClassResult r : results) {
            TunedKernel a = r.shapeClass().algorithm();
            assertEquals(Tunables.defaults(a, r.layers().get(0).spec()), r.defaults().params());
            assertTrue(r.defaults().total() > 0, r.toString());
            assertTrue(r.dropped().stream().noneMatch(d -> d.contains("differs") || d.contains("failed")), r.dropped().toString());
            assertEquals(Tunables.candidates(a, r.layers().get(0).spec()).get(0), r.best().params(), r.toString());
        }
        // stored under the backward kernels' names, read back as such
        Tuner.ClassResult filter = results.get(1);
        TuningTable table = Tuner.apply(TuningTable.EMPTY, tuner.deviceKey(), List.of(new Tuner.ClassResult(filter.shapeClass(),
                filter.layers(), filter.defaults(), filter.best(), true, List.of())), "test");
        assertEquals(filter.best().params(), table.lookup(tuner.deviceKey(), filter.shapeClass()).orElseThrow().params());
        assertTrue(TuningJson.format(table).contains("\"algorithm\": \"BACKWARD_FILTER\""), TuningJson.format(table));
        assertEquals(table, TuningJson.parse(TuningJson.format(table), "round trip"));
    }

    @Test
    void tunedBackwardParamsReachTheKernelsAndGiveTheDefaultsGradients() {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        ConvSpec spec = ConvSpec.full(6, 10, 3).stride(2).padding(1).build();
        Shape in = new Shape(2, 6, 40, 41); // planes large next to a window: the direct filter kernel
        Random random = new Random(7);
        float[] w = new float[spec.weightCount()];
        float[] x = new float[in.count()];
        float[] dz = new float[spec.outputShape(in).count()];
        for (float[] a : List.of(w, x, dz)) for (int i = 0; i < a.length; i++) a[i] = random.nextFloat() * 2 - 1;
        Map<String, Integer> filterParams = Map.of("TILE_OC", 8, "TILE_IC", 2, "VEC", 4);
        Map<String, Integer> dataParams = Map.of("TILE_IC", 2, "VEC", 16);
        TuningTable table = TuningTable.of(List.of(
                new TuningTable.Entry(backend.facts().deviceKey(), ShapeClass.of(BackwardAlgorithm.BACKWARD_FILTER, spec, in), filterParams, ""),
                new TuningTable.Entry(backend.facts().deviceKey(), ShapeClass.of(BackwardAlgorithm.BACKWARD_DATA, spec, in), dataParams, "")));
        try (PreparedConv plain = backend.prepare(spec, w, Epilogue.none(), TuningTable.EMPTY, in);
             PreparedConv tuned = backend.prepare(spec, w, Epilogue.none(), table, in)) {
            BackwardPlanner.BackwardPlan filterPlan = ((OpenClConv) tuned).backwardPlan(BackwardPass.FILTER, in);
            BackwardPlanner.BackwardPlan dataPlan = ((OpenClConv) tuned).backwardPlan(BackwardPass.DATA, in);
            assertEquals(filterParams, filterPlan.params());
            assertEquals(dataParams, dataPlan.params());
            assertTrue(filterPlan.reason().startsWith("tuned [") && dataPlan.reason().startsWith("tuned ["), filterPlan.reason() + " / " + dataPlan.reason());
            assertTrue(((OpenClConv) plain).backwardPlan(BackwardPass.FILTER, in).reason().startsWith("default: "));
            Tensor xt = Tensor.of(x, in), dzt = Tensor.of(dz, spec.outputShape(in));
            assertClose(plain.backwardFilter(xt, dzt, false).weights(), tuned.backwardFilter(xt, dzt, false).weights());
            assertClose(plain.backwardData(dzt, in).data(), tuned.backwardData(dzt, in).data());
        }
    }

    private static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4 * (1 + Math.abs(expected[i])), "element " + i);
        }
    }

    @Test
    void winnersNeedTheMarginAndApplyReplacesOrRemovesEntries() {
        assertTrue(Tuner.beats(0.90, 1.0, 0.05));
        assertTrue(Tuner.beats(0.95, 1.0, 0.05));
        assertFalse(Tuner.beats(0.96, 1.0, 0.05));
        assertFalse(Tuner.beats(1.0, 1.0, 0.0)); // a tie is no win
        String dev = "gpu | 1";
        ShapeClass won = new ShapeClass(Algorithm.POINTWISE, "cin<=64,hw<=4096,n1");
        ShapeClass lost = new ShapeClass(Algorithm.POINTWISE, "cin<=128,hw<=4096,n1");
        ShapeClass untouched = new ShapeClass(Algorithm.POINTWISE, "cin<=256,hw<=4096,n1");
        Map<String, Integer> old = Map.of("TILE_OC", 4, "VEC", 8, "KSTEP", 4, "L0", 8, "L1", 2);
        TuningTable before = TuningTable.of(List.of(new TuningTable.Entry(dev, won, old, "old"),
                new TuningTable.Entry(dev, lost, old, "old"), new TuningTable.Entry(dev, untouched, old, "old")));
        ConvSpec spec = ConvSpec.pointwise(64, 64);
        Tuner.Layer layer = new Tuner.Layer("l", spec, new Shape(1, 64, 56, 56));
        var defaults = new Tuner.Timed(Tunables.defaults(Algorithm.POINTWISE, spec), new double[] {1.0});
        var fast = new Tuner.Timed(Tunables.candidates(Algorithm.POINTWISE, spec).get(0), new double[] {0.8});
        TuningTable after = Tuner.apply(before, dev, List.of(
                new Tuner.ClassResult(won, List.of(layer), defaults, fast, true, List.of()),
                new Tuner.ClassResult(lost, List.of(layer), defaults, fast, false, List.of())), "");
        assertEquals(fast.params(), after.lookup(dev, won).orElseThrow().params());
        assertTrue(after.lookup(dev, won).orElseThrow().note().contains("1.25x"), after.lookup(dev, won).orElseThrow().note());
        assertTrue(after.lookup(dev, lost).isEmpty()); // measured: the defaults are as good
        assertEquals("old", after.lookup(dev, untouched).orElseThrow().note());
    }

    @Test
    void rejectsBadOptionsAndTheCpuBackend() {
        assertThrows(IllegalArgumentException.class, () -> new Tuner.Options(0, 0, 0.05, 2));
        assertThrows(IllegalArgumentException.class, () -> new Tuner.Options(0, 1, 1.0, 2));
        assertThrows(IllegalArgumentException.class, () -> new Tuner.Options(-1, 1, 0.05, 2));
        assertThrows(IllegalArgumentException.class, () -> new Tuner.Options(0, 1, 0.05, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Tuner(TestBackends.cpu(), new Tuner.Options(0, 1, 0.05, 1)));
        assertTrue(e.getMessage().contains("OpenCL"), e.getMessage());
    }
}
