package org.convcl.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.convcl.BlockCost;
import org.convcl.BlockMode;
import org.convcl.ConvSpec;
import org.convcl.SeparableBlock;
import org.convcl.Shape;

/**
 * One path of a seed pair's depthwise-separable block, fused (one kernel) or unfused (depthwise then pointwise),
 * timed in alternation with the other path ({@link BenchRunner#timeBlockPaths}): {@code time} is the wall time of
 * one forward and the wait for it, data on the device.
 *
 * <p>In {@code results.jsonl} it is a line of kind {@value #KIND}, {@code case} the pair's name, field {@code mode}
 * {@code fused} or {@code unfused}; the layer fields ({@link LayerJson}) are those of the standard convolution the
 * block replaces, with {@code gamma} the depthwise step's multiplier. {@code macs} and {@code bytes} are the block's
 * ({@link BlockCost}: the fused path does not move the intermediate tensor).
 *
 * @param suite   the suite of the pair
 * @param pair    the seed pair's name
 * @param backend {@code opencl} or {@code cpu}
 * @param device  the device name
 * @param mode    {@link BlockMode#FUSED} or {@link BlockMode#UNFUSED}
 * @param block   the block
 * @param input   its input shape
 * @param runs    timed runs (over all rounds once merged)
 * @param warmup  untimed runs asked for before timing
 * @param time    wall time of one forward and its wait
 * @param plan    what the backend prepared
 */
public record BlockResult(String suite, String pair, String backend, String device, BlockMode mode, SeparableBlock block,
                          Shape input, int runs, int warmup, Stats time, String plan) {
    /** The {@code kind} of a block line. */
    public static final String KIND = "block";

    public BlockResult {
        if (mode != BlockMode.FUSED && mode != BlockMode.UNFUSED) {
            throw new IllegalArgumentException("mode must be FUSED or UNFUSED, got " + mode);
        }
        if (runs <= 0) throw new IllegalArgumentException("runs must be positive, got " + runs);
    }

    /** Backend and device, as {@link BenchResult#series()}. */
    public String series() {
        return backend + ":" + device;
    }

    /** {@code fused} or {@code unfused}. */
    public String modeName() {
        return mode.name().toLowerCase(Locale.ROOT);
    }

    /** The block's cost on its input. */
    public BlockCost cost() {
        return BlockCost.of(block, input);
    }

    /** Bytes this path moves at least: {@link BlockCost#fusedBytes()} fused, {@link BlockCost#bytes()} unfused. */
    public long bytes() {
        return mode == BlockMode.FUSED ? cost().fusedBytes() : cost().bytes();
    }

    /** {@code 2·MACs / median time}, in 10⁹ per second. */
    public double gflops() {
        return 2.0 * cost().macs() / (time.medianMs() * 1e6);
    }

    /** Whether a JSON line is a block line (kind {@value #KIND}). */
    public static boolean isBlockLine(JsonNode o) {
        return KIND.equals(o.path("kind").asText(null));
    }

    /**
     * One result per (suite, pair, series, mode, input) of {@code results}, in first-seen order: the same path timed in
     * several rounds becomes one whose time is {@link Stats#ofRounds} and whose {@code runs} is the total.
     */
    public static List<BlockResult> mergeRounds(List<BlockResult> results) {
        return Stats.mergeRounds(results, r -> r.suite + "/" + r.pair + "/" + r.series() + "/" + r.mode + "/" + r.input,
                same -> {
                    BlockResult first = same.get(0);
                    return new BlockResult(first.suite, first.pair, first.backend, first.device, first.mode, first.block,
                            first.input, same.stream().mapToInt(BlockResult::runs).sum(), first.warmup,
                            Stats.ofRounds(same.stream().map(BlockResult::time).toList()), first.plan);
                });
    }

    /** The JSON-lines record: {@code ms_*} is the wall time of one forward and its wait. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = BenchResult.recordStart(suite, pair, KIND, backend, device);
        m.put("mode", modeName());
        LayerJson.write(m, block.standardEquivalent(), input);
        m.put("gamma", block.depthMultiplier());
        BlockCost cost = cost();
        m.put("macs", cost.macs());
        m.put("params", cost.params());
        m.put("bytes", bytes());
        m.put("runs", runs);
        m.put("warmup", warmup);
        time.putInto(m, "");
        m.put("gflops", gflops());
        m.put("plan", plan);
        return m;
    }

    /** Reads a line written by {@link #toMap()}; throws naming a missing or malformed field. */
    public static BlockResult fromJson(JsonNode o) {
        if (!isBlockLine(o)) throw new IllegalArgumentException("field 'kind' must be '" + KIND + "', got " + o.get("kind"));
        ConvSpec standard = LayerJson.readSpec(o);
        if (standard.groups() != 1) throw new IllegalArgumentException("field 'groups' of a block line must be 1, got " + standard.groups());
        Shape input = LayerJson.readInput(o, standard, LayerJson.integer(o, "n"));
        SeparableBlock block = SeparableBlock.builder(standard.inChannels(), standard.outChannels())
                .depthMultiplier(LayerJson.integer(o, "gamma")).kernel(standard.kernelH(), standard.kernelW())
                .stride(standard.strideH(), standard.strideW()).dilation(standard.dilationH(), standard.dilationW())
                .padding(standard.padTop(), standard.padLeft(), standard.padBottom(), standard.padRight()).build();
        String mode = LayerJson.text(o, "mode");
        if (!mode.equals("fused") && !mode.equals("unfused")) {
            throw new IllegalArgumentException("field 'mode' must be fused or unfused, got '" + mode + "'");
        }
        return new BlockResult(LayerJson.text(o, "suite"), LayerJson.text(o, "case"), LayerJson.text(o, "backend"),
                LayerJson.text(o, "device"), BlockMode.valueOf(mode.toUpperCase(Locale.ROOT)), block, input,
                LayerJson.integer(o, "runs"), LayerJson.integer(o, "warmup"), Stats.readFrom(o, ""),
                o.path("plan").asText(""));
    }
}
