package org.convcl.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.convcl.DeviceInfo;

/** Writes a {@link Report} to a results folder: CSV, JSON lines, environment, Markdown summary and charts. */
public final class ReportWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** File names inside a results folder. */
    public static final String CSV = "results.csv", JSONL = "results.jsonl", ENV = "env.json", SUMMARY = "summary.md";

    private ReportWriter() {}

    /**
     * The JSON lines of a report: its per-layer rows, one per case and series, then its back-to-back stacks (kind
     * {@code network}), then its block paths (kind {@code block}, field {@code mode}).
     */
    public static String jsonLines(Report report) {
        List<Map<String, Object>> records = new ArrayList<>();
        report.results().forEach(r -> {
            Map<String, Object> m = r.toMap();
            double fraction = report.peakFraction(r);
            if (!Double.isNaN(fraction)) m.put("peak_fraction", fraction);
            records.add(m);
        });
        report.stacks().forEach(r -> records.add(r.toMap()));
        report.blocks().forEach(r -> records.add(r.toMap()));
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> m : records) {
            try {
                sb.append(JSON.writeValueAsString(m)).append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return sb.toString();
    }

    /** CSV with the same columns as the JSON lines. */
    public static String csv(List<BenchResult> results) {
        StringBuilder sb = new StringBuilder();
        List<String> keys = results.isEmpty() ? List.of() : new ArrayList<>(results.get(0).toMap().keySet());
        sb.append(String.join(",", keys)).append('\n');
        for (BenchResult r : results) {
            List<String> cells = new ArrayList<>();
            for (Object v : r.toMap().values()) cells.add(csvCell(v));
            sb.append(String.join(",", cells)).append('\n');
        }
        return sb.toString();
    }

    private static String csvCell(Object v) {
        String s = String.valueOf(v);
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /**
     * Writes every file into {@code dir} (created when missing); returns the files written. The git commit recorded
     * is that of the repository {@code dir} lies in, if any (scripts/bench.sh writes into the checkout it built from).
     */
    public static List<Path> write(Report report, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        written.add(Files.writeString(dir.resolve(CSV), csv(report.results()), StandardCharsets.UTF_8));
        written.add(Files.writeString(dir.resolve(JSONL), jsonLines(report), StandardCharsets.UTF_8));
        written.add(Files.writeString(dir.resolve(ENV), PRETTY.writeValueAsString(environment(report, dir)) + "\n",
                StandardCharsets.UTF_8));
        List<Path> charts = Charts.write(report, dir);
        written.add(Files.writeString(dir.resolve(SUMMARY), summary(report, charts), StandardCharsets.UTF_8));
        written.addAll(charts);
        return written;
    }

    /** Device and driver, JVM, OS, git commit (of the repository {@code dir} lies in) and the run's settings. */
    public static Map<String, Object> environment(Report report, Path dir) {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("date", report.started().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        env.put("command", report.command());
        env.put("git_commit", gitCommit(dir));
        List<Map<String, Object>> devices = new ArrayList<>();
        for (DeviceInfo d : report.devices()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("backend", BenchRunner.backendName(d));
            m.put("id", d.id());
            m.put("name", d.name());
            m.put("platform", d.platformName());
            m.put("type", d.type());
            m.put("vendor", d.vendor());
            m.put("driver_version", d.driverVersion());
            m.put("opencl_version", d.openclVersion());
            m.put("compute_units", d.computeUnits());
            m.put("max_clock_mhz", d.maxClockMHz());
            m.put("global_mem_bytes", d.globalMemBytes());
            m.put("local_mem_bytes", d.localMemBytes());
            devices.add(m);
        }
        env.put("devices", devices);
        env.put("jvm", Map.of("version", System.getProperty("java.version"),
                "vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"),
                "vendor", System.getProperty("java.vendor"),
                "max_heap_bytes", Runtime.getRuntime().maxMemory()));
        env.put("os", Map.of("name", System.getProperty("os.name"), "version", System.getProperty("os.version"),
                "arch", System.getProperty("os.arch"), "available_processors", Runtime.getRuntime().availableProcessors()));
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("suites", report.suites().stream().map(Suite::name).toList());
        options.put("batch", report.options().batch());
        options.put("runs", report.options().runs());
        options.put("warmup", report.options().warmup());
        options.put("quick", report.options().quick());
        options.put("passes", report.options().passes().stream().map(Pass::label).toList());
        options.put("compare", report.compareSource());
        env.put("options", options);
        env.put("settings", settings(System.getenv(), System.getProperties()));
        if (report.cpuPeak() != null) {
            env.put("cpu_fma_peak", Map.of("gflops", Math.round(report.cpuPeak().gflops() * 10) / 10.0,
                    "threads", report.cpuPeak().threads(), "simd", report.cpuPeak().simd()));
        }
        env.put("wall_seconds", Math.round(report.wallSeconds() * 10) / 10.0);
        env.put("load_average_before", report.loadAverageBefore());
        env.put("load_average_after", loadAverage());
        return env;
    }

    /** Environment variable prefixes and system property prefix whose values change what a run measures. */
    private static final List<String> SETTING_ENV_PREFIXES = List.of("CONVCL_", "POCL_", "OCL_ICD_");
    private static final String SETTING_PROPERTY_PREFIX = "convcl.";

    /**
     * The settings that change what runs and how fast, sorted by name: {@code CONVCL_*}, {@code POCL_*}
     * (e.g. {@code POCL_AFFINITY}, which pins PoCL's worker threads) and {@code OCL_ICD_*} environment
     * variables, and {@code convcl.*} system properties (prefixed {@code -D}).
     */
    static Map<String, String> settings(Map<String, String> environment, java.util.Properties properties) {
        Map<String, String> settings = new java.util.TreeMap<>();
        environment.forEach((name, value) -> {
            if (SETTING_ENV_PREFIXES.stream().anyMatch(name::startsWith)) settings.put(name, value);
        });
        for (String name : properties.stringPropertyNames()) {
            if (name.startsWith(SETTING_PROPERTY_PREFIX)) settings.put("-D" + name, properties.getProperty(name));
        }
        return settings;
    }

    /** The one-minute system load average, or −1 where the OS does not tell. */
    public static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /**
     * {@code git rev-parse HEAD} of the repository {@code dir} lies in (with {@code -dirty} when it has local
     * changes), or why not.
     */
    static String gitCommit(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) return "unknown (no folder " + dir + ")";
        try {
            String head = git(dir, "rev-parse", "HEAD");
            String status = git(dir, "status", "--porcelain", "--untracked-files=no");
            return status.isEmpty() ? head : head + "-dirty";
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown (interrupted)";
        }
    }

    private static String git(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("LD_PRELOAD"); // bench.sh preloads libjsig for the JVM; git needs none of it
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("git " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }

    /** Appends a {@code ## title} section to the summary of a written report. */
    public static void appendSection(Path dir, String title, String markdown) throws IOException {
        Files.writeString(dir.resolve(SUMMARY), "\n## " + title + "\n\n" + markdown + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
    }

    /** The Markdown summary: how the run was made, the seed pairs, the per-case table, failures and charts. */
    public static String summary(Report report, List<Path> charts) {
        StringBuilder sb = new StringBuilder();
        sb.append("# convcl bench: ").append(report.started().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")))
                .append("\n\n");
        sb.append("- Command: `").append(report.command()).append("`\n");
        for (DeviceInfo d : report.devices()) sb.append("- Device: ").append(d.describe())
                .append(", driver ").append(d.driverVersion()).append('\n');
        if (report.compareSource() != null) sb.append("- Compared with: ").append(report.compareSource()).append('\n');
        sb.append(String.format(Locale.ROOT, "- Batch %d, %d warm-up + %d timed runs per measurement%s; wall time %.1f s%n",
                report.options().batch(), report.options().warmup(), report.options().runs(),
                report.options().quick() ? " (quick subset)" : "", report.wallSeconds()));
        Map<String, String> settings = settings(System.getenv(), System.getProperties());
        if (!settings.isEmpty()) {
            sb.append("- Settings: ").append(String.join(", ", settings.entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).toList())).append('\n');
        }
        double load = report.loadAverageBefore();
        int cores = Runtime.getRuntime().availableProcessors();
        if (load >= 0) {
            sb.append(String.format(Locale.ROOT, "- Load average %.2f on %d cores when the run started%s%n", load, cores,
                    load > 0.5 * cores ? ": other work was running, expect noisy times" : ""));
        }
        sb.append("\nTimes are medians (min and max alongside). *kernel* is the device's compute time (OpenCL profiling "
                + "events; wall time of the call on the CPU backend and in PyTorch); *e2e* adds upload and download. "
                + "GFLOP/s = 2·MACs / kernel median. GB/s uses a minimum-traffic model (input, weights and output "
                + "moved once), so it is a lower bound on the traffic served."
                + (report.hasBackward() ? " Backward passes (column *pass*) have the forward's MACs; their kernel time is "
                        + "the wall time of the call and its wait (no profiled variant), their *e2e* uploads what the "
                        + "pass reads and downloads the gradient." : "") + "\n");
        if (!report.pairs().isEmpty()) {
            sb.append("\n## Seed pairs: predicted vs achieved speedup\n\n");
            sb.append("*predicted* = MACs(standard) / Σ MACs(separable) from `Cost`; *seed formula* = the seed's closed "
                    + "form (1/(1/N + 1/Dk²), K²/2K, or seed 002's γ and √γ totals), equal by construction; *achieved* = "
                    + "time(standard) / Σ time(separable members).\n\n");
            sb.append(report.pairsTable().markdown());
        }
        if (!report.blocks().isEmpty()) {
            sb.append("\n## Fused vs unfused blocks\n\n");
            sb.append("Each seed pair whose separable members form a depthwise-separable block, run as one fused kernel "
                    + "and as its two steps (depthwise, then pointwise through an intermediate tensor). Both paths are "
                    + "prepared side by side and warmed up, then timed in alternation (which goes first changes every "
                    + "run); a time is one forward and the wait for it, data on the device. *unfused/fused* above 1: "
                    + "fusing wins.\n\n");
            sb.append(report.blocksTable().markdown());
        }
        for (String totals : List.of(report.stackTotals(), report.passTotals())) {
            if (totals.isEmpty()) continue;
            sb.append("\n## ").append(totals.lines().findFirst().orElseThrow()).append("\n\n```\n")
                    .append(totals.substring(totals.indexOf('\n') + 1)).append("```\n");
        }
        ClBlastComparison blast = report.clblast();
        if (!blast.isEmpty()) {
            sb.append("\n## convcl vs CLBlast on the same device\n\n");
            sb.append("*ratio* = GFLOP/s(convcl) / GFLOP/s(CLBlast) = CLBlast's kernel time / convcl's, per case and per "
                    + "layer group (min, geometric mean, max). Pointwise layers run CLBlast's SGEMM (one `CLBlastSgemm` at "
                    + "batch 1, one `CLBlastSgemmStridedBatched` for a batch), other groups == 1 layers its convgemm (one "
                    + "`CLBlastSconvgemm` per batch). CLBlast's time is the wall time of the call plus `clFinish` (its "
                    + "event covers only its last kernel); each CLBlast output was checked against convcl's before timing. "
                    + "Targets (issue 4): pointwise ≥ 2×, full 3×3 ≥ 3×.\n\n");
            sb.append(blast.groupsTable().markdown()).append('\n');
            sb.append(blast.casesTable().markdown());
        }
        for (Suite suite : report.suites()) {
            List<BenchResult> rows = report.results().stream().filter(r -> r.suite().equals(suite.name())).toList();
            if (rows.isEmpty()) continue;
            sb.append("\n## Suite ").append(suite.name()).append("\n\n").append(suite.description()).append("\n\n");
            Report part = new Report(report.started(), report.command(), report.devices(), List.of(suite),
                    report.options(), rows, List.of(), List.of(), List.of(), List.of(), report.compareSource(), report.wallSeconds(),
                    report.loadAverageBefore(), report.cpuPeak());
            sb.append(part.resultsTable().markdown());
        }
        if (!report.failures().isEmpty()) {
            sb.append("\n## Failures\n\n");
            for (BenchRunner.Failure f : report.failures()) {
                sb.append("- ").append(f.suite()).append('/').append(f.caseName()).append(" on ").append(f.series())
                        .append(": ").append(f.message().replace('\n', ' ')).append('\n');
            }
        }
        if (!charts.isEmpty()) {
            sb.append("\n## Charts\n\n");
            for (Path c : charts) sb.append("![").append(c.getFileName()).append("](").append(c.getFileName()).append(")\n");
        }
        return sb.toString();
    }
}
