package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.convcl.Backends;
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
import org.convcl.plan.Plan;
import org.convcl.plan.Planner;
import org.convcl.plan.ShapeClass;
import org.convcl.plan.TuningTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Programs built for a layer prepared with its expected input: with a tuned entry for that shape, prepare builds
 * exactly the tuned program and the first forward builds nothing (without the shape, prepare builds the defaults
 * and the first forward the tuned program: two builds, one inside the first call). Winograd's scratch is
 * allocated at prepare. {@link OpenClBackend#buildCount()} counts programs compiled or loaded from disk, so the
 * counts hold with a warm or a cold program cache.
 */
class ExpectedInputBuildTest {
    /** A pointwise layer with a tuned entry for its input whose parameters differ from the defaults. */
    private static final ConvSpec LAYER = ConvSpec.pointwise(16, 8);
    private static final Shape INPUT = new Shape(1, 16, 6, 6);
    private static final Map<String, Integer> TUNED = Map.of(Plan.TILE_OC, 4, Plan.VEC, 8, Plan.KSTEP, 4, "L0", 4, "L1", 2);
    /** The same for the GPU family's pointwise kernel, which plans LAYER under convcl.kernels=gpu. */
    private static final Map<String, Integer> TUNED_GPU = Map.of("TILE_M", 32, "TILE_N", 32, "TILE_K", 8, "L0", 8, "L1", 8);

    private static OpenClBackend shared() {
        return (OpenClBackend) TestBackends.opencl();
    }

    /** A fresh backend (empty in-memory program cache) whose user tuning file holds the tuned entry for LAYER at INPUT. */
    private static OpenClBackend backendWithTunedEntry(Path dir) throws IOException {
        String deviceKey = shared().facts().deviceKey();
        Path file = dir.resolve("tuning.json");
        TuningFiles.store(file, TuningTable.of(List.of(new TuningTable.Entry(deviceKey,
                ShapeClass.of(Algorithm.POINTWISE, LAYER, INPUT), TUNED, "ExpectedInputBuildTest"),
                new TuningTable.Entry(deviceKey, ShapeClass.of(Algorithm.POINTWISE_GPU, LAYER, INPUT), TUNED_GPU, "ExpectedInputBuildTest"))));
        String old = System.getProperty("convcl.tuningFile");
        System.setProperty("convcl.tuningFile", file.toString());
        try {
            OpenClBackend backend = (OpenClBackend) Backends.open(shared().device());
            Plan tuned = Planner.plan(LAYER, INPUT, backend.facts(), backend.tuning());
            assertTrue(tuned.reason().startsWith("tuned"), "the user tuning file is read (CONVCL_TUNING=off?): " + tuned);
            assertTrue(!tuned.defines().equals(Planner.plan(LAYER, null, backend.facts(), backend.tuning()).defines()),
                    "tuned defines differ from the defaults");
            return backend;
        } finally {
            if (old == null) System.clearProperty("convcl.tuningFile"); else System.setProperty("convcl.tuningFile", old);
        }
    }

    /** Program builds of {@code conv}'s first forward on INPUT, checked against the reference. */
    private static int firstForwardBuilds(OpenClBackend backend, PreparedConv conv, float[] weights) {
        SplittableRandom r = new SplittableRandom(5);
        float[] xs = new float[INPUT.count()];
        for (int i = 0; i < xs.length; i++) xs[i] = (float) r.nextDouble(-1, 1);
        Tensor x = Tensor.of(xs, INPUT);
        int before = backend.buildCount();
        Tensor y = conv.forward(x);
        int builds = backend.buildCount() - before;
        TensorAssert.assertClose(Reference.conv2d(x, LAYER, weights, Epilogue.none()), y, LAYER.reductionLength(), conv.plan());
        return builds;
    }

    @Test
    void aTunedLayerPreparedWithItsInputBuildsOneProgramAtPrepareAndNoneAtTheFirstForward(@TempDir Path dir)
            throws IOException {
        float[] w = new float[LAYER.weightCount()];
        for (int i = 0; i < w.length; i++) w[i] = (i % 7 - 3) / 8f;
        try (OpenClBackend backend = backendWithTunedEntry(dir)) {
            int before = backend.buildCount();
            try (PreparedConv conv = backend.prepare(LAYER, w, Epilogue.none(), INPUT)) {
                assertEquals(1, backend.buildCount() - before, "programs built at prepare");
                assertEquals(0, firstForwardBuilds(backend, conv, w), "programs built by the first forward");
                assertTrue(conv.plan().startsWith("tuned"), "plan() is the plan that runs: " + conv.plan());
                assertEquals(((OpenClConv) conv).launchPlan(INPUT).reason(), conv.plan());
            }
        }
        // Without the shape (as before the overload existed): the defaults at prepare, the tuned program in the first call.
        try (OpenClBackend backend = backendWithTunedEntry(dir)) {
            int before = backend.buildCount();
            try (PreparedConv conv = backend.prepare(LAYER, w, Epilogue.none())) {
                assertEquals(1, backend.buildCount() - before, "programs built at prepare");
                assertTrue(conv.plan().startsWith("default"), conv.plan());
                assertEquals(1, firstForwardBuilds(backend, conv, w), "programs built by the first forward");
            }
        }
    }

    @Test
    void winogradAllocatesItsScratchAtPrepareForTheExpectedInput() {
        OpenClBackend backend = shared();
        ConvSpec spec = ConvSpec.full(5, 11, 3).padding(1).build(); // WinogradTest's layer: its programs are shared
        Shape input = new Shape(1, 5, 7, 9);
        SplittableRandom r = new SplittableRandom(9);
        float[] w = new float[spec.weightCount()];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextDouble(-1, 1);
        float[] xs = new float[input.count()];
        for (int i = 0; i < xs.length; i++) xs[i] = (float) r.nextDouble(-1, 1);
        Tensor x = Tensor.of(xs, input);
        int buffers = backend.liveBufferCount();
        try (PreparedConv conv = backend.prepare(spec, w, Epilogue.none(), Algorithm.WINOGRAD, input);
             DeviceTensor in = backend.upload(x); DeviceTensor out = backend.allocate(spec.outputShape(input))) {
            assertEquals(Algorithm.WINOGRAD, ((OpenClConv) conv).preparedPlan().algorithm(), conv.toString());
            assertEquals(buffers + 2 + 3 + 2, backend.liveBufferCount(),
                    "weights and transformed weights, scratch V, M and flags, the input and output tensors");
            int builds = backend.buildCount();
            conv.forward(in, out);
            assertEquals(buffers + 2 + 3 + 2, backend.liveBufferCount(), "the first forward allocates no scratch");
            assertEquals(builds, backend.buildCount(), "the first forward builds no program");
            TensorAssert.assertClose(Reference.conv2d(x, spec, w, Epilogue.none()), backend.download(out),
                    WinogradTest.atol(spec.reductionLength()), TensorAssert.RTOL, conv.plan());
        }
        assertEquals(buffers, backend.liveBufferCount());
    }
}
