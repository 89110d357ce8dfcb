package org.convcl.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.convcl.Backend;
import org.convcl.Backends;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.cli.bench.BenchRunner;
import org.convcl.net.Network;

/**
 * {@code convcl bench --model M.onnx}: whole-network time of convcl on each backend, side by side with ONNX Runtime
 * Java (CPU EP, 2 intra-op threads, ALL_OPT; found on the class path, never bundled: {@code scripts/bench_models.sh}
 * resolves it with Maven) and PyTorch eager and TorchScript-frozen (a {@code /usr/bin/python3} helper named by
 * {@code CONVCL_TORCH_BENCH}), alternating rounds; then each convcl backend's per-node breakdown and peak memory.
 */
final class ModelBench {
    /** Runs one contender once, synchronously (its output copied to the host). */
    private interface Contender extends AutoCloseable {
        String name();

        /** Times {@code runs} runs; nanoseconds each. */
        long[] time(int runs) throws Exception;

        @Override
        default void close() throws Exception {}
    }

    private ModelBench() {}

    static int run(Path model, int batch, int runs, int rounds, List<String> backends, PrintWriter out, PrintWriter err)
            throws Exception {
        byte[] bytes = Files.readAllBytes(model);
        String name = model.getFileName().toString().replaceFirst("\\.onnx$", "");
        List<Contender> contenders = new ArrayList<>();
        List<Network> networks = new ArrayList<>();
        List<Backend> opened = new ArrayList<>();
        try {
            boolean all = backends.contains("all");
            for (String kind : List.of("opencl", "cpu")) {
                if (!all && !backends.contains(kind)) continue;
                Backend b = Backends.open(Flags.backendSelection(Backends.Mode.valueOf(kind.toUpperCase()), null));
                opened.add(b);
                Network net = Network.load(bytes, name, b, Network.Options.DEFAULT);
                networks.add(net);
                Tensor x = input(net, batch);
                contenders.add(new Contender() {
                    public String name() { return "convcl " + kind; }
                    public long[] time(int n) {
                        long[] t = new long[n];
                        for (int i = 0; i < n; i++) {
                            long s = System.nanoTime();
                            net.run(x);
                            t[i] = System.nanoTime() - s;
                        }
                        return t;
                    }
                });
            }
            Contender ort = onnxRuntime(bytes, networks.isEmpty() ? null : networks.get(0), batch, err);
            if (ort != null) contenders.add(ort);
            contenders.addAll(torch(name, batch, err));

            Map<String, List<Long>> times = new LinkedHashMap<>();
            for (int r = 0; r < rounds; r++) {
                for (Contender c : contenders) {
                    // the first round warms up until the calls stop getting faster (the Java backend's kernels are
                    // compiled by then); later rounds for 50 ms, to bring the caches back after the other contenders
                    if (r == 0) BenchRunner.warmUp(3, () -> {
                        try {
                            c.time(1);
                        } catch (Exception e) {
                            throw new IllegalStateException(c.name() + " failed while warming up: " + e.getMessage(), e);
                        }
                    });
                    for (long warm = System.nanoTime(); r > 0 && System.nanoTime() - warm < 50_000_000L; ) c.time(1);
                    for (long t : c.time(runs)) times.computeIfAbsent(c.name(), k -> new ArrayList<>()).add(t);
                }
            }
            out.printf("%s, batch %d, %d rounds x %d runs (ms)%n", name, batch, rounds, runs);
            out.printf("%-22s %9s %9s %9s %9s %9s%n", "", "median", "min", "max", "vs ORT", "vs torch");
            Double ortMs = times.containsKey("onnxruntime") ? median(times.get("onnxruntime")) : null;
            Double torchMs = times.containsKey("torch eager") ? median(times.get("torch eager")) : null;
            for (var e : times.entrySet()) {
                double m = median(e.getValue());
                out.printf("%-22s %9.3f %9.3f %9.3f %9s %9s%n", e.getKey(), m, e.getValue().stream().mapToLong(Long::longValue).min().orElse(0) / 1e6,
                        e.getValue().stream().mapToLong(Long::longValue).max().orElse(0) / 1e6,
                        ortMs == null ? "-" : String.format("%.2fx", m / ortMs), torchMs == null ? "-" : String.format("%.2fx", m / torchMs));
            }
            for (Network net : networks) breakdown(net, batch, out);
            return 0;
        } finally {
            for (Contender c : contenders) c.close();
            for (Network n : networks) n.close();
            for (Backend b : opened) b.close();
        }
    }

    private static double median(List<Long> t) {
        long[] a = t.stream().mapToLong(Long::longValue).sorted().toArray();
        return (a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2.0) / 1e6;
    }

    /** A standard-normal input (seed 0) of the model's input dims, the batch set to {@code batch}. */
    private static Tensor input(Network net, int batch) {
        long[] d = net.inputDims().values().iterator().next();
        int[] s = {1, 1, 1, 1};
        for (int i = 0; i < d.length; i++) s[i] = d[i] < 0 ? 1 : (int) d[i];
        s[0] = batch;
        Shape shape = new Shape(s[0], s[1], s[2], s[3]);
        Random r = new Random(0);
        float[] x = new float[shape.count()];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        return Tensor.of(x, shape);
    }

    /** Median per-node times over five profiled runs: the ten slowest nodes, share of the total, GFLOP/s; peak memory. */
    private static void breakdown(Network net, int batch, PrintWriter out) {
        Tensor x = input(net, batch);
        Map<String, List<Long>> nanos = new LinkedHashMap<>();
        Map<String, Network.NodeTime> last = new HashMap<>();
        for (int i = 0; i < 5; i++) {
            for (Network.NodeTime t : net.profile(x)) {
                nanos.computeIfAbsent(t.node(), k -> new ArrayList<>()).add(t.nanos());
                last.put(t.node(), t);
            }
        }
        double total = nanos.values().stream().mapToDouble(ModelBench::median).sum();
        out.printf("%nper node, %s on %s (sum of medians %.3f ms; weights %.1f MB, peak activations %.1f MB):%n", net.name(),
                net.backend().device().describe(), total, net.weightBytes() / 1e6, net.peakActivationBytes() / 1e6);
        nanos.entrySet().stream().sorted(Comparator.comparingDouble(e -> -median(e.getValue()))).limit(10).forEach(e -> {
            double ms = median(e.getValue());
            Network.NodeTime t = last.get(e.getKey());
            out.printf("  %-40s %-15s %8.3f ms %5.1f%% %8.1f GFLOP/s%n", e.getKey(), t.op(), ms, 100 * ms / total, t.flops() / ms / 1e6);
        });
    }

    /** ONNX Runtime Java through reflection (its jar is never a compile dependency), or null with a note. */
    private static Contender onnxRuntime(byte[] model, Network net, int batch, PrintWriter err) throws Exception {
        Class<?> envClass;
        try {
            envClass = Class.forName("ai.onnxruntime.OrtEnvironment");
        } catch (ClassNotFoundException e) {
            err.println("convcl bench: ONNX Runtime Java is not on the class path: not measured (scripts/bench_models.sh adds it)");
            return null;
        }
        Object env = envClass.getMethod("getEnvironment").invoke(null);
        Class<?> optionsClass = Class.forName("ai.onnxruntime.OrtSession$SessionOptions");
        Object options = optionsClass.getConstructor().newInstance();
        optionsClass.getMethod("setIntraOpNumThreads", int.class).invoke(options, 2);
        optionsClass.getMethod("setInterOpNumThreads", int.class).invoke(options, 1);
        @SuppressWarnings({"unchecked", "rawtypes"})
        Class<Enum> level = (Class<Enum>) Class.forName("ai.onnxruntime.OrtSession$SessionOptions$OptLevel");
        optionsClass.getMethod("setOptimizationLevel", level).invoke(options, Enum.valueOf(level, "ALL_OPT"));
        Object session = envClass.getMethod("createSession", byte[].class, optionsClass).invoke(env, model, options);
        Tensor x = input(net, batch);
        long[] dims = Arrays.copyOf(new long[] {x.shape().n(), x.shape().c(), x.shape().h(), x.shape().w()},
                net.inputDims().values().iterator().next().length);
        Class<?> tensorClass = Class.forName("ai.onnxruntime.OnnxTensor");
        Object tensor = tensorClass.getMethod("createTensor", envClass, FloatBuffer.class, long[].class)
                .invoke(null, env, FloatBuffer.wrap(x.data()), dims);
        Map<String, Object> feed = Map.of(net.inputNames().get(0), tensor);
        Method run = session.getClass().getMethod("run", Map.class);
        return new Contender() {
            public String name() { return "onnxruntime"; }
            public long[] time(int n) throws Exception {
                long[] t = new long[n];
                for (int i = 0; i < n; i++) {
                    long s = System.nanoTime();
                    ((AutoCloseable) run.invoke(session, feed)).close();
                    t[i] = System.nanoTime() - s;
                }
                return t;
            }
            public void close() throws Exception {
                ((AutoCloseable) tensor).close();
                ((AutoCloseable) session).close();
                ((AutoCloseable) options).close();
            }
        };
    }

    /**
     * PyTorch eager and TorchScript-frozen through the helper {@code CONVCL_TORCH_BENCH} names (a command that takes
     * the model name and batch, then answers each {@code MODE RUNS} line with the run times in ms), or none with a note.
     */
    private static List<Contender> torch(String model, int batch, PrintWriter err) throws IOException {
        String command = System.getenv("CONVCL_TORCH_BENCH");
        if (command == null || command.isBlank()) {
            err.println("convcl bench: CONVCL_TORCH_BENCH is not set: PyTorch not measured (scripts/bench_models.sh sets it)");
            return List.of();
        }
        Process p = new ProcessBuilder("bash", "-c", command + " " + model + " " + batch).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter to = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8);
        String ready = in.readLine();
        if (!"ready".equals(ready)) {
            p.destroy();
            err.println("convcl bench: the PyTorch helper did not start (" + ready + "): PyTorch not measured");
            return List.of();
        }
        List<Contender> list = new ArrayList<>();
        for (String mode : List.of("eager", "frozen")) {
            list.add(new Contender() {
                public String name() { return "torch " + mode; }
                public long[] time(int n) throws IOException {
                    to.println(mode + " " + n);
                    String line = in.readLine();
                    if (line == null) throw new IOException("the PyTorch helper ended");
                    return Arrays.stream(line.trim().split(" ")).mapToLong(s -> (long) (Double.parseDouble(s) * 1e6)).toArray();
                }
                public void close() {
                    if (mode.equals("frozen")) {
                        to.close();
                        p.destroy();
                    }
                }
            });
        }
        return list;
    }
}
