package org.convcl.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.convcl.BackendUnavailableException;
import org.convcl.Backends;
import org.convcl.DeviceInfo;
import org.convcl.cli.bench.BenchCase;
import org.convcl.cli.bench.BenchResult;
import org.convcl.cli.bench.BenchRunner;
import org.convcl.cli.bench.BlockResult;
import org.convcl.cli.bench.ClBlast;
import org.convcl.cli.bench.FirstCall;
import org.convcl.cli.bench.Pass;
import org.convcl.cli.bench.ProgressBar;
import org.convcl.cli.bench.Report;
import org.convcl.cli.bench.ReportWriter;
import org.convcl.cli.bench.StackResult;
import org.convcl.cli.bench.Suite;
import org.convcl.cpu.CpuPeak;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code convcl bench}: runs the benchmark suites on every device found (each OpenCL device and the Java CPU
 * backend), prints a table and writes a report folder. Exit codes: 0 all cases ran, 1 some case failed on some
 * device (listed in the report), 2 bad options.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures every device on the benchmark suites (built into the tool, or suite files) and compares the "
                + "achieved speedup of separable convolutions with the seeds' predictions.",
                "Writes bench-results/<timestamp>-<device>/ with results.csv, results.jsonl, env.json, summary.md "
                        + "and PNG charts."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every case ran", "1:some case failed on some device (see the report)", "2:bad options"})
public final class BenchCommand implements Callable<Integer> {
    private static final int BAD_OPTIONS = 2;

    @Spec
    private CommandSpec spec;

    @Option(names = "--backend", paramLabel = "all|opencl|cpu|clblast", split = ",",
            description = "Backends to run, comma-separated (default: all). clblast runs CLBlast (JOCLBlast) on each "
                    + "OpenCL device as a yardstick: SGEMM for pointwise, convgemm for other groups=1 layers, n/a otherwise; "
                    + "'all' includes it when JOCLBlast loads, except with --quick.")
    private List<String> backends = new ArrayList<>(List.of("all"));

    @Option(names = "--device", paramLabel = "FILTER", split = ",",
            description = "Only the devices these pick, comma-separated: a device whose id equals the filter, else those "
                    + "whose name or platform contains it (case-insensitive); see 'convcl devices'.")
    private List<String> deviceFilters = new ArrayList<>();

    @Mixin
    private SuiteFlags suites;

    @Option(names = "--batch", description = "Images per input, N (default: ${DEFAULT-VALUE}).", defaultValue = "1")
    private int batch;

    @Option(names = "--runs", description = "Timed runs per measurement (default: ${DEFAULT-VALUE}).", defaultValue = "10")
    private int runs;

    @Option(names = "--warmup", description = "Untimed runs before each measurement, continued until they last 0.1 s and stop getting faster (default: ${DEFAULT-VALUE}; 0: none).",
            defaultValue = "3")
    private int warmup;

    @Option(names = "--pass", paramLabel = "forward|backward-data|backward-filter|all", split = ",",
            description = "Which passes to time per case, comma-separated (default: forward). The backward passes are "
                    + "PreparedConv.backwardData and backwardFilter; the back-to-back stack, the fused/unfused blocks, "
                    + "the seed pairs and CLBlast are forward-only.")
    private List<String> passNames = new ArrayList<>(List.of(Pass.FORWARD.label()));

    @Option(names = "--quick", description = "Run only the representative subset marked quick in the suite files.")
    private boolean quick;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Parent folder of the report folder (default: bench-results in the working directory).")
    private Path out;

    @Option(names = "--format", paramLabel = "table|jsonl", defaultValue = "table",
            description = "What to print on stdout: an aligned table, or the JSON lines (default: ${DEFAULT-VALUE}).")
    private String format;

    @Option(names = "--compare", paramLabel = "FILE",
            description = "JSON lines from scripts/compare_pytorch.py, merged into the table, summary and charts.")
    private Path compare;

    @Option(names = "--rounds", description = "Measure the selected cases this many times over, alternating with "
            + "--compare-command, and report each side's median over the rounds' medians (default: ${DEFAULT-VALUE}).",
            defaultValue = "1")
    private int rounds;

    @Option(names = "--compare-command", paramLabel = "CMD",
            description = "Shell command run before each round (bash -c) that appends that round's comparison rows to "
                    + "the --compare file, so both sides are measured in the same minutes; the file is read after the last round.")
    private String compareCommand;

    @Option(names = "--model", paramLabel = "M.onnx",
            description = "Benchmark a whole ONNX network instead of the suites (with --backend, --batch, --runs, --rounds).")
    private Path model;

    /** A picocli command; register it as a subcommand of the {@code convcl} command. */
    public BenchCommand() {}

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        if (model != null) return ModelBench.run(model, batch, runs, rounds, backends, stdout, stderr);
        Plan plan;
        try {
            plan = plan();
        } catch (IllegalArgumentException | BackendUnavailableException e) {
            stderr.println("convcl bench: " + e.getMessage());
            stderr.flush();
            return BAD_OPTIONS;
        }
        ZonedDateTime started = ZonedDateTime.now();
        double loadBefore = ReportWriter.loadAverage();
        CpuPeak cpuPeak = measuresHostCpu(plan) ? CpuPeak.measure() : null;
        if (cpuPeak != null) {
            stderr.printf(Locale.ROOT, "convcl bench: this machine's FMA peak, %s on %d threads: %.0f GFLOP/s%n",
                    cpuPeak.simd(), cpuPeak.threads(), cpuPeak.gflops());
        }
        long t0 = System.nanoTime();
        if (plan.clblastNote != null) stderr.println("convcl bench: " + plan.clblastNote);
        if (!plan.options.forward()) {
            stderr.println("convcl bench: --pass " + String.join(",", passNames) + " leaves out the forward-only "
                    + "measurements: back-to-back stack, fused/unfused blocks, seed pairs, CLBlast");
        }
        BenchRunner.Outcome outcome;
        Compared compared;
        try {
            outcome = runRounds(plan, stderr);
            compared = compareCommand == null ? plan.compared : readCompare(compare, plan.suites, plan.options);
        } catch (IllegalArgumentException e) {
            stderr.println("convcl bench: " + e.getMessage());
            stderr.flush();
            return BAD_OPTIONS;
        }
        List<BenchResult> rows = new ArrayList<>(BenchResult.mergeRounds(outcome.results()));
        rows.addAll(BenchResult.mergeRounds(compared.rows()));
        List<StackResult> stacks = new ArrayList<>(StackResult.mergeRounds(outcome.stacks()));
        stacks.addAll(StackResult.mergeRounds(compared.stacks()));
        double wall = (System.nanoTime() - t0) / 1e9;
        // originalArgs() holds the whole command line, from the root command (convcl) on.
        String command = spec.root().name() + " " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        Report report = Report.of(started, command, plan.allDevices(), plan.suites, plan.options, rows, stacks,
                BlockResult.mergeRounds(outcome.blocks()), outcome.failures(),
                compare == null ? null : compare.toAbsolutePath().toString(), wall, loadBefore, cpuPeak);
        Path dir = reportDir(plan.outParent, started, plan.allDevices());
        ReportWriter.write(report, dir);
        List<String> firstCalls = firstCalls(plan.devices, stderr);
        if (!firstCalls.isEmpty()) {
            ReportWriter.appendSection(dir, "First call", String.join("\n", firstCalls.stream().map(l -> "- " + l).toList()));
        }

        if (format.equals("jsonl")) {
            stdout.print(ReportWriter.jsonLines(report));
        } else {
            stdout.print(report.resultsTable().plain());
            if (!report.pairs().isEmpty()) {
                stdout.println();
                stdout.println("Seed pairs: predicted (MACs, Cost) vs achieved (kernel time) speedup of separable over standard");
                stdout.print(report.pairsTable().plain());
            }
            if (!report.blocks().isEmpty()) {
                stdout.println();
                stdout.println("Fused vs unfused blocks of the seed pairs: time of one forward, paths timed in alternation");
                stdout.print(report.blocksTable().plain());
            }
            if (!report.clblast().isEmpty()) {
                stdout.println();
                stdout.println("convcl vs CLBlast on the same device: GFLOP/s ratio convcl/CLBlast (targets: pointwise 2x, full 3x3 3x)");
                stdout.print(report.clblast().groupsTable().plain());
                stdout.println();
                stdout.print(report.clblast().casesTable().plain());
            }
        }
        if (!format.equals("jsonl")) {
            for (String totals : List.of(report.stackTotals(), report.passTotals())) {
                if (totals.isEmpty()) continue;
                stdout.println();
                stdout.print(totals);
            }
            firstCalls.forEach(l -> stdout.println("First call: " + l));
        }
        stdout.flush();
        if (!outcome.notApplicable().isEmpty()) {
            stderr.println("convcl bench: " + outcome.notApplicable().size() + " case(s) n/a on CLBlast (no number): "
                    + String.join("; ", outcome.notApplicable().stream().map(BenchRunner.NotApplicable::reason)
                    .map(r -> r.replaceAll(" \\(.*", "")).distinct().toList()));
        }
        for (BenchRunner.Failure f : outcome.failures()) {
            stderr.println("FAILED " + f.suite() + "/" + f.caseName() + " on " + f.series() + ": " + f.message());
        }
        stderr.printf(Locale.ROOT, "Report: %s (%.1f s)%n", dir, wall);
        stderr.flush();
        return outcome.failures().isEmpty() ? 0 : 1;
    }

    /**
     * {@code --rounds} measurements of every case, each after a run of {@code --compare-command} when one is given;
     * the results of all rounds (merged later), failures and n/a cases listed once.
     */
    private BenchRunner.Outcome runRounds(Plan plan, PrintWriter stderr) {
        List<BenchResult> results = new ArrayList<>();
        List<StackResult> stacks = new ArrayList<>();
        List<BlockResult> blocks = new ArrayList<>();
        Set<BenchRunner.Failure> failures = new LinkedHashSet<>();
        Set<BenchRunner.NotApplicable> notApplicable = new LinkedHashSet<>();
        for (int round = 1; round <= rounds; round++) {
            if (compareCommand != null) runCompareCommand(round, stderr);
            if (rounds > 1) stderr.println("convcl bench: round " + round + " of " + rounds);
            BenchRunner.Outcome o = BenchRunner.run(plan.devices, plan.clblastDevices, plan.suites, plan.options,
                    new ProgressBar(stderr));
            results.addAll(o.results());
            stacks.addAll(o.stacks());
            blocks.addAll(o.blocks());
            failures.addAll(o.failures());
            notApplicable.addAll(o.notApplicable());
        }
        return new BenchRunner.Outcome(results, stacks, blocks, List.copyOf(failures), List.copyOf(notApplicable));
    }

    /** Runs {@code --compare-command} with the terminal's output; a failure or a non-zero exit stops the benchmark. */
    private void runCompareCommand(int round, PrintWriter stderr) {
        stderr.flush();
        try {
            Process p = new ProcessBuilder("bash", "-c", compareCommand).inheritIO().start();
            int exit = p.waitFor();
            if (exit != 0) {
                throw new IllegalArgumentException("--compare-command exited with " + exit + " in round " + round
                        + ": " + compareCommand);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--compare-command cannot start: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalArgumentException("--compare-command interrupted in round " + round);
        }
    }

    /** Cold and warm first-call latency on each OpenCL device benchmarked; a probe that fails is reported, not fatal. */
    private static List<String> firstCalls(List<DeviceInfo> devices, PrintWriter stderr) {
        List<String> lines = new ArrayList<>();
        for (DeviceInfo d : devices) {
            if (d.backend() != DeviceInfo.BackendKind.OPENCL) continue;
            try {
                lines.add(d.id() + " " + d.name() + ": " + FirstCall.measure(d).describe());
            } catch (IOException e) {
                stderr.println("convcl bench: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return lines;
    }

    /**
     * Everything validated before anything runs. {@code devices} run convcl, {@code clblastDevices} CLBlast;
     * {@code clblastNote} says why CLBlast was left out, when it was asked for and cannot load.
     */
    /** Whether a row of the run will be on this host's CPU (a CPU-typed device, or imported CPU rows): then the FMA peak is measured. */
    private static boolean measuresHostCpu(Plan plan) {
        return plan.allDevices().stream().anyMatch(d -> d.type().equalsIgnoreCase("CPU")) || !plan.compared.rows().isEmpty();
    }

    private record Plan(List<DeviceInfo> devices, List<DeviceInfo> clblastDevices, String clblastNote,
                        List<Suite> suites, BenchRunner.Options options, Compared compared, Path outParent) {
        List<DeviceInfo> allDevices() {
            List<DeviceInfo> all = new ArrayList<>(devices);
            clblastDevices.stream().filter(d -> !all.contains(d)).forEach(all::add);
            return all;
        }
    }

    private Plan plan() {
        if (!format.equals("table") && !format.equals("jsonl")) {
            throw new IllegalArgumentException("--format must be table or jsonl, got '" + format + "'");
        }
        if (runs <= 0) throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
        if (warmup < 0) throw new IllegalArgumentException("--warmup must be at least 0, got " + warmup);
        if (batch <= 0) throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        if (rounds <= 0) throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
        if (compareCommand != null && compare == null) {
            throw new IllegalArgumentException("--compare-command needs --compare FILE (the file it appends to)");
        }
        BenchRunner.Options options = new BenchRunner.Options(batch, runs, warmup, quick, Pass.parse(passNames));
        List<Suite> loaded = suites.load();
        if (loaded.stream().allMatch(s -> s.cases(quick).isEmpty())) {
            throw new IllegalArgumentException("the selected suites have no " + (quick ? "quick " : "") + "cases");
        }
        Set<String> wanted = new HashSet<>();
        for (String b : backends) {
            String name = b.trim().toLowerCase(Locale.ROOT);
            switch (name) {
                // The quick run leaves CLBlast out: compiling its kernels costs about 20 s on a fresh machine.
                case "all", "auto" -> wanted.addAll(quick ? List.of("opencl", "cpu") : List.of("opencl", "cpu", "clblast"));
                case "opencl", "cpu", "clblast" -> wanted.add(name);
                default -> throw new IllegalArgumentException("--backend must be all, opencl, cpu or clblast "
                        + "(comma-separated), got '" + b + "'");
            }
        }
        String clblastNote = null;
        boolean clblast = wanted.contains("clblast");
        if (clblast && ClBlast.unavailableReason() != null) {
            clblastNote = "CLBlast left out: " + ClBlast.unavailableReason();
            clblast = false;
        }
        List<DeviceInfo> all = Backends.devices();
        List<DeviceInfo> convclPool = all.stream().filter(d -> wanted.contains(
                d.backend() == DeviceInfo.BackendKind.OPENCL ? "opencl" : "cpu")).toList();
        List<DeviceInfo> blastPool = clblast
                ? all.stream().filter(d -> d.backend() == DeviceInfo.BackendKind.OPENCL).toList() : List.of();
        if (convclPool.isEmpty() && blastPool.isEmpty()) {
            throw new IllegalArgumentException("no " + String.join(",", backends) + " device found; "
                    + (clblastNote != null ? clblastNote + "; " : "") + Backends.INSTALL_HINT);
        }
        List<DeviceInfo> union = new ArrayList<>(convclPool);
        blastPool.stream().filter(d -> !union.contains(d)).forEach(union::add);
        List<DeviceInfo> picked = Backends.select(union, deviceFilters);
        List<DeviceInfo> devices = convclPool.stream().filter(picked::contains).toList();
        List<DeviceInfo> blastDevices = blastPool.stream().filter(picked::contains).toList();
        // With a compare command the file is written during the rounds and read after them.
        Compared compared = compare == null || compareCommand != null ? new Compared(List.of(), List.of())
                : readCompare(compare, loaded, options);
        Path outParent = out != null ? out : Path.of("bench-results");
        return new Plan(devices, blastDevices, clblastNote, loaded, options, compared, outParent);
    }

    /** What a --compare file holds for this run: per-layer rows and back-to-back stacks. */
    private record Compared(List<BenchResult> rows, List<StackResult> stacks) {}

    /**
     * Comparison rows for the selected cases at this batch, and stack lines for a selected suite at this batch over
     * as many layers as this run selects; other lines are counted and left out.
     */
    private Compared readCompare(Path file, List<Suite> loaded, BenchRunner.Options options) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("--compare file " + file.toAbsolutePath() + " cannot be read: " + e.getMessage());
        }
        Set<String> wanted = new HashSet<>();
        for (Suite s : loaded) {
            for (BenchCase c : s.cases(options.quick())) {
                for (Pass p : options.passes()) wanted.add(s.name() + "/" + c.name() + "/" + c.input(options.batch()) + "/" + p);
            }
            wanted.add(stackKey(s.name(), options.batch(), s.cases(options.quick()).size()));
        }
        ObjectMapper json = new ObjectMapper();
        List<BenchResult> rows = new ArrayList<>();
        List<StackResult> stacks = new ArrayList<>();
        int ignored = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            try {
                JsonNode node = json.readTree(lines.get(i));
                if (BlockResult.isBlockLine(node)) { // blocks are timed by convcl only; nothing to compare them with
                    ignored++;
                    continue;
                }
                if (StackResult.isStackLine(node)) {
                    StackResult st = StackResult.fromJson(node);
                    if (wanted.contains(stackKey(st.suite(), st.batch(), st.layers()))) stacks.add(st); else ignored++;
                    continue;
                }
                BenchResult r = BenchResult.fromJson(node);
                if (wanted.contains(r.suite() + "/" + r.caseName() + "/" + r.input() + "/" + r.pass())) rows.add(r);
                else ignored++;
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("--compare file " + file + " line " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (ignored > 0) {
            spec.commandLine().getErr().println("convcl bench: " + ignored + " rows of " + file
                    + " are for cases, batch sizes, passes or kinds (block) not compared in this run and are left out");
        }
        return new Compared(rows, stacks);
    }

    private static String stackKey(String suite, int batch, int layers) {
        return suite + "/" + StackResult.CASE + "/n=" + batch + "/layers=" + layers;
    }

    /** {@code <parent>/<yyyyMMdd-HHmmss>-<devices>}, with a numeric suffix when that folder exists. */
    static Path reportDir(Path parent, ZonedDateTime started, List<DeviceInfo> devices) {
        String names = String.join("+", devices.stream().map(d -> slug(d.name())).toList());
        if (names.length() > 80) names = names.substring(0, 80);
        String base = started.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + names;
        Path dir = parent.resolve(base);
        for (int i = 2; Files.exists(dir); i++) dir = parent.resolve(base + "-" + i);
        return dir;
    }

    private static String slug(String name) {
        String s = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.]+", "-").replaceAll("^-|-$", "");
        return s.isEmpty() ? "device" : s;
    }
}
