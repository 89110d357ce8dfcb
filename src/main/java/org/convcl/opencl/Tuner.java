package org.convcl.opencl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SortedMap;
import java.util.function.Consumer;
import org.convcl.Backend;
import org.convcl.Closer;
import org.convcl.ConvSpec;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.ConvGradients;
import org.convcl.plan.Algorithm;
import org.convcl.plan.BackwardAlgorithm;
import org.convcl.plan.BackwardDescriptor;
import org.convcl.plan.BackwardPass;
import org.convcl.plan.BackwardPlanner;
import org.convcl.plan.DeviceFacts;
import org.convcl.plan.Planner;
import org.convcl.plan.ShapeClass;
import org.convcl.plan.TransposedConv;
import org.convcl.plan.TunedKernel;
import org.convcl.plan.TuningTable;
import org.convcl.plan.Tunables;

/**
 * Times the {@link Tunables#candidates} of each layer's kernel against the planner's defaults on one OpenCL
 * device and picks a winner per {@link ShapeClass}: the forward kernels, and on request ({@link Pass}) the backward
 * ones ({@link BackwardAlgorithm}) that run a layer's strided input gradient or its weight gradient, by the same rules.
 *
 * <p>Per shape class: every distinct layer of the class gets seeded random data; the default plan (an empty
 * tuning table) runs first and its output is the reference. Each candidate is prepared through the normal
 * planner with a one-entry table, so exactly the code that serves a tuned layer is measured. On its first run
 * a candidate's output must match the default's within a tolerance scaled by the reduction length (it may sum
 * in another order); a candidate that differs, or fails to build or launch, is dropped and reported. Then
 * {@code warmup} untimed runs, and {@code runs} rounds in which every surviving parameter set runs once per
 * layer (interleaved, so a load spike on a shared machine hits all of them alike); the time of a set on a
 * layer is the median of its profiled kernel times (forward), or of the wall time from enqueuing a backward pass to
 * its end ({@code finish}; a backward pass is several launches). A candidate wins the class when its summed time over
 * the class's layers is the smallest and at least {@code margin} below the defaults' sum.
 */
public final class Tuner {
    private final OpenClBackend backend;
    private final Options options;

    /**
     * Tuning options.
     *
     * @param warmup        untimed runs per parameter set and layer before timing (≥ 0)
     * @param runs          timed rounds (≥ 1); each set's time is the median
     * @param margin        the fraction a winner must beat the defaults by, e.g. 0.05 (0 ≤ margin &lt; 1)
     * @param maxCandidates at most this many candidates per class, in {@link Tunables#candidates} order (≥ 1)
     */
    public record Options(int warmup, int runs, double margin, int maxCandidates) {
        public Options {
            if (warmup < 0) throw new IllegalArgumentException("warmup must be at least 0, got " + warmup);
            if (runs < 1) throw new IllegalArgumentException("runs must be at least 1, got " + runs);
            if (!(margin >= 0 && margin < 1)) throw new IllegalArgumentException("margin must be in [0, 1), got " + margin);
            if (maxCandidates < 1) throw new IllegalArgumentException("maxCandidates must be at least 1, got " + maxCandidates);
        }
    }

    /** What is tuned of each layer: its forward, its strided input gradient, its weight gradient. */
    public enum Pass {
        /** The forward convolution (and a stride-1 layer's input gradient, which is one: {@link TransposedConv}). */
        FORWARD,
        /** The input gradient of strided layers ({@link BackwardPass#DATA}). */
        BACKWARD_DATA,
        /** The weight gradient ({@link BackwardPass#FILTER}). */
        BACKWARD_FILTER;

        /** The backward pass this tunes: {@link BackwardPass#DATA} or {@link BackwardPass#FILTER} (not for {@link #FORWARD}). */
        BackwardPass backward() {
            return this == BACKWARD_DATA ? BackwardPass.DATA : BackwardPass.FILTER;
        }

        /** The pass {@code kernel} runs. */
        static Pass of(TunedKernel kernel) {
            if (kernel instanceof Algorithm) return FORWARD;
            return ((BackwardAlgorithm) kernel).descriptor().pass() == BackwardPass.DATA ? BACKWARD_DATA : BACKWARD_FILTER;
        }
    }

    /** A layer to tune: a name for the report, the convolution and its input shape. */
    public record Layer(String name, ConvSpec spec, Shape input) {
        public Layer {
            if (name == null || spec == null || input == null) throw new IllegalArgumentException("layer name, spec and input must not be null");
            spec.outputShape(input); // validates
        }
    }

    /**
     * The outcome for one shape class.
     *
     * @param shapeClass the class
     * @param layers     its distinct layers, in first-mention order
     * @param defaults   the default parameters and their median ms per layer
     * @param best       the fastest candidate (by summed time) and its ms per layer; null when every candidate was dropped
     * @param winner     whether {@code best} beat the defaults by the margin (and so belongs in the tuning table)
     * @param dropped    candidates left out, each with the reason
     */
    public record ClassResult(ShapeClass shapeClass, List<Layer> layers, Timed defaults, Timed best, boolean winner,
                              List<String> dropped) {
        /** The summed-time ratio default / best (1 when there is no best). */
        public double speedup() {
            return best == null ? 1 : defaults.total() / best.total();
        }
    }

    /** A parameter set and its median kernel ms per layer of a class. */
    public record Timed(SortedMap<String, Integer> params, double[] ms) {
        public double total() { return Arrays.stream(ms).sum(); }
    }

    /** A tuner on {@code backend}, which must be an OpenCL backend. */
    public Tuner(Backend backend, Options options) {
        if (!(backend instanceof OpenClBackend cl)) {
            throw new IllegalArgumentException("the tuner needs an OpenCL backend, got " + (backend == null ? "null" : backend.device().describe()));
        }
        if (options == null) throw new IllegalArgumentException("options must not be null");
        this.backend = cl;
        this.options = options;
    }

    /** The device key entries are stored under. */
    public String deviceKey() { return backend.facts().deviceKey(); }

    /** The facts of the device tuned: its keys, and the kernel family whose kernels are tuned. */
    public DeviceFacts facts() { return backend.facts(); }

    /** {@link #tune(List, List, Consumer)} of the forward kernels only. */
    public List<ClassResult> tune(List<Layer> layers, Consumer<String> progress) {
        return tune(layers, List.of(Pass.FORWARD), progress);
    }

    /**
     * Groups {@code layers} by the shape class of the kernel that runs each of {@code passes} (kernels without
     * parameters, such as the direct one, are skipped, and so is the backward data pass of stride-1 layers, a forward
     * convolution that {@link Pass#FORWARD} tunes; duplicates run once) and tunes each class; {@code progress} gets one
     * line per class.
     */
    public List<ClassResult> tune(List<Layer> layers, List<Pass> passes, Consumer<String> progress) {
        if (passes == null || passes.isEmpty()) throw new IllegalArgumentException("passes must name at least one pass, got " + passes);
        Map<ShapeClass, List<Layer>> classes = new LinkedHashMap<>();
        for (Pass pass : passes) for (Layer layer : layers) {
            TunedKernel algorithm = kernel(pass, layer, progress);
            if (algorithm == null) continue;
            if (!ShapeClass.tunable(algorithm)) {
                progress.accept(layer.name() + ": " + algorithm + " is not tuned");
                continue;
            }
            List<Layer> members = classes.computeIfAbsent(ShapeClass.of(algorithm, layer.spec(), layer.input()), k -> new ArrayList<>());
            if (members.stream().noneMatch(m -> m.spec().equals(layer.spec()) && m.input().equals(layer.input()))) members.add(layer);
        }
        List<ClassResult> results = new ArrayList<>();
        for (Map.Entry<ShapeClass, List<Layer>> c : classes.entrySet()) {
            ClassResult r = tuneClass(c.getKey(), c.getValue());
            progress.accept(String.format(Locale.ROOT, "%s: default %.3f ms, best %.3f ms%s", c.getKey(), r.defaults().total(),
                    r.best() == null ? Double.NaN : r.best().total(), r.winner() ? " (stored)" : ""));
            r.dropped().stream().filter(d -> !d.contains("launches exactly like")).forEach(d -> progress.accept("  dropped " + d));
            results.add(r);
        }
        return results;
    }

    /** The kernel that runs {@code pass} of {@code layer}, or null (said in {@code progress}) when the pass has none to tune. */
    private TunedKernel kernel(Pass pass, Layer layer, Consumer<String> progress) {
        if (pass == Pass.FORWARD) return Planner.algorithm(layer.spec(), backend.facts());
        if (pass == Pass.BACKWARD_DATA && TransposedConv.spec(layer.spec()) != null) {
            progress.accept(layer.name() + ": its backward data pass is a forward convolution (stride 1), tuned with the forward pass");
            return null;
        }
        BackwardDescriptor d = BackwardPlanner.choose(pass.backward(),
                layer.spec(), layer.input(), backend.facts());
        Optional<BackwardAlgorithm> named = BackwardAlgorithm.of(d);
        if (named.isEmpty()) progress.accept(layer.name() + ": " + d.getClass().getSimpleName() + " is not tuned");
        return named.orElse(null);
    }

    private ClassResult tuneClass(ShapeClass shapeClass, List<Layer> layers) {
        Pass pass = Pass.of(shapeClass.algorithm());
        List<SortedMap<String, Integer>> candidates = new ArrayList<>();
        for (Layer layer : layers) {
            for (SortedMap<String, Integer> c : Tunables.candidates(shapeClass.algorithm(), layer.spec())) {
                if (!candidates.contains(c)) candidates.add(c);
            }
        }
        // a candidate must fit every layer of the class (the depthwise kernel's VEC 16 needs stride 1: the class fixes the stride)
        candidates.removeIf(c -> layers.stream().anyMatch(l -> shapeClass.algorithm().misfit(l.spec(), c) != null));
        if (candidates.size() > options.maxCandidates()) candidates = new ArrayList<>(candidates.subList(0, options.maxCandidates()));

        List<String> dropped = new ArrayList<>();
        List<Workload> work = new ArrayList<>();
        List<List<PreparedConv>> convs = new ArrayList<>(); // closed at the end, also when a step throws
        Closer cleanup = new Closer();
        try {
            for (Layer layer : layers) work.add(new Workload(layer, pass));
            SortedMap<String, Integer> defaults = Tunables.defaults(shapeClass.algorithm(), layers.get(0).spec());
            List<SortedMap<String, Integer>> sets = new ArrayList<>();
            List<List<String>> launchKeys = new ArrayList<>();
            sets.add(defaults);
            convs.add(prepareAll(work, TuningTable.EMPTY));
            launchKeys.add(launchKeys(convs.get(0), work, pass, TuningTable.EMPTY));
            for (Workload w : work) w.reference = w.run(convs.get(0).get(work.indexOf(w)));
            for (SortedMap<String, Integer> candidate : candidates) {
                TuningTable one = TuningTable.of(List.of(new TuningTable.Entry(deviceKey(), shapeClass, candidate, "candidate")));
                List<PreparedConv> prepared = null;
                try {
                    prepared = prepareAll(work, one);
                    List<String> keys = launchKeys(prepared, work, pass, one);
                    int same = launchKeys.indexOf(keys);
                    if (same >= 0) {
                        dropped.add(Tunables.describe(candidate) + ": launches exactly like " + Tunables.describe(sets.get(same)));
                        closeAll(prepared);
                        continue;
                    }
                    String mismatch = null;
                    for (int i = 0; i < work.size() && mismatch == null; i++) mismatch = work.get(i).check(work.get(i).run(prepared.get(i)));
                    if (mismatch != null) {
                        dropped.add(Tunables.describe(candidate) + ": output differs from the default plan's: " + mismatch);
                        closeAll(prepared);
                        continue;
                    }
                    sets.add(candidate);
                    convs.add(prepared);
                    launchKeys.add(keys);
                } catch (RuntimeException e) {
                    dropped.add(Tunables.describe(candidate) + ": failed: " + e.getMessage());
                    if (prepared != null) closeAll(prepared);
                }
            }
            double[][] ms = time(convs, work);
            Timed defaultTimed = new Timed(defaults, ms[0]);
            int best = -1;
            for (int s = 1; s < sets.size(); s++) if (best < 0 || sum(ms[s]) < sum(ms[best])) best = s;
            Timed bestTimed = best < 0 ? null : new Timed(sets.get(best), ms[best]);
            boolean winner = bestTimed != null && beats(bestTimed.total(), defaultTimed.total(), options.margin());
            return new ClassResult(shapeClass, List.copyOf(layers), defaultTimed, bestTimed, winner, dropped);
        } catch (RuntimeException | Error e) {
            cleanup.keep(e); // thrown by finish() below, with any release failure suppressed in it
            throw e;
        } finally {
            for (List<PreparedConv> set : convs) cleanup.closeAll(set);
            cleanup.closeAll(work).finish();
        }
    }

    /** Whether {@code candidateMs} is at least {@code margin} (a fraction) below {@code defaultMs}. */
    public static boolean beats(double candidateMs, double defaultMs, double margin) {
        return candidateMs <= defaultMs * (1 - margin) && candidateMs < defaultMs;
    }

    /**
     * {@code table} with this run's classes applied for {@code deviceKey}: a winner's entry is put (replacing an
     * older one); a class where no candidate won loses any older entry, since the defaults were just measured
     * to be as good. Entries of other classes and devices stay.
     */
    public static TuningTable apply(TuningTable table, String deviceKey, List<ClassResult> results, String noteSuffix) {
        TuningTable out = table;
        for (ClassResult r : results) {
            ShapeClass c = r.shapeClass();
            if (r.winner()) {
                String note = String.format(Locale.ROOT, "%s: default %.3f ms, tuned %.3f ms (%.2fx)%s",
                        String.join(",", r.layers().stream().map(Layer::name).toList()), r.defaults().total(), r.best().total(),
                        r.speedup(), noteSuffix == null || noteSuffix.isEmpty() ? "" : "; " + noteSuffix);
                out = out.with(new TuningTable.Entry(deviceKey, c, r.best().params(), note));
            } else {
                out = out.without(new TuningTable.Key(deviceKey, c.algorithm(), c.key()));
            }
        }
        return out;
    }

    private static double sum(double[] a) { return Arrays.stream(a).sum(); }

    private List<PreparedConv> prepareAll(List<Workload> work, TuningTable table) {
        List<PreparedConv> list = new ArrayList<>();
        try {
            for (Workload w : work) {
                // plans and builds for this input now: no program is built inside the timed calls
                list.add(backend.prepare(w.layer.spec(), w.weights, Epilogue.none(), table, w.layer.input()));
            }
            return list;
        } catch (RuntimeException e) {
            new Closer().keep(e).closeAll(list).finish(); // throws e, release failures suppressed in it
            throw e;
        }
    }

    /**
     * What a set of prepared convolutions would launch on each layer for {@code pass}: kernels, defines and local sizes
     * (a backward pass's from its plan with {@code table}).
     */
    private List<String> launchKeys(List<PreparedConv> convs, List<Workload> work, Pass pass, TuningTable table) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < convs.size(); i++) {
            Layer layer = work.get(i).layer;
            if (pass == Pass.FORWARD) {
                keys.add(((OpenClConv) convs.get(i)).launchKey(layer.input()));
                continue;
            }
            BackwardPlanner.BackwardPlan plan = BackwardPlanner.plan(pass.backward(),
                    layer.spec(), layer.input(), backend.facts(), table, null);
            StringBuilder key = new StringBuilder(plan.descriptor().defines(layer.spec(), plan.params(), org.convcl.Activation.NONE).toString());
            for (BackwardDescriptor.Launch l : plan.descriptor().launches(layer.spec(), layer.input(), plan.params(), false, backend.facts())) {
                key.append(" | ").append(l.entryPoint()).append(' ').append(l.defines()).append(' ')
                        .append(Arrays.toString(l.global())).append(Arrays.toString(l.local()));
            }
            keys.add(key.toString());
        }
        return keys;
    }

    /** Closes every one of {@code convs}, all of them even when one fails (the first failure thrown). */
    private static void closeAll(List<PreparedConv> convs) {
        new Closer().closeAll(convs).finish();
    }

    /** Median ms of each parameter set (row) on each layer (column), in interleaved rounds after warm-up. */
    private double[][] time(List<List<PreparedConv>> convs, List<Workload> work) {
        for (List<PreparedConv> set : convs) {
            for (int l = 0; l < work.size(); l++) {
                for (int r = 0; r < options.warmup(); r++) work.get(l).timed(set.get(l));
            }
        }
        long[][][] ns = new long[convs.size()][work.size()][options.runs()];
        for (int r = 0; r < options.runs(); r++) {
            for (int s = 0; s < convs.size(); s++) {
                for (int l = 0; l < work.size(); l++) ns[s][l][r] = work.get(l).timed(convs.get(s).get(l));
            }
        }
        double[][] ms = new double[convs.size()][work.size()];
        for (int s = 0; s < convs.size(); s++) {
            for (int l = 0; l < work.size(); l++) {
                long[] t = ns[s][l].clone();
                Arrays.sort(t);
                ms[s][l] = (t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2.0) / 1e6;
            }
        }
        return ms;
    }

    /**
     * One layer's data on the device for one pass: seeded input and weights, the output tensor, for a backward pass a
     * seeded output gradient and the gradient tensor, and the reference result.
     */
    private final class Workload implements AutoCloseable {
        final Layer layer;
        final Pass pass;
        final float[] weights;
        final DeviceTensor input;
        final DeviceTensor output;
        private DeviceTensor gradOutput; // backward passes only
        private DeviceTensor gradient;   // dx or dw
        float[] reference;

        Workload(Layer layer, Pass pass) {
            this.layer = layer;
            this.pass = pass;
            Random random = new Random(layer.spec().hashCode() * 31L + layer.input().hashCode());
            float scale = (float) (1 / Math.sqrt(layer.spec().reductionLength()));
            this.weights = new float[layer.spec().weightCount()];
            for (int i = 0; i < weights.length; i++) weights[i] = (random.nextFloat() * 2 - 1) * scale;
            float[] x = new float[layer.input().count()];
            for (int i = 0; i < x.length; i++) x[i] = random.nextFloat() * 2 - 1;
            Shape out = layer.spec().outputShape(layer.input());
            DeviceTensor in = backend.upload(Tensor.of(x, layer.input()));
            DeviceTensor y = null;
            try {
                y = backend.allocate(out);
                if (pass != Pass.FORWARD) {
                    float[] dz = new float[out.count()];
                    for (int i = 0; i < dz.length; i++) dz[i] = random.nextFloat() * 2 - 1;
                    gradOutput = backend.upload(Tensor.of(dz, out));
                    gradient = backend.allocate(pass == Pass.BACKWARD_DATA ? layer.input() : ConvGradients.weightShape(layer.spec()));
                }
            } catch (RuntimeException e) {
                new Closer().keep(e).close(in).close(y).close(gradOutput).finish();
                throw e;
            }
            this.input = in;
            this.output = y;
        }

        /** Enqueues this workload's pass with {@code conv}. */
        private void enqueue(PreparedConv conv) {
            switch (pass) {
                case FORWARD -> conv.forward(input, output);
                case BACKWARD_DATA -> conv.backwardData(gradOutput, gradient, false);
                case BACKWARD_FILTER -> conv.backwardFilter(input, gradOutput, gradient, null, false);
            }
        }

        float[] run(PreparedConv conv) {
            enqueue(conv);
            return backend.download(pass == Pass.FORWARD ? output : gradient).data();
        }

        /** Nanoseconds of one run: the profiled kernel time of a forward, the wall time to the end of a backward pass. */
        long timed(PreparedConv conv) {
            if (pass == Pass.FORWARD) return conv.forwardTimed(input, output);
            backend.finish();
            long start = System.nanoTime();
            enqueue(conv);
            backend.finish();
            return System.nanoTime() - start;
        }

        /** Null when {@code actual} matches the reference within the tolerance, else the first bad element. */
        String check(float[] actual) {
            Shape out = layer.spec().outputShape(layer.input());
            long reduction = switch (pass) {
                case FORWARD -> layer.spec().reductionLength();
                case BACKWARD_DATA -> (long) layer.spec().outChannelsPerGroup() * layer.spec().kernelH() * layer.spec().kernelW();
                case BACKWARD_FILTER -> (long) out.n() * out.h() * out.w();
            };
            double tol = 1e-6 * Math.max(16, reduction);
            for (int i = 0; i < actual.length; i++) {
                double e = reference[i], a = actual[i];
                if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) {
                    return String.format(Locale.ROOT, "%s element %d: %g, expected %g", layer.name(), i, a, e);
                }
            }
            return null;
        }

        @Override
        public void close() {
            new Closer().close(input).close(output).close(gradOutput).close(gradient).finish();
        }
    }
}
