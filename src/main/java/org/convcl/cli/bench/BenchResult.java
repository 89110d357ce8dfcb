package org.convcl.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.convcl.ConvSpec;
import org.convcl.Cost;
import org.convcl.Shape;

/**
 * The measurement of one case on one backend. {@code endToEnd} is upload + convolution + download
 * (wall time); {@code kernel} is the device's own compute time (OpenCL profiling events, wall time of the
 * call on the CPU backend and in PyTorch); {@code call} is the host's wall time of the same calls, from the
 * call to its completion (on OpenCL: enqueue, run and the wait, so launch and wake-up latency included;
 * elsewhere equal to {@code kernel}). GFLOP/s and GB/s use the kernel median and {@link Cost}.
 *
 * @param backend {@code opencl}, {@code cpu} or, for imported rows, e.g. {@code pytorch-cpu}
 * @param device  the device name
 * @param plan    what the backend chose to run (may be empty)
 * @param pass    which direction was timed; for a backward pass {@code endToEnd} uploads what the pass reads
 *                (∂L/∂y, and x for the filter pass) and downloads the gradient it writes
 */
public record BenchResult(String suite, String caseName, String kind, String backend, String device,
                          ConvSpec spec, Shape input, int runs, int warmup, Stats endToEnd, Stats kernel, Stats call,
                          String plan, Pass pass) {

    public BenchResult {
        if (pass == null) throw new IllegalArgumentException("pass must not be null");
    }

    /** A forward-pass row. */
    public BenchResult(String suite, String caseName, String kind, String backend, String device, ConvSpec spec,
                       Shape input, int runs, int warmup, Stats endToEnd, Stats kernel, Stats call, String plan) {
        this(suite, caseName, kind, backend, device, spec, input, runs, warmup, endToEnd, kernel, call, plan, Pass.FORWARD);
    }

    /** Cost of the measured layer. */
    public Cost cost() {
        return Cost.of(spec, input);
    }

    /** {@code 2·MACs / median kernel time}, in 10⁹ per second (each backward pass has the forward's MACs). */
    public double gflops() {
        return cost().flops() / (kernel.medianMs() * 1e6);
    }

    /** Minimum-traffic bytes over the median kernel time, in 10⁹ per second. */
    public double gbps() {
        return cost().bytes() / (kernel.medianMs() * 1e6);
    }

    /** A label that tells series apart in tables and charts: backend and device. */
    public String series() {
        return backend + ":" + device;
    }

    /**
     * One row per (suite, case, backend, device, input, pass) of {@code rows}, in the order each first appears: rows of
     * the same measurement taken in several rounds become one whose statistics are {@link Stats#ofRounds} and
     * whose {@code runs} is the total number of timed runs.
     */
    public static List<BenchResult> mergeRounds(List<BenchResult> rows) {
        return Stats.mergeRounds(rows, r -> r.suite + "/" + r.caseName + "/" + r.series() + "/" + r.input + "/" + r.pass, same -> {
            BenchResult first = same.get(0);
            return new BenchResult(first.suite, first.caseName, first.kind, first.backend, first.device, first.spec,
                    first.input, same.stream().mapToInt(BenchResult::runs).sum(), first.warmup,
                    Stats.ofRounds(same.stream().map(BenchResult::endToEnd).toList()),
                    Stats.ofRounds(same.stream().map(BenchResult::kernel).toList()),
                    Stats.ofRounds(same.stream().map(BenchResult::call).toList()), first.plan, first.pass);
        });
    }

    /** The keys every JSON-lines record starts with (a layer's row and a back-to-back stack line alike). */
    static Map<String, Object> recordStart(String suite, String caseName, String kind, String backend, String device) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("suite", suite);
        m.put("case", caseName);
        m.put("kind", kind);
        m.put("backend", backend);
        m.put("device", device);
        return m;
    }

    /** The JSON-lines / CSV record, keys in report order. */
    public Map<String, Object> toMap() {
        Cost cost = cost();
        Map<String, Object> m = recordStart(suite, caseName, kind, backend, device);
        LayerJson.write(m, spec, input);
        m.put("oh", cost.output().h());
        m.put("ow", cost.output().w());
        m.put("macs", cost.macs());
        m.put("params", cost.params());
        m.put("bytes", cost.bytes());
        m.put("runs", runs);
        m.put("warmup", warmup);
        endToEnd.putInto(m, "");
        kernel.putInto(m, "kernel_");
        call.putInto(m, "call_");
        m.put("gflops", gflops());
        m.put("gbps", gbps());
        m.put("plan", plan);
        m.put("pass", pass.label());
        return m;
    }

    /**
     * Reads a record written by {@link #toMap()} or by {@code scripts/compare_pytorch.py} (a record without
     * {@code pass}, from before the field existed, is a forward row). Throws naming the missing or malformed field.
     */
    public static BenchResult fromJson(JsonNode o) {
        ConvSpec spec = LayerJson.readSpec(o);
        Shape input = LayerJson.readInput(o, spec, LayerJson.integer(o, "n"));
        Stats e2e = Stats.readFrom(o, "");
        Stats kernel = Stats.readFrom(o, "kernel_");
        // Rows without call times (older files, PyTorch: its kernel time is already the call's wall time) reuse kernel.
        Stats call = o.has("call_ms_median") ? Stats.readFrom(o, "call_") : kernel;
        return new BenchResult(text(o, "suite"), text(o, "case"), text(o, "kind"), text(o, "backend"), text(o, "device"),
                spec, input, integer(o, "runs"), integer(o, "warmup"), e2e, kernel, call, o.path("plan").asText(""),
                o.has("pass") ? readPass(o) : Pass.FORWARD);
    }

    private static Pass readPass(JsonNode o) {
        try {
            return Pass.of(o.path("pass").asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field 'pass': " + e.getMessage());
        }
    }

    private static int integer(JsonNode o, String name) {
        return LayerJson.integer(o, name);
    }

    private static String text(JsonNode o, String name) {
        return LayerJson.text(o, name);
    }
}
