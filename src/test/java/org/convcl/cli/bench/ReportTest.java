package org.convcl.cli.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.convcl.Cost;
import org.convcl.DeviceInfo;
import org.convcl.SeedFormula;
import org.convcl.cpu.CpuPeak;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's arithmetic and files, from rows with chosen timings (no device involved). */
class ReportTest {
    /** Keys the benchmark issue requires in every JSON line. */
    static final List<String> REQUIRED_KEYS = List.of("suite", "case", "kind", "backend", "device", "n", "cin", "h", "w",
            "cout", "kh", "kw", "stride_h", "stride_w", "pad_t", "pad_l", "pad_b", "pad_r", "dil_h", "dil_w", "groups",
            "macs", "params", "ms_median", "ms_min", "ms_max", "kernel_ms_median", "gflops");

    static final DeviceInfo DEVICE = new DeviceInfo(DeviceInfo.BackendKind.CPU, "cpu", "Java", "Test CPU", "CPU",
            "test", "1.0", "none", 2, 0, 1, 1L << 30, 1L << 30, 0);

    private static BenchResult row(BenchCase c, String backend, double kernelMs) {
        return new BenchResult(c.suite(), c.name(), c.kindName(), backend, "dev", c.spec(), c.input(1), 10, 2,
                new Stats(kernelMs * 1.5, kernelMs * 1.4, kernelMs * 1.7), new Stats(kernelMs, kernelMs * 0.9, kernelMs * 1.2),
                new Stats(kernelMs * 1.1, kernelMs, kernelMs * 1.3), "test plan");
    }

    private static Report report(List<BenchResult> rows) {
        return Report.of(ZonedDateTime.parse("2026-11-22T10:00:00Z"), "convcl bench --test", List.of(DEVICE),
                List.of(SuitesTest.repoSuites().get("seed-pairs")), new BenchRunner.Options(1, 10, 2, true), rows,
                List.of(), List.of(), List.of(), null, 1.0, 0.25, null);
    }

    @Test
    void rowsOnThisHostsCpuGiveTheirShareOfTheMeasuredPeakAndGpuRowsDoNot() {
        DeviceInfo gpu = new DeviceInfo(DeviceInfo.BackendKind.OPENCL, "opencl:0:0", "Test", "gpu0", "GPU",
                "test", "1.0", "OpenCL 3.0", 8, 0, 1, 1L << 30, 1L << 30, 0);
        BenchCase c = SuitesTest.repoSuites().get("seed-pairs").cases(true).get(0);
        BenchResult cpuRow = row(c, "cpu", 1.0);
        BenchResult torchRow = row(c, "pytorch-cpu", 2.0);
        BenchResult gpuRow = new BenchResult(c.suite(), c.name(), c.kindName(), "opencl", "gpu0", c.spec(), c.input(1), 10, 2,
                cpuRow.endToEnd(), cpuRow.kernel(), cpuRow.call(), "test plan");
        double peak = 4 * cpuRow.gflops(); // the CPU row runs at 25 % of it, PyTorch's (twice as slow) at 12.5 %
        Report r = Report.of(ZonedDateTime.parse("2026-11-22T10:00:00Z"), "convcl bench --test", List.of(DEVICE, gpu),
                List.of(SuitesTest.repoSuites().get("seed-pairs")), new BenchRunner.Options(1, 10, 2, true),
                List.of(cpuRow, torchRow, gpuRow), List.of(), List.of(), List.of(), null, 1.0, 0.25,
                new CpuPeak(peak, 2, "test SIMD"));
        assertEquals(0.25, r.peakFraction(cpuRow), 1e-12);
        assertEquals(0.125, r.peakFraction(torchRow), 1e-12);
        assertTrue(Double.isNaN(r.peakFraction(gpuRow)));
        List<String> lines = r.resultsTable().plain().lines().toList();
        assertTrue(lines.get(0).contains("% peak"), lines.get(0));
        assertTrue(lines.stream().anyMatch(l -> l.contains("cpu:dev") && !l.contains("pytorch") && l.contains(" 25% ")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.contains("opencl:gpu0") && l.contains(" - ")), String.join("\n", lines));
        String jsonl = ReportWriter.jsonLines(r);
        assertEquals(2, jsonl.lines().filter(l -> l.contains("\"peak_fraction\"")).count(), jsonl);
        assertTrue(Double.isNaN(report(List.of(cpuRow)).peakFraction(cpuRow)), "no peak measured: no fraction");
    }

    private static List<BenchResult> pairRows(SeedPair pair, String backend, double stdMs, double dwMs, double pwMs) {
        return List.of(row(pair.standard().get(0), backend, stdMs), row(pair.separable().get(0), backend, dwMs),
                row(pair.separable().get(1), backend, pwMs));
    }

    @Test
    void pairResultsCarryTheSeedPredictionAndTheMeasuredRatio() {
        Suite s = SuitesTest.repoSuites().get("seed-pairs");
        SeedPair pair = s.pairs(true).stream().filter(p -> p.formula() == SeedFormula.DEPTHWISE_SEPARABLE)
                .findFirst().orElseThrow();
        List<BenchResult> rows = new ArrayList<>(pairRows(pair, "cpu", 12.0, 1.0, 2.0));
        rows.addAll(pairRows(pair, "pytorch-cpu", 5.0, 0.5, 0.5));
        Report r = report(rows);
        List<PairResult> pairs = r.pairs().stream().filter(p -> p.pair().name().equals(pair.name())).toList();
        assertEquals(2, pairs.size());
        int n = pair.separable().get(1).spec().outChannels();
        int dk = pair.separable().get(0).spec().kernelH();
        for (PairResult p : pairs) {
            assertEquals(1 / Cost.separableReduction(n, dk), p.predicted(), 1e-12 * p.predicted());
            assertEquals(p.predicted(), p.seedFormula(), 1e-12 * p.predicted());
        }
        assertEquals(4.0, pairs.get(0).achievedKernel(), 1e-12);  // 12 / (1 + 2)
        assertEquals(5.0, pairs.get(1).achievedKernel(), 1e-12);  // 5 / (0.5 + 0.5)
        assertEquals(4.0, pairs.get(0).achievedEndToEnd(), 1e-12); // e2e medians are 1.5x kernel in every row
        String table = r.pairsTable().plain();
        assertTrue(table.contains(pair.name()) && table.contains(Report.ratio(pairs.get(0).predicted()))
                && table.contains("4.00x") && table.contains("pytorch-cpu:dev"), table);
    }

    @Test
    void stackTotalsSumTheMobileNetLayersPerSeries() {
        Suite mobilenet = SuitesTest.repoSuites().get("mobilenet-v1");
        List<BenchCase> cases = mobilenet.cases(false);
        List<BenchResult> rows = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) rows.add(row(cases.get(i), "cpu", i + 1)); // 1 + 2 + ... + n ms
        rows.add(row(cases.get(0), "pytorch-cpu", 4.0));
        Report r = Report.of(ZonedDateTime.parse("2026-11-22T10:00:00Z"), "convcl bench --test", List.of(DEVICE),
                List.of(mobilenet), new BenchRunner.Options(8, 10, 2, false), rows, List.of(), List.of(), List.of(),
                null, 1.0, 0.25, null);
        String totals = r.stackTotals();
        int n = cases.size();
        assertEquals(28, n, "MobileNet-V1 has 28 convolution layers");
        assertTrue(totals.startsWith("MobileNet-V1 convolution stack at batch 8: sums"), totals);
        String cpu = totals.lines().filter(l -> l.startsWith("cpu:dev")).findFirst().orElseThrow();
        // kernel medians 1..28 sum to 406; end-to-end medians are 1.5x: 609.
        assertTrue(cpu.contains("28 of 28") && cpu.contains("406.0") && cpu.contains("609.0"), cpu);
        String torch = totals.lines().filter(l -> l.startsWith("pytorch-cpu:dev")).findFirst().orElseThrow();
        assertTrue(torch.contains("1 of 28") && torch.contains("4.00") && torch.contains("6.00"), torch);
        assertEquals("", report(rows).stackTotals(), "no totals when the suite did not run");
    }

    private static StackResult stack(String backend, double medianMs) {
        return new StackResult("mobilenet-v1", backend, "dev", 8, 28, 10, 2,
                new Stats(medianMs, medianMs * 0.9, medianMs * 1.2));
    }

    @Test
    void stackTotalsPutTheBackToBackTimeAndItsRatioToPyTorchNextToTheSums(@TempDir Path dir) throws IOException {
        Suite mobilenet = SuitesTest.repoSuites().get("mobilenet-v1");
        List<BenchCase> cases = mobilenet.cases(false);
        List<BenchResult> rows = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) rows.add(row(cases.get(i), "cpu", i + 1)); // Σ kernel 406 ms
        List<StackResult> stacks = List.of(stack("cpu", 300.0), stack("pytorch-cpu", 120.0));
        Report r = Report.of(ZonedDateTime.parse("2026-11-22T10:00:00Z"), "convcl bench --test", List.of(DEVICE),
                List.of(mobilenet), new BenchRunner.Options(8, 10, 2, false), rows, stacks, List.of(), List.of(), null, 1.0,
                0.25, null);
        String totals = r.stackTotals();
        assertTrue(totals.contains("back-to-back ms") && totals.contains("vs PyTorch"), totals);
        String cpu = totals.lines().filter(l -> l.startsWith("cpu:dev")).findFirst().orElseThrow();
        // 300 ms back to back (min 270, max 360) next to the Σ 406; 300 / 120 = 2.50x PyTorch's loop.
        assertTrue(cpu.contains("406.0") && cpu.contains("300.0") && cpu.contains("270.0") && cpu.contains("360.0")
                && cpu.endsWith("2.50x"), cpu);
        // PyTorch has a stack but no per-layer rows: its sums are dashes, and no ratio to itself.
        String torch = totals.lines().filter(l -> l.startsWith("pytorch-cpu:dev")).findFirst().orElseThrow();
        assertTrue(torch.contains("28 of 28") && torch.contains("120.0") && torch.endsWith("-"), torch);

        // The stack lines come after the per-layer rows in results.jsonl, round-trip, and stay out of the tables.
        ReportWriter.write(r, dir);
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(dir.resolve("results.jsonl"));
        assertEquals(rows.size() + 2, lines.size());
        for (int i = 0; i < lines.size(); i++) {
            JsonNode o = json.readTree(lines.get(i));
            assertEquals(i >= rows.size(), StackResult.isStackLine(o), lines.get(i));
            String again = json.writeValueAsString(StackResult.isStackLine(o) ? StackResult.fromJson(o).toMap()
                    : BenchResult.fromJson(o).toMap());
            assertEquals(lines.get(i), again, "round trip");
        }
        assertEquals(stacks.get(1), StackResult.fromJson(json.readTree(lines.get(lines.size() - 1))));
        assertEquals(rows.size() + 1, Files.readAllLines(dir.resolve("results.csv")).size(), "CSV: per-layer rows only");
        assertTrue(!r.resultsTable().plain().contains(StackResult.KIND), "the per-layer table has no stack row");
        assertTrue(Files.readString(dir.resolve("summary.md")).contains("2.50x"), "the summary carries the ratio");
    }

    @Test
    void stackRoundsMergeToTheMedianOfRoundMedians() {
        List<StackResult> rounds = List.of(stack("cpu", 30.0), stack("pytorch-cpu", 10.0), stack("cpu", 50.0),
                stack("cpu", 40.0), new StackResult("mobilenet-v1", "cpu", "dev", 1, 28, 10, 2, new Stats(5, 4, 6)));
        List<StackResult> merged = StackResult.mergeRounds(rounds);
        assertEquals(3, merged.size(), "batch 8 cpu, batch 8 pytorch, batch 1 cpu: " + merged);
        StackResult cpu = merged.get(0);
        assertEquals(40.0, cpu.time().medianMs(), 1e-12, "median of 30, 50, 40");
        assertEquals(27.0, cpu.time().minMs(), 1e-12);
        assertEquals(60.0, cpu.time().maxMs(), 1e-12);
        assertEquals(30, cpu.runs());
        assertEquals(rounds.get(1), merged.get(1));
        assertEquals(1, merged.get(2).batch());
    }

    @Test
    void badStackLinesAreNamed() throws IOException {
        ObjectMapper json = new ObjectMapper();
        String good = json.writeValueAsString(stack("cpu", 3.0).toMap());
        assertEquals(stack("cpu", 3.0), StackResult.fromJson(json.readTree(good)));
        var e = assertThrows(IllegalArgumentException.class,
                () -> StackResult.fromJson(json.readTree(good.replace("\"layers\":28", "\"layers\":0"))));
        assertTrue(e.getMessage().contains("layers must be positive, got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> StackResult.fromJson(json.readTree(good.replace("\"ms_median\":3.0,", ""))));
        assertTrue(e.getMessage().contains("missing field 'ms_median'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> StackResult.fromJson(json.readTree(good.replace("network", "full"))));
        assertTrue(e.getMessage().contains("field 'kind' must be 'network'"), e.getMessage());
    }

    @Test
    void aPairWithAMissingMemberIsNotReported() {
        SeedPair pair = SuitesTest.repoSuites().get("seed-pairs").pairs(true).get(0);
        List<BenchResult> rows = new ArrayList<>(pairRows(pair, "cpu", 12.0, 1.0, 2.0));
        rows.remove(2);
        assertTrue(report(rows).pairs().isEmpty());
    }

    @Test
    void gflopsAndBandwidthUseCostAndTheKernelMedian() {
        BenchCase c = SuitesTest.repoSuites().get("resnet").cases().get(0);
        BenchResult r = row(c, "cpu", 2.0);
        Cost cost = c.cost(1);
        assertEquals(2.0 * cost.macs() / 2e6, r.gflops(), 1e-9);
        assertEquals(cost.bytes() / 2e6, r.gbps(), 1e-9);
    }

    @Test
    void writesEveryFileWithTheRequiredKeys(@TempDir Path dir) throws IOException {
        Suite s = SuitesTest.repoSuites().get("seed-pairs");
        List<BenchResult> rows = new ArrayList<>();
        for (SeedPair p : s.pairs(true)) {
            for (BenchCase c : p.standard()) rows.add(row(c, "cpu", 10));
            for (BenchCase c : p.separable()) rows.add(row(c, "cpu", 2));
        }
        Report r = report(rows);
        List<Path> files = ReportWriter.write(r, dir);
        for (String name : List.of("results.csv", "results.jsonl", "env.json", "summary.md", "gflops-seed-pairs.png",
                "speedup-pairs.png")) {
            assertTrue(files.contains(dir.resolve(name)) && Files.size(dir.resolve(name)) > 0, name);
        }
        byte[] png = Arrays.copyOf(Files.readAllBytes(dir.resolve("speedup-pairs.png")), 4);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, png);

        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(dir.resolve("results.jsonl"));
        assertEquals(rows.size(), lines.size());
        for (String line : lines) {
            JsonNode o = json.readTree(line);
            for (String key : REQUIRED_KEYS) assertTrue(o.has(key), "missing " + key + " in " + line);
            assertEquals(line, json.writeValueAsString(BenchResult.fromJson(o).toMap()), "round trip");
        }
        List<String> csv = Files.readAllLines(dir.resolve("results.csv"));
        assertEquals(rows.size() + 1, csv.size());
        assertTrue(csv.get(0).startsWith(String.join(",", REQUIRED_KEYS.subList(0, 5))), csv.get(0));

        JsonNode env = json.readTree(dir.resolve("env.json").toFile());
        for (String key : List.of("date", "command", "git_commit", "devices", "jvm", "os", "options", "settings")) {
            assertTrue(env.has(key), "env.json lacks " + key);
        }
        assertEquals("1.0", env.get("devices").get(0).get("driver_version").asText());

        String summary = Files.readString(dir.resolve("summary.md"));
        assertTrue(summary.contains("## Seed pairs") && summary.contains("](speedup-pairs.png)"), summary);
        assertTrue(summary.contains("- Load average 0.25 on "), summary);
        assertEquals(0.25, env.get("load_average_before").asDouble());
    }

    private static BlockResult blockPath(SeedPair pair, org.convcl.BlockMode mode, double ms) {
        return new BlockResult("seed-pairs", pair.name(), "cpu", "dev", mode, pair.block().orElseThrow(), pair.input(1),
                10, 2, new Stats(ms, ms * 0.9, ms * 1.2), "test " + mode);
    }

    @Test
    void blockPathsGetATableAChartAndRoundTrippingLinesOfKindBlock(@TempDir Path dir) throws IOException {
        Suite s = SuitesTest.repoSuites().get("seed-pairs");
        List<SeedPair> pairs = BenchRunner.blockPairs(s, true);
        assertEquals(List.of("mobilenet 32-64@112", "mobilenet 512-1024@14/2", "gamma=4 at depthwise",
                "gamma=4 distributed (sqrt 2+2)"), pairs.stream().map(SeedPair::name).toList(),
                "the quick depthwise-separable pairs form blocks, spatial pairs do not");
        SeedPair pair = pairs.get(0);
        List<BlockResult> blocks = List.of(blockPath(pair, org.convcl.BlockMode.UNFUSED, 3.0),
                blockPath(pair, org.convcl.BlockMode.FUSED, 2.0));
        Report r = Report.of(ZonedDateTime.parse("2026-11-22T10:00:00Z"), "convcl bench --test", List.of(DEVICE),
                List.of(s), new BenchRunner.Options(1, 10, 2, true), List.of(), List.of(), blocks, List.of(), null, 1.0, 0.25, null);
        String row = r.blocksTable().plain().lines().filter(l -> l.startsWith("mobilenet 32-64@112")).findFirst().orElseThrow();
        assertTrue(row.contains("1x32x112x112") && row.contains("3.00") && row.contains("2.00") && row.endsWith("1.50x"), row);

        List<Path> files = ReportWriter.write(r, dir);
        assertTrue(files.contains(dir.resolve("blocks.png")) && Files.size(dir.resolve("blocks.png")) > 0);
        assertTrue(Files.readString(dir.resolve("summary.md")).contains("## Fused vs unfused blocks"));
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(dir.resolve("results.jsonl"));
        assertEquals(2, lines.size());
        for (int i = 0; i < 2; i++) {
            JsonNode o = json.readTree(lines.get(i));
            assertEquals("block", o.get("kind").asText());
            assertEquals(i == 0 ? "unfused" : "fused", o.get("mode").asText());
            assertEquals(pair.name(), o.get("case").asText());
            assertEquals(org.convcl.BlockCost.of(pair.block().orElseThrow(), pair.input(1)).macs(), o.get("macs").asLong());
            assertEquals(lines.get(i), json.writeValueAsString(BlockResult.fromJson(o).toMap()), "round trip");
        }
        assertTrue(json.readTree(lines.get(1)).get("bytes").asLong() < json.readTree(lines.get(0)).get("bytes").asLong(),
                "the fused path does not move the intermediate tensor");
    }

    @Test
    void statsTakeTheMiddleOfSortedTimings() {
        assertEquals(new Stats(2.0, 1.0, 9.0), Stats.ofNanos(new long[] {9_000_000, 1_000_000, 2_000_000}));
        assertEquals(new Stats(2.5, 1.0, 9.0), Stats.ofNanos(new long[] {9_000_000, 1_000_000, 2_000_000, 3_000_000}));
    }

    @Test
    void roundsTakeTheMiddleRoundMedianAndTheOuterExtremes() {
        Stats a = new Stats(2.0, 1.5, 3.0), b = new Stats(4.0, 1.0, 5.0), c = new Stats(3.0, 2.5, 9.0);
        assertEquals(new Stats(3.0, 1.0, 9.0), Stats.ofRounds(List.of(a, b, c)));
        assertEquals(new Stats(3.0, 1.0, 5.0), Stats.ofRounds(List.of(b, a)));
        assertThrows(IllegalArgumentException.class, () -> Stats.ofRounds(List.of()));
    }

    @Test
    void mergingRoundsKeepsDifferentSeriesAndInputsApart() {
        BenchCase c = SuitesTest.repoSuites().get("mobilenet-v1").cases().get(1);
        BenchResult opencl = row(c, "opencl", 1.0), torch = row(c, "pytorch-cpu", 2.0), opencl2 = row(c, "opencl", 3.0);
        List<BenchResult> merged = BenchResult.mergeRounds(List.of(opencl, torch, opencl2));
        assertEquals(List.of("opencl", "pytorch-cpu"), merged.stream().map(BenchResult::backend).toList());
        assertEquals(2.0, merged.get(0).kernel().medianMs(), 1e-12, "median of 1.0 and 3.0");
        assertEquals(2.2, merged.get(0).call().medianMs(), 1e-12);
        assertEquals(20, merged.get(0).runs());
        assertEquals(torch, merged.get(1), "a single round is kept as it is");
    }

    @Test
    void settingsKeepOnlyWhatChangesARunSortedByName() {
        java.util.Properties props = new java.util.Properties();
        props.setProperty("convcl.algorithm", "winograd");
        props.setProperty("java.version", "17");
        var settings = ReportWriter.settings(java.util.Map.of("POCL_AFFINITY", "1", "HOME", "/root",
                "CONVCL_DEVICE", "0:0", "OCL_ICD_VENDORS", "/etc/OpenCL/vendors", "XPOCL_X", "no"), props);
        assertEquals(List.of("-Dconvcl.algorithm", "CONVCL_DEVICE", "OCL_ICD_VENDORS", "POCL_AFFINITY"),
                List.copyOf(settings.keySet()));
        assertEquals("1", settings.get("POCL_AFFINITY"));
        assertEquals("winograd", settings.get("-Dconvcl.algorithm"));
    }

    @Test
    void passTotalsSumEachBackwardPassPerSeriesAgainstPyTorch(@TempDir Path dir) throws IOException {
        Suite mobilenet = SuitesTest.repoSuites().get("mobilenet-v1");
        List<BenchCase> cases = mobilenet.cases(false);
        List<BenchResult> rows = new ArrayList<>();
        for (BenchCase c : cases) {
            rows.add(row(c, "cpu", 1.0)); // forward: Σ 28 ms
            rows.add(withPass(row(c, "cpu", 2.0), Pass.BACKWARD_DATA)); // Σ 56 ms
            rows.add(withPass(row(c, "pytorch-cpu", 4.0), Pass.BACKWARD_DATA)); // Σ 112 ms: 2.00x slower than cpu
            rows.add(withPass(row(c, "cpu", 3.0), Pass.BACKWARD_FILTER)); // Σ 84 ms, no PyTorch rows
        }
        Report r = Report.of(ZonedDateTime.parse("2026-11-22T10:00:00Z"), "convcl bench --test", List.of(DEVICE),
                List.of(mobilenet), new BenchRunner.Options(8, 10, 2, false, List.of(Pass.values())), rows, List.of(),
                List.of(), List.of(), null, 1.0, 0.25, null);
        String totals = r.passTotals();
        assertTrue(totals.startsWith("MobileNet-V1 convolutions at batch 8 per pass"), totals);
        String data = totals.lines().filter(l -> l.startsWith("backward-data") && l.contains("cpu:dev")
                && !l.contains("pytorch")).findFirst().orElseThrow();
        assertTrue(data.contains("28 of 28") && data.contains("56.0") && data.endsWith("2.00x"), data);
        String filter = totals.lines().filter(l -> l.startsWith("backward-filter")).findFirst().orElseThrow();
        assertTrue(filter.contains("84.0") && filter.endsWith("-"), filter);
        // The forward sums stay in the stack table, which counts forward rows only.
        String cpu = r.stackTotals().lines().filter(l -> l.startsWith("cpu:dev")).findFirst().orElseThrow();
        assertTrue(cpu.contains("28 of 28") && cpu.contains("28.0"), cpu);
        assertTrue(r.resultsTable().plain().lines().findFirst().orElseThrow().contains("pass"));
        assertEquals("", report(List.of()).passTotals(), "no pass totals without backward rows");
        assertTrue(!report(List.of()).resultsTable().plain().contains("pass"), "the forward-only table has no pass column");

        // Rows round-trip with their pass; a row without "pass" reads as forward; a bad pass is named.
        ReportWriter.write(r, dir);
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(dir.resolve("results.jsonl"));
        for (int i = 0; i < lines.size(); i++) {
            BenchResult back = BenchResult.fromJson(json.readTree(lines.get(i)));
            assertEquals(rows.get(i).pass(), back.pass(), lines.get(i));
            assertEquals(lines.get(i), json.writeValueAsString(back.toMap()), "round trip");
        }
        com.fasterxml.jackson.databind.node.ObjectNode old =
                (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(lines.get(1));
        old.remove("pass");
        assertEquals(Pass.FORWARD, BenchResult.fromJson(old).pass());
        old.put("pass", "sideways");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> BenchResult.fromJson(old));
        assertTrue(e.getMessage().contains("'pass'") && e.getMessage().contains("'sideways'"), e.getMessage());
        assertTrue(Files.readString(dir.resolve("summary.md")).contains("per pass"), "the summary carries the pass sums");
    }

    private static BenchResult withPass(BenchResult r, Pass pass) {
        return new BenchResult(r.suite(), r.caseName(), r.kind(), r.backend(), r.device(), r.spec(), r.input(), r.runs(),
                r.warmup(), r.endToEnd(), r.kernel(), r.call(), r.plan(), pass);
    }
}
