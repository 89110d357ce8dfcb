package org.convcl.cli.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.convcl.Backend;
import org.convcl.Backends;
import org.convcl.BlockMode;
import org.convcl.ConvGradients;
import org.convcl.DeviceInfo;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedBlock;
import org.convcl.PreparedConv;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.Tensor;

/**
 * Runs suites on devices. For each case and device: prepare once, warm up, then time {@code runs} kernel-only
 * calls ({@link PreparedConv#forwardTimed} on preallocated device tensors: the device's time, and the host's wall
 * time of each call) and {@code runs} end-to-end calls (upload + forward + download, wall time), each after its
 * own warm-up. The {@value Report#STACK_SUITE} suite, when all its selected layers ran on a device, is also timed
 * as a network ({@link #measureStack}: every layer enqueued back to back, one wait), and each seed pair whose
 * separable members form a depthwise-separable block has its fused and unfused path timed in alternation
 * ({@link #timeBlockPaths}).
 *
 * <p>A warm-up is at least {@code warmup} calls and, when {@code warmup > 0}, goes on until it has lasted
 * {@link #MIN_WARMUP_NANOS} and the calls have stopped getting faster ({@link #warmUp}), so the JIT of the Java
 * backend and the drivers' first-launch work are over before timing starts.
 */
public final class BenchRunner {
    /** The least time a warm-up lasts (when one is asked for): 0.1 s. */
    public static final long MIN_WARMUP_NANOS = 100_000_000L;
    /** A warm-up stops after this long even if its calls are still getting faster: 2 s. */
    static final long MAX_WARMUP_NANOS = 2_000_000_000L;
    /** Calls per group when a warm-up checks whether its calls still get faster. */
    static final int WARMUP_GROUP = 5;

    /**
     * How to run.
     *
     * @param batch  images per input unless a case fixes its own
     * @param runs   timed runs per measurement, at least 1
     * @param warmup untimed runs before each measurement, at least 0
     * @param quick  run only the cases marked {@code quick}
     * @param passes the passes timed per case, at least one; the back-to-back stack, the blocks and CLBlast are
     *               forward-only and run only when {@link Pass#FORWARD} is among them
     */
    public record Options(int batch, int runs, int warmup, boolean quick, List<Pass> passes) {
        public Options {
            if (batch <= 0) throw new IllegalArgumentException("batch must be positive, got " + batch);
            if (runs <= 0) throw new IllegalArgumentException("runs must be positive, got " + runs);
            if (warmup < 0) throw new IllegalArgumentException("warmup must be non-negative, got " + warmup);
            passes = List.copyOf(passes);
            if (passes.isEmpty()) throw new IllegalArgumentException("passes must name at least one pass");
        }

        /** Forward only. */
        public Options(int batch, int runs, int warmup, boolean quick) {
            this(batch, runs, warmup, quick, List.of(Pass.FORWARD));
        }

        /** Whether the forward pass is timed, and with it the forward-only measurements. */
        public boolean forward() {
            return passes.contains(Pass.FORWARD);
        }
    }

    /** Told before each case starts and once at the end ({@code done == total}). */
    public interface Progress {
        void step(int done, int total, String label);
    }

    /** A case that could not run on a device, with the reason. */
    public record Failure(String suite, String caseName, String series, String message) {}

    /** A case a yardstick backend cannot compute (for example CLBlast and a depthwise layer): reported as n/a. */
    public record NotApplicable(String suite, String caseName, String series, String reason) {}

    /** Everything one run produced: per-layer rows, back-to-back stacks, block paths, failures and n/a cases. */
    public record Outcome(List<BenchResult> results, List<StackResult> stacks, List<BlockResult> blocks,
                          List<Failure> failures, List<NotApplicable> notApplicable) {}

    private BenchRunner() {}

    /** Number of (case, device) pairs a run will measure (each in every selected pass). */
    public static int count(List<DeviceInfo> devices, List<Suite> suites, boolean quick) {
        return devices.size() * suites.stream().mapToInt(s -> s.cases(quick).size()).sum();
    }

    /** The seed pairs of a suite, in this mode, whose separable members form a block: those timed fused and unfused. */
    static List<SeedPair> blockPairs(Suite suite, boolean quick) {
        return suite.pairs(quick).stream().filter(p -> p.block().isPresent()).toList();
    }

    /** Runs every selected case of every suite on every device, in that nesting order (device outermost). */
    public static Outcome run(List<DeviceInfo> devices, List<Suite> suites, Options options, Progress progress) {
        return run(devices, List.of(), suites, options, progress);
    }

    /**
     * Runs every selected case of every suite with convcl on each of {@code devices}, then with CLBlast on each of
     * {@code clblastDevices} (OpenCL devices; {@link ClBlast#unavailableReason()} must be null when it is not empty).
     * CLBlast's output is checked against convcl's on the same device before it is timed.
     */
    public static Outcome run(List<DeviceInfo> devices, List<DeviceInfo> clblastDevices, List<Suite> suites,
                              Options options, Progress progress) {
        List<BenchResult> results = new ArrayList<>();
        List<StackResult> stacks = new ArrayList<>();
        List<BlockResult> blocks = new ArrayList<>();
        List<Failure> failures = new ArrayList<>();
        List<NotApplicable> notApplicable = new ArrayList<>();
        if (!options.forward()) clblastDevices = List.of(); // CLBlast is a forward yardstick
        int total = count(devices, suites, options.quick()) + count(clblastDevices, suites, options.quick());
        int done = 0;
        for (DeviceInfo device : devices) {
            String series = backendName(device) + ":" + device.name();
            Backend opened;
            try {
                opened = Backends.open(device);
            } catch (RuntimeException e) {
                // The device could not be opened: each of its cases fails with the reason.
                for (Suite suite : suites) {
                    for (BenchCase c : suite.cases(options.quick())) {
                        failures.add(new Failure(suite.name(), c.name(), series, String.valueOf(e)));
                        done++;
                    }
                }
                continue;
            }
            try (Backend backend = opened) {
                for (Suite suite : suites) {
                    int failedBefore = failures.size();
                    for (BenchCase c : suite.cases(options.quick())) {
                        progress.step(done, total, suite.name() + "/" + c.name() + " on " + series);
                        for (Pass pass : options.passes()) {
                            try {
                                results.add(measure(backend, c, options, pass));
                            } catch (RuntimeException e) {
                                String what = pass == Pass.FORWARD ? c.name() : c.name() + " (" + pass.label() + ")";
                                failures.add(new Failure(suite.name(), what, series, String.valueOf(e)));
                            }
                        }
                        done++;
                    }
                    if (!options.forward()) continue; // blocks and the stack are forward measurements
                    // The fused and the unfused path of each seed pair's block, timed in alternation.
                    for (SeedPair pair : blockPairs(suite, options.quick())) {
                        progress.step(done, total, suite.name() + "/" + pair.name() + " fused vs unfused on " + series);
                        try {
                            blocks.addAll(measureBlock(backend, suite, pair, options));
                        } catch (RuntimeException e) {
                            failures.add(new Failure(suite.name(), pair.name() + " (block)", series, String.valueOf(e)));
                        }
                    }
                    // The whole network back to back, only when every one of its layers ran on its own.
                    if (suite.name().equals(Report.STACK_SUITE) && failures.size() == failedBefore
                            && !suite.cases(options.quick()).isEmpty()) {
                        progress.step(done, total, suite.name() + " back to back on " + series);
                        try {
                            stacks.add(measureStack(backend, suite, options));
                        } catch (RuntimeException e) {
                            failures.add(new Failure(suite.name(), StackResult.CASE, series, String.valueOf(e)));
                        }
                    }
                }
            }
        }
        for (DeviceInfo device : clblastDevices) {
            done = runClBlast(device, suites, options, progress, done, total, results, failures, notApplicable);
        }
        progress.step(total, total, "done");
        return new Outcome(results, stacks, blocks, failures, notApplicable);
    }

    /** CLBlast's cases on one device, verified against convcl on the same device; returns the new done count. */
    private static int runClBlast(DeviceInfo device, List<Suite> suites, Options options, Progress progress, int done,
                                  int total, List<BenchResult> results, List<Failure> failures,
                                  List<NotApplicable> notApplicable) {
        String series = ClBlast.BACKEND + ":" + device.name();
        List<BenchCase> cases = suites.stream().flatMap(s -> s.cases(options.quick()).stream()).toList();
        Backend opened;
        try {
            opened = Backends.open(device);
        } catch (RuntimeException e) {
            cases.forEach(c -> failures.add(new Failure(c.suite(), c.name(), series, String.valueOf(e))));
            return done + cases.size();
        }
        // CLBlast runs on convcl's backend of the device (its queue and buffers); the session closes first.
        try (Backend backend = opened; ClBlast.Session blast = ClBlast.open(backend)) {
            for (BenchCase c : cases) {
                progress.step(done, total, c.suite() + "/" + c.name() + " on " + series);
                var why = ClBlast.unsupported(c.spec());
                if (why.isPresent()) {
                    notApplicable.add(new NotApplicable(c.suite(), c.name(), series, why.get()));
                } else {
                    try {
                        results.add(blast.measure(c, options));
                    } catch (RuntimeException e) {
                        failures.add(new Failure(c.suite(), c.name(), series, String.valueOf(e)));
                    }
                }
                done++;
            }
        }
        return done;
    }

    /** {@code opencl} or {@code cpu}: the backend column of the report. */
    public static String backendName(DeviceInfo device) {
        return device.backend().name().toLowerCase(Locale.ROOT);
    }

    /** Measures one case's forward pass on an open backend. */
    public static BenchResult measure(Backend backend, BenchCase c, Options options) {
        return measure(backend, c, options, Pass.FORWARD);
    }

    /** Measures one pass of one case on an open backend. */
    public static BenchResult measure(Backend backend, BenchCase c, Options options, Pass pass) {
        return pass == Pass.FORWARD ? measureForward(backend, c, options) : measureBackward(backend, c, options, pass);
    }

    private static BenchResult measureForward(Backend backend, BenchCase c, Options options) {
        Shape inShape = c.input(options.batch());
        LayerData data = LayerData.of(c, inShape);
        Tensor input = data.input();
        try (PreparedConv conv = backend.prepare(c.spec(), data.weights(), Epilogue.none(), inShape);
             DeviceTensor in = backend.upload(input);
             DeviceTensor out = backend.allocate(conv.outputShape(inShape))) {
            warmUp(options.warmup(), () -> conv.forwardTimed(in, out));
            long[] kernelNs = new long[options.runs()], callNs = new long[options.runs()];
            for (int i = 0; i < kernelNs.length; i++) {
                long start = System.nanoTime();
                kernelNs[i] = conv.forwardTimed(in, out);
                callNs[i] = System.nanoTime() - start;
            }

            warmUp(options.warmup(), () -> endToEnd(backend, conv, input, out));
            long[] e2eNs = new long[options.runs()];
            for (int i = 0; i < e2eNs.length; i++) e2eNs[i] = endToEnd(backend, conv, input, out);

            DeviceInfo d = backend.device();
            return new BenchResult(c.suite(), c.name(), c.kindName(), backendName(d), d.name(), c.spec(), inShape,
                    options.runs(), options.warmup(), Stats.ofNanos(e2eNs), Stats.ofNanos(kernelNs), Stats.ofNanos(callNs),
                    conv.plan());
        }
    }

    /**
     * A backward pass of one case, timed like the forward: after the warm-up, {@code runs} calls of the pass on
     * preallocated device tensors, each followed by {@link Backend#finish()} (wall time, kernel and call alike: the
     * backward passes have no profiled variant), then {@code runs} end-to-end calls that upload what the pass reads
     * (∂L/∂y, and x for the filter pass), run it and download the gradient. ∂L/∂y is random, seeded by the case.
     */
    private static BenchResult measureBackward(Backend backend, BenchCase c, Options options, Pass pass) {
        Shape inShape = c.input(options.batch());
        LayerData data = LayerData.of(c, inShape);
        Shape outShape = c.spec().outputShape(inShape);
        Tensor gradOut = Tensor.of(randomValues(new SplittableRandom(~c.name().hashCode()), outShape.count()), outShape);
        boolean filter = pass == Pass.BACKWARD_FILTER;
        Shape gradShape = filter ? ConvGradients.weightShape(c.spec()) : inShape;
        try (PreparedConv conv = backend.prepare(c.spec(), data.weights(), Epilogue.none(), inShape);
             DeviceTensor x = backend.upload(data.input());
             DeviceTensor dy = backend.upload(gradOut);
             DeviceTensor grad = backend.allocate(gradShape)) {
            Runnable onDevice = () -> {
                if (filter) conv.backwardFilter(x, dy, grad, null, false);
                else conv.backwardData(dy, grad, false);
                backend.finish();
            };
            warmUp(options.warmup(), onDevice);
            long[] callNs = new long[options.runs()];
            for (int i = 0; i < callNs.length; i++) {
                long start = System.nanoTime();
                onDevice.run();
                callNs[i] = System.nanoTime() - start;
            }
            Runnable endToEnd = () -> {
                try (DeviceTensor dyIn = backend.upload(gradOut);
                     DeviceTensor xIn = filter ? backend.upload(data.input()) : null) {
                    if (filter) conv.backwardFilter(xIn, dyIn, grad, null, false);
                    else conv.backwardData(dyIn, grad, false);
                    backend.download(grad);
                }
            };
            warmUp(options.warmup(), endToEnd);
            long[] e2eNs = new long[options.runs()];
            for (int i = 0; i < e2eNs.length; i++) {
                long start = System.nanoTime();
                endToEnd.run();
                e2eNs[i] = System.nanoTime() - start;
            }
            DeviceInfo d = backend.device();
            Stats calls = Stats.ofNanos(callNs);
            return new BenchResult(c.suite(), c.name(), c.kindName(), backendName(d), d.name(), c.spec(), inShape,
                    options.runs(), options.warmup(), Stats.ofNanos(e2eNs), calls, calls,
                    filter ? "PreparedConv.backwardFilter" : "PreparedConv.backwardData", pass);
        }
    }

    /** The unfused and the fused path of a pair's block on an open backend ({@link #timeBlockPaths}). */
    static List<BlockResult> measureBlock(Backend backend, Suite suite, SeedPair pair, Options options) {
        SeparableBlock block = pair.block().orElseThrow(() -> new IllegalArgumentException(
                "seed pair " + pair.name() + " has no depthwise-separable block"));
        Shape input = pair.input(options.batch());
        BlockTimes t = timeBlockPaths(backend, block, input, options.warmup(), options.runs());
        DeviceInfo d = backend.device();
        return List.of(
                new BlockResult(suite.name(), pair.name(), backendName(d), d.name(), BlockMode.UNFUSED, block, input,
                        options.runs(), options.warmup(), t.unfused(), t.unfusedPlan()),
                new BlockResult(suite.name(), pair.name(), backendName(d), d.name(), BlockMode.FUSED, block, input,
                        options.runs(), options.warmup(), t.fused(), t.fusedPlan()));
    }

    /** The two paths' times (wall time of one forward and its wait) and plans. */
    public record BlockTimes(Stats unfused, Stats fused, String unfusedPlan, String fusedPlan) {}

    /**
     * Times the unfused and the fused path of {@code block} on the same input and weights (random, fixed seed): both
     * prepared side by side and warmed up ({@link #warmUp}), then {@code runs} runs of each in alternation, which path
     * goes first changing every run, so a change in the machine's load falls on both paths alike instead of on one
     * path's consecutive runs. A run is one forward and {@link Backend#finish()}, data already on the device.
     */
    public static BlockTimes timeBlockPaths(Backend backend, SeparableBlock block, Shape input, int warmup, int runs) {
        if (runs < 1) throw new IllegalArgumentException("runs must be at least 1, got " + runs);
        SplittableRandom r = new SplittableRandom(7);
        float[] dw = randomValues(r, block.depthwise().weightCount());
        float[] pw = randomValues(r, block.pointwise().weightCount());
        try (PreparedBlock unfused = backend.prepareBlock(block, dw, pw, BlockMode.UNFUSED, input);
             PreparedBlock fused = backend.prepareBlock(block, dw, pw, BlockMode.FUSED, input);
             DeviceTensor in = backend.upload(Tensor.of(randomValues(r, input.count()), input));
             DeviceTensor out = backend.allocate(block.outputShape(input))) {
            PreparedBlock[] paths = {unfused, fused};
            for (PreparedBlock p : paths) warmUp(warmup, () -> forwardAndWait(backend, p, in, out));
            long[][] ns = new long[2][runs];
            for (int i = 0; i < runs; i++) {
                for (int k = 0; k < 2; k++) {
                    int path = (i + k) % 2; // unfused first on even runs, fused first on odd ones
                    ns[path][i] = forwardAndWait(backend, paths[path], in, out);
                }
            }
            return new BlockTimes(Stats.ofNanos(ns[0]), Stats.ofNanos(ns[1]), unfused.plan(), fused.plan());
        }
    }

    private static long forwardAndWait(Backend backend, PreparedBlock block, DeviceTensor in, DeviceTensor out) {
        long start = System.nanoTime();
        block.forward(in, out);
        backend.finish();
        return System.nanoTime() - start;
    }

    /**
     * Times {@code suite}'s selected layers as a network: each prepared for its input shape with its own preallocated
     * input (the same random data as {@link #measure}) and output on the device, then, after the usual warm-up,
     * {@code runs} passes of {forward every layer in order without waiting; {@link Backend#finish()}} by wall clock.
     * The layers do not feed each other (each reads its own input), which changes no layer's work.
     */
    public static StackResult measureStack(Backend backend, Suite suite, Options options) {
        List<BenchCase> cases = suite.cases(options.quick());
        if (cases.isEmpty()) throw new IllegalArgumentException("suite " + suite.name() + " has no selected cases");
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            int n = cases.size();
            PreparedConv[] convs = new PreparedConv[n];
            DeviceTensor[] ins = new DeviceTensor[n], outs = new DeviceTensor[n];
            for (int i = 0; i < n; i++) {
                BenchCase c = cases.get(i);
                Shape inShape = c.input(options.batch());
                LayerData data = LayerData.of(c, inShape);
                ins[i] = backend.upload(data.input());
                opened.add(ins[i]);
                convs[i] = backend.prepare(c.spec(), data.weights(), Epilogue.none(), inShape);
                opened.add(convs[i]);
                outs[i] = backend.allocate(convs[i].outputShape(inShape));
                opened.add(outs[i]);
            }
            Runnable pass = () -> {
                for (int i = 0; i < n; i++) convs[i].forward(ins[i], outs[i]);
                backend.finish();
            };
            warmUp(options.warmup(), pass);
            long[] passNs = new long[options.runs()];
            for (int i = 0; i < passNs.length; i++) {
                long start = System.nanoTime();
                pass.run();
                passNs[i] = System.nanoTime() - start;
            }
            DeviceInfo d = backend.device();
            return new StackResult(suite.name(), backendName(d), d.name(), options.batch(), n, options.runs(),
                    options.warmup(), Stats.ofNanos(passNs));
        } finally {
            closeAll(opened);
        }
    }

    /** A case's random input and weights, seeded by its name: the same numbers in every measurement of it. */
    private record LayerData(Tensor input, float[] weights) {
        static LayerData of(BenchCase c, Shape inShape) {
            SplittableRandom random = new SplittableRandom(c.name().hashCode());
            Tensor input = Tensor.of(randomValues(random, inShape.count()), inShape);
            return new LayerData(input, randomValues(random, c.spec().weightCount()));
        }
    }

    /** Closes in reverse order; the first failure is thrown after every resource had its turn. */
    private static void closeAll(List<AutoCloseable> resources) {
        RuntimeException failure = null;
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                if (failure == null) failure = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                else failure.addSuppressed(e);
            }
        }
        if (failure != null) throw failure;
    }

    /**
     * At least {@code count} calls; when {@code count > 0}, then groups of {@link #WARMUP_GROUP} calls until the warm-up
     * has lasted {@link #MIN_WARMUP_NANOS} and a group's median call is at most 10 % faster than the group's before (at
     * most {@link #MAX_WARMUP_NANOS}). A time budget alone ended the Java backend's warm-up while its first calls still
     * ran interpreted: MobileNet-V1's per-layer medians at batch 1 summed to 20.9 ms with it, 7.8 ms after 300 calls.
     */
    public static void warmUp(int count, Runnable call) {
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) call.run();
        if (count == 0) return;
        long[] group = new long[WARMUP_GROUP];
        for (long previous = Long.MAX_VALUE; ; ) {
            for (int i = 0; i < group.length; i++) {
                long t = System.nanoTime();
                call.run();
                group[i] = System.nanoTime() - t;
            }
            Arrays.sort(group);
            long median = group[group.length / 2], elapsed = System.nanoTime() - start;
            boolean settled = median >= previous - previous / 10;
            if ((settled && elapsed >= MIN_WARMUP_NANOS) || elapsed >= MAX_WARMUP_NANOS) return;
            previous = median;
        }
    }

    /** Upload, convolve, download: the wall time a caller with host arrays sees. */
    private static long endToEnd(Backend backend, PreparedConv conv, Tensor input, DeviceTensor out) {
        long start = System.nanoTime();
        try (DeviceTensor in = backend.upload(input)) {
            conv.forward(in, out);
            backend.download(out);
        }
        return System.nanoTime() - start;
    }

    static float[] randomValues(SplittableRandom random, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float) (random.nextDouble() * 2 - 1);
        return v;
    }
}
