package org.convcl.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.convcl.Backend;
import org.convcl.Backends;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.cli.bench.BenchRunner;
import org.convcl.cli.bench.SeedPair;
import org.convcl.cli.bench.Stats;
import org.convcl.cli.bench.SuiteLoader;

/**
 * Fused vs unfused time of the seed pairs' depthwise-separable blocks (the built-in {@code seed-pairs} suite: the
 * nine MobileNet-V1 blocks at 224×224 and seed 002's γ blocks) on one backend, at several batch sizes:
 * {@code java -cp target/convcl-cli.jar org.convcl.cli.BlockBench [opencl|cpu] [batches, e.g. 1,8] [runs]}
 * ({@code scripts/bench_blocks.sh}). The timing is {@code convcl bench}'s ({@link BenchRunner#timeBlockPaths}: both
 * paths prepared side by side, warmed up, timed in alternation), whose report holds the same rows (kind
 * {@code block}) at one batch size; this prints the median, min and max of each path and the unfused/fused ratio.
 */
public final class BlockBench {
    /** Warm-up calls of each path (continued as {@link BenchRunner#warmUp} says). */
    static final int WARMUP = 3;

    private BlockBench() {}

    /** Runs the comparison; bad arguments exit 2 with one line. */
    public static void main(String[] args) {
        Main.configureLogging();
        String which = args.length > 0 ? args[0] : "opencl";
        int[] batches;
        int runs;
        try {
            if (!which.equals("opencl") && !which.equals("cpu")) {
                throw new IllegalArgumentException("backend must be opencl or cpu, got '" + which + "'");
            }
            batches = args.length > 1 ? Arrays.stream(args[1].split(",")).mapToInt(s -> positive("batch", s)).toArray()
                    : new int[] {1, 8};
            runs = args.length > 2 ? positive("runs", args[2]) : 31;
        } catch (IllegalArgumentException e) {
            System.err.println("BlockBench: " + e.getMessage());
            System.exit(Main.EXIT_USAGE);
            return;
        }
        List<SeedPair> pairs = SuiteLoader.builtIn().load(List.of("seed-pairs")).get(0).pairs().stream()
                .filter(p -> p.block().isPresent()).toList();
        try (Backend backend = which.equals("cpu") ? Backends.cpu()
                : Backends.open(new Backends.Selection(Backends.Mode.OPENCL, null, true))) {
            System.out.println("device: " + backend.device().describe() + ", runs: " + runs + " per path, alternating");
            System.out.println("block                            in         batch  unfused ms (min-max)   fused ms (min-max)     unfused/fused");
            for (int batch : batches) {
                for (SeedPair p : pairs) {
                    SeparableBlock block = p.block().orElseThrow();
                    Shape in = p.input(batch);
                    BenchRunner.BlockTimes t = BenchRunner.timeBlockPaths(backend, block, in, WARMUP, runs);
                    Stats u = t.unfused(), f = t.fused();
                    System.out.printf(Locale.ROOT, "%-32s %-10s %5d  %8.2f (%.2f-%.2f)  %8.2f (%.2f-%.2f)  %6.2fx%n",
                            p.name(), in.h() + "x" + in.w(), batch, u.medianMs(), u.minMs(), u.maxMs(),
                            f.medianMs(), f.minMs(), f.maxMs(), u.medianMs() / f.medianMs());
                }
            }
        }
    }

    private static int positive(String name, String text) {
        try {
            int v = Integer.parseInt(text.trim());
            if (v >= 1) return v;
        } catch (NumberFormatException e) {
            // named below
        }
        throw new IllegalArgumentException(name + " must be a positive integer, got '" + text + "'");
    }
}
