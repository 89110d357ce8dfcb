package org.convcl.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * A whole suite run as a network: every selected layer enqueued back to back on preallocated device tensors and
 * one wait at the end ({@code time} is the wall time of that pass). Each layer reads its own preallocated input,
 * so the layers do not feed each other; the order and the work are those of the network.
 *
 * <p>In {@code results.jsonl} it is a line of its own kind, {@code "case": "stack", "kind": "network"} (see
 * {@link #toMap()}), which per-layer readers tell apart with {@link #isStackLine}.
 *
 * @param suite   the suite whose layers ran
 * @param backend {@code opencl}, {@code cpu} or, for imported lines, e.g. {@code pytorch-cpu}
 * @param device  the device name
 * @param batch   images per input
 * @param layers  how many layers the pass ran
 * @param runs    timed passes (over all rounds once merged)
 * @param warmup  untimed passes asked for before timing
 * @param time    wall time of one pass, from the first enqueue to the end of the final wait
 */
public record StackResult(String suite, String backend, String device, int batch, int layers, int runs, int warmup,
                          Stats time) {
    /** The {@code case} value of a stack line. */
    public static final String CASE = "stack";
    /** The {@code kind} value of a stack line. */
    public static final String KIND = "network";

    public StackResult {
        if (batch <= 0) throw new IllegalArgumentException("batch must be positive, got " + batch);
        if (layers <= 0) throw new IllegalArgumentException("layers must be positive, got " + layers);
        if (runs <= 0) throw new IllegalArgumentException("runs must be positive, got " + runs);
    }

    /** Backend and device, as {@link BenchResult#series()}. */
    public String series() {
        return backend + ":" + device;
    }

    /** Whether a JSON line is a stack line (kind {@value #KIND}) rather than a per-layer row. */
    public static boolean isStackLine(JsonNode o) {
        return KIND.equals(o.path("kind").asText(null));
    }

    /**
     * One result per (suite, series, batch, layers) of {@code results}, in first-seen order: passes timed in several
     * rounds become one whose time is {@link Stats#ofRounds} and whose {@code runs} is the total.
     */
    public static List<StackResult> mergeRounds(List<StackResult> results) {
        return Stats.mergeRounds(results, r -> r.suite + "/" + r.series() + "/" + r.batch + "/" + r.layers, same -> {
            StackResult first = same.get(0);
            return new StackResult(first.suite, first.backend, first.device, first.batch, first.layers,
                    same.stream().mapToInt(StackResult::runs).sum(), first.warmup,
                    Stats.ofRounds(same.stream().map(StackResult::time).toList()));
        });
    }

    /** The JSON-lines record: {@code ms_*} is the time of one back-to-back pass. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = BenchResult.recordStart(suite, CASE, KIND, backend, device);
        m.put("n", batch);
        m.put("layers", layers);
        m.put("runs", runs);
        m.put("warmup", warmup);
        time.putInto(m, "");
        return m;
    }

    /** Reads a line written by {@link #toMap()} or {@code scripts/compare_pytorch.py}; throws naming a bad field. */
    public static StackResult fromJson(JsonNode o) {
        if (!isStackLine(o)) throw new IllegalArgumentException("field 'kind' must be '" + KIND + "', got " + o.get("kind"));
        return new StackResult(LayerJson.text(o, "suite"), LayerJson.text(o, "backend"), LayerJson.text(o, "device"),
                LayerJson.integer(o, "n"), LayerJson.integer(o, "layers"), LayerJson.integer(o, "runs"),
                LayerJson.integer(o, "warmup"), Stats.readFrom(o, ""));
    }
}
