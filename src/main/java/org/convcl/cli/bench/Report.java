package org.convcl.cli.bench;

import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.convcl.BlockMode;
import org.convcl.DeviceInfo;
import org.convcl.cpu.CpuPeak;

/**
 * Everything a benchmark run produced, ready for the writers: measured rows plus imported comparison rows,
 * the back-to-back stacks (measured and imported; never among {@code results}), the fused and unfused block
 * paths, the failures, the pair results and how the run was made. {@code loadAverageBefore} is the system's one-minute
 * load average when the run started (negative where unknown): other work on the machine shows up as noise.
 * {@code cpuPeak} is this machine's FMA peak measured in the same run ({@link CpuPeak}), or null when the run measured
 * no CPU: rows that ran on this host's CPU give their GFLOP/s as a fraction of it ({@link #peakFraction}).
 */
public record Report(ZonedDateTime started, String command, List<DeviceInfo> devices, List<Suite> suites,
                     BenchRunner.Options options, List<BenchResult> results, List<StackResult> stacks,
                     List<BlockResult> blocks, List<BenchRunner.Failure> failures, List<PairResult> pairs,
                     String compareSource, double wallSeconds, double loadAverageBefore, CpuPeak cpuPeak) {

    public Report {
        results = List.copyOf(results);
        stacks = List.copyOf(stacks);
        blocks = List.copyOf(blocks);
        failures = List.copyOf(failures);
        pairs = List.copyOf(pairs);
    }

    /** Builds a report, computing the pair results from the rows. */
    public static Report of(ZonedDateTime started, String command, List<DeviceInfo> devices, List<Suite> suites,
                            BenchRunner.Options options, List<BenchResult> results, List<StackResult> stacks,
                            List<BlockResult> blocks, List<BenchRunner.Failure> failures, String compareSource,
                            double wallSeconds, double loadAverageBefore, CpuPeak cpuPeak) {
        return new Report(started, command, devices, suites, options, results, stacks, blocks, failures,
                PairResult.of(suites, forwardOnly(results), options.quick(), options.batch()), compareSource, wallSeconds,
                loadAverageBefore, cpuPeak);
    }

    /**
     * Whether {@code r} ran on this host's CPU: the Java CPU backend, an OpenCL device of type CPU among
     * {@link #devices()} (PoCL), or an imported CPU series (e.g. {@code pytorch-cpu}).
     */
    public boolean onHostCpu(BenchResult r) {
        if (r.backend().equals("cpu") || r.backend().endsWith("-cpu")) return true;
        return devices.stream().anyMatch(d -> BenchRunner.backendName(d).equals(r.backend()) && d.name().equals(r.device())
                && d.type().equalsIgnoreCase("CPU"));
    }

    /** {@code r}'s GFLOP/s over the run's {@link #cpuPeak}, or NaN when it did not run on this host's CPU or no peak was measured. */
    public double peakFraction(BenchResult r) {
        return cpuPeak == null || !onHostCpu(r) ? Double.NaN : r.gflops() / cpuPeak.gflops();
    }

    /** The forward rows of {@code rows}: what the seed pairs, CLBlast, the charts and the stack totals use. */
    static List<BenchResult> forwardOnly(List<BenchResult> rows) {
        return rows.stream().filter(r -> r.pass() == Pass.FORWARD).toList();
    }

    /** Whether some row times a backward pass: then the tables show each row's pass. */
    public boolean hasBackward() {
        return results.stream().anyMatch(r -> r.pass() != Pass.FORWARD);
    }

    /** Series labels ({@code backend:device}) of the per-layer rows, in the order they first appear. */
    public List<String> series() {
        Set<String> s = new LinkedHashSet<>();
        results.forEach(r -> s.add(r.series()));
        return new ArrayList<>(s);
    }

    /** The backend prefix of PyTorch's series, the yardstick of the back-to-back ratio. */
    static final String PYTORCH_PREFIX = "pytorch";

    /** The per-case table: one row per case, series and pass (a pass column when some row is a backward pass). */
    public TextTable resultsTable() {
        boolean passes = hasBackward();
        List<String> header = new ArrayList<>(List.of("suite", "case", "kind", "backend:device", "input", ">MMAC",
                ">kernel ms", ">min", ">max", ">e2e ms", ">min", ">max", ">GFLOP/s", ">% peak", ">GB/s"));
        if (passes) header.add(3, "pass");
        TextTable t = new TextTable(header.toArray(String[]::new));
        for (BenchResult r : results) {
            List<String> cells = new ArrayList<>(List.of(r.suite(), r.caseName(), r.kind(), r.series(),
                    r.input().n() + "x" + r.input().c() + "x" + r.input().h() + "x" + r.input().w(),
                    fmt(r.cost().macs() / 1e6), ms(r.kernel().medianMs()), ms(r.kernel().minMs()), ms(r.kernel().maxMs()),
                    ms(r.endToEnd().medianMs()), ms(r.endToEnd().minMs()), ms(r.endToEnd().maxMs()),
                    fmt(r.gflops()), percent(peakFraction(r)), fmt(r.gbps())));
            if (passes) cells.add(3, r.pass().label());
            t.row(cells.toArray(String[]::new));
        }
        return t;
    }

    /**
     * Per pass and series, the sums of kernel, call and end-to-end medians over the {@value #STACK_SUITE} layers it
     * ran, and PyTorch's summed kernel median over this sum ({@code vs PyTorch} above 1: faster than PyTorch on the
     * same layers; only when both ran every selected layer). Empty when no backward row of that suite exists: the
     * forward sums are in {@link #stackTotals()}.
     */
    public String passTotals() {
        int layers = suites.stream().filter(s -> s.name().equals(STACK_SUITE))
                .mapToInt(s -> s.cases(options.quick()).size()).sum();
        List<BenchResult> suiteRows = results.stream().filter(r -> r.suite().equals(STACK_SUITE)).toList();
        if (layers == 0 || suiteRows.stream().allMatch(r -> r.pass() == Pass.FORWARD)) return "";
        TextTable t = new TextTable("pass", "backend:device", ">layers", ">Σ kernel ms", ">Σ call ms", ">Σ e2e ms",
                ">vs PyTorch");
        for (Pass pass : Pass.values()) {
            List<BenchResult> passRows = suiteRows.stream().filter(r -> r.pass() == pass).toList();
            List<BenchResult> pytorch = passRows.stream().filter(r -> r.backend().startsWith(PYTORCH_PREFIX)).toList();
            Set<String> seriesOfPass = new LinkedHashSet<>();
            passRows.forEach(r -> seriesOfPass.add(r.series()));
            for (String series : seriesOfPass) {
                List<BenchResult> rows = passRows.stream().filter(r -> r.series().equals(series)).toList();
                double kernel = rows.stream().mapToDouble(r -> r.kernel().medianMs()).sum();
                boolean comparable = rows.size() == layers && pytorch.size() == layers
                        && !rows.get(0).backend().startsWith(PYTORCH_PREFIX);
                t.row(pass.label(), series, rows.size() + " of " + layers, ms(kernel),
                        ms(rows.stream().mapToDouble(r -> r.call().medianMs()).sum()),
                        ms(rows.stream().mapToDouble(r -> r.endToEnd().medianMs()).sum()),
                        comparable ? ratio(pytorch.stream().mapToDouble(r -> r.kernel().medianMs()).sum() / kernel) : "-");
            }
        }
        return "MobileNet-V1 convolutions at batch " + options.batch() + (options.quick() ? " (quick subset)" : "")
                + " per pass: sums of per-layer medians; vs PyTorch = PyTorch's Σ kernel / this Σ kernel\n" + t.plain();
    }

    /** The seed-pair table: predicted (Cost), seed formula and achieved speedups per series. */
    public TextTable pairsTable() {
        TextTable t = new TextTable("pair", "formula", "backend:device", ">predicted", ">seed formula",
                ">achieved (kernel)", ">achieved (e2e)", ">achieved/predicted");
        for (PairResult p : pairs) {
            t.row(p.pair().name(), p.pair().formula().id(), p.series(), ratio(p.predicted()), ratio(p.seedFormula()),
                    ratio(p.achievedKernel()), ratio(p.achievedEndToEnd()),
                    String.format(Locale.ROOT, "%.0f%%", 100 * p.achievedKernel() / p.predicted()));
        }
        return t;
    }

    /**
     * The fused vs unfused table: per seed pair block and series, each path's median, min and max time (one forward
     * and its wait, the two paths timed in alternation) and the unfused/fused ratio of medians (above 1: fusing wins).
     */
    public TextTable blocksTable() {
        TextTable t = new TextTable("pair", "backend:device", "input", ">unfused ms", ">min", ">max", ">fused ms", ">min",
                ">max", ">unfused/fused");
        for (BlockResult u : blocks) {
            if (u.mode() != BlockMode.UNFUSED) continue;
            BlockResult f = fusedPartner(u);
            if (f == null) continue;
            t.row(u.pair(), u.series(), u.input().n() + "x" + u.input().c() + "x" + u.input().h() + "x" + u.input().w(),
                    ms(u.time().medianMs()), ms(u.time().minMs()), ms(u.time().maxMs()),
                    ms(f.time().medianMs()), ms(f.time().minMs()), ms(f.time().maxMs()),
                    ratio(u.time().medianMs() / f.time().medianMs()));
        }
        return t;
    }

    /** The fused path measured with an unfused one: same suite, pair, series and input. */
    BlockResult fusedPartner(BlockResult unfused) {
        return blocks.stream().filter(b -> b.mode() == BlockMode.FUSED && b.suite().equals(unfused.suite())
                && b.pair().equals(unfused.pair()) && b.series().equals(unfused.series())
                && b.input().equals(unfused.input())).findFirst().orElse(null);
    }

    /** The suite whose layers add up to a whole network in {@link #stackTotals()}. */
    static final String STACK_SUITE = "mobilenet-v1";

    /**
     * Per series, the sum of kernel, call and end-to-end medians over the {@value #STACK_SUITE} layers it ran (the
     * whole MobileNet-V1 convolution stack layer by layer, each layer timed with its own wait; each end-to-end time
     * includes its own transfers), next to the median time of the stack run back to back on device tensors with one
     * wait ({@link StackResult}) and that time over PyTorch's back-to-back loop. Empty when that suite did not run.
     */
    public String stackTotals() {
        int layers = suites.stream().filter(s -> s.name().equals(STACK_SUITE))
                .mapToInt(s -> s.cases(options.quick()).size()).sum();
        if (layers == 0 || !options.forward()) return "";
        List<StackResult> stackRows = stacks.stream().filter(r -> r.suite().equals(STACK_SUITE)).toList();
        StackResult pytorch = stackRows.stream().filter(r -> r.backend().startsWith(PYTORCH_PREFIX)).findFirst()
                .orElse(null);
        Set<String> all = new LinkedHashSet<>(series());
        stackRows.forEach(r -> all.add(r.series()));
        TextTable t = new TextTable("backend:device", ">layers", ">Σ kernel ms", ">Σ call ms", ">Σ e2e ms",
                ">back-to-back ms", ">min", ">max", ">vs PyTorch");
        for (String series : all) {
            List<BenchResult> rows = forwardOnly(results).stream()
                    .filter(r -> r.series().equals(series) && r.suite().equals(STACK_SUITE)).toList();
            StackResult stack = stackRows.stream().filter(r -> r.series().equals(series)).findFirst().orElse(null);
            if (rows.isEmpty() && stack == null) continue;
            t.row(series, (rows.isEmpty() ? stack.layers() : rows.size()) + " of " + layers,
                    rows.isEmpty() ? "-" : ms(rows.stream().mapToDouble(r -> r.kernel().medianMs()).sum()),
                    rows.isEmpty() ? "-" : ms(rows.stream().mapToDouble(r -> r.call().medianMs()).sum()),
                    rows.isEmpty() ? "-" : ms(rows.stream().mapToDouble(r -> r.endToEnd().medianMs()).sum()),
                    stack == null ? "-" : ms(stack.time().medianMs()), stack == null ? "-" : ms(stack.time().minMs()),
                    stack == null ? "-" : ms(stack.time().maxMs()),
                    stack == null || pytorch == null || stack == pytorch ? "-"
                            : ratio(stack.time().medianMs() / pytorch.time().medianMs()));
        }
        return "MobileNet-V1 convolution stack at batch " + options.batch() + (options.quick() ? " (quick subset)" : "")
                + ": sums of per-layer medians; back to back = all layers enqueued, one wait (median)\n" + t.plain();
    }

    /** convcl's OpenCL rows next to CLBlast's on the same devices (empty when the run had no CLBlast rows). */
    public ClBlastComparison clblast() {
        return ClBlastComparison.of(forwardOnly(results));
    }

    /** Milliseconds with three significant decimals for small values. */
    static String ms(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.1f", v)
                : v >= 1 ? String.format(Locale.ROOT, "%.2f", v) : String.format(Locale.ROOT, "%.3f", v);
    }

    static String fmt(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : v >= 10 ? String.format(Locale.ROOT, "%.1f", v)
                : String.format(Locale.ROOT, "%.2f", v);
    }

    /** A fraction as a whole percentage, {@code -} for NaN (not applicable). */
    static String percent(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * v);
    }

    static String ratio(double v) {
        return String.format(Locale.ROOT, "%.2fx", v);
    }
}
