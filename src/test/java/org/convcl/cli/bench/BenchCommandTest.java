package org.convcl.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.convcl.cli.BenchCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** {@code convcl bench} in-process: bad options exit 2 with one line; a tiny CPU run writes the whole report. */
class BenchCommandTest {

    record Run(int exit, String out, String err) {}

    static Run bench(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new BenchCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--suite nosuch|unknown suite 'nosuch'",
        "--suite resnet,nosuch|unknown suite 'nosuch'",
        "--runs 0|--runs must be at least 1, got 0",
        "--warmup -1|--warmup must be at least 0, got -1",
        "--batch 0|--batch must be at least 1, got 0",
        "--format xml|--format must be table or jsonl, got 'xml'",
        "--backend gpu|--backend must be all, opencl, cpu or clblast (comma-separated), got 'gpu'",
        "--device nosuch-device --backend cpu|no device matches 'nosuch-device'; the devices are: cpu cpu Java CPU",
        "--suites-dir /nonexistent/suites|suites directory /nonexistent/suites does not exist",
        "--compare /nonexistent/torch.jsonl|--compare file /nonexistent/torch.jsonl cannot be read",
        "--rounds 0|--rounds must be at least 1, got 0",
        "--compare-command true|--compare-command needs --compare FILE",
        "--pass sideways|--pass must be forward, backward-data, backward-filter or all (comma-separated), got 'sideways'",
        "--pass forward,all,Back|--pass must be forward, backward-data, backward-filter or all (comma-separated), got 'Back'",
    })
    void badOptionsExitTwoWithOneLine(String args, String expected) {
        Run r = bench(args.split(" "));
        assertEquals(2, r.exit(), r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("convcl bench: ") && lines.get(0).contains(expected), r.err());
        assertEquals("", r.out());
    }

    @Test
    void badCompareLinesAreNamed(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("t.jsonl"), "{\"suite\":\"resnet\"}\n");
        Run r = bench("--backend", "cpu", "--compare", f.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("line 1: missing field 'cin'"), r.err());
    }

    /** A three-layer suite with one seed pair, small enough to run in a second. */
    static Path tinySuite(Path dir) throws IOException {
        Path suites = Files.createDirectories(dir.resolve("suites"));
        Files.writeString(suites.resolve("tiny.json"), """
                {"suite": "tiny", "description": "test", "cases": [
                  {"name": "std", "kind": "full", "cin": 4, "h": 9, "w": 9, "cout": 8, "kh": 3, "kw": 3, "pad": 1, "quick": true},
                  {"name": "dw", "kind": "depthwise", "cin": 4, "h": 9, "w": 9, "cout": 4, "kh": 3, "kw": 3, "pad": 1, "groups": 4, "quick": true},
                  {"name": "pw", "kind": "pointwise", "cin": 4, "h": 9, "w": 9, "cout": 8, "kh": 1, "kw": 1, "quick": true},
                  {"name": "slow", "kind": "full", "cin": 4, "h": 9, "w": 9, "cout": 8, "kh": 5, "kw": 5}],
                 "pairs": [{"name": "tiny pair", "formula": "depthwise-separable", "standard": ["std"], "separable": ["dw", "pw"]}]}
                """);
        return suites;
    }

    /** A PyTorch-format row for the tiny suite's "std" case with the given kernel median (ms). */
    static String torchRow(double kernelMedianMs) {
        return "{\"suite\":\"tiny\",\"case\":\"std\",\"kind\":\"full\","
                + "\"backend\":\"pytorch-cpu\",\"device\":\"cpu (torch 1.13)\",\"n\":1,\"cin\":4,\"h\":9,\"w\":9,\"cout\":8,"
                + "\"kh\":3,\"kw\":3,\"stride_h\":1,\"stride_w\":1,\"pad_t\":1,\"pad_l\":1,\"pad_b\":1,\"pad_r\":1,\"dil_h\":1,"
                + "\"dil_w\":1,\"groups\":1,\"runs\":10,\"warmup\":3,\"ms_median\":0.5,\"ms_min\":0.1,\"ms_max\":0.9,"
                + "\"kernel_ms_median\":" + kernelMedianMs + ",\"kernel_ms_min\":0.01,\"kernel_ms_max\":" + (kernelMedianMs * 2) + "}\n";
    }

    @Test
    void roundsAlternateWithTheCompareCommandAndReportTheMedianOfRoundMedians(@TempDir Path dir) throws IOException {
        Path suites = tinySuite(dir);
        Path torch = dir.resolve("torch.jsonl");
        Files.writeString(torch, "");
        Path rows = Files.writeString(dir.resolve("rows.jsonl"), torchRow(0.02) + torchRow(0.06) + torchRow(0.03));
        // Round r appends line r of rows.jsonl (each round's command sees how many rounds came before it).
        String command = "n=$(wc -l < '" + torch + "'); sed -n \"$((n + 1))p\" '" + rows + "' >> '" + torch + "'";
        Run r = bench("--backend", "cpu", "--suites-dir", suites.toString(), "--suite", "tiny", "--quick", "--runs", "2",
                "--warmup", "0", "--out", dir.resolve("o").toString(), "--format", "jsonl", "--rounds", "3",
                "--compare", torch.toString(), "--compare-command", command);
        assertEquals(0, r.exit(), r.err());
        assertEquals(3, Files.readAllLines(torch).size(), "the compare command ran once per round");
        assertTrue(r.err().contains("round 3 of 3"), r.err());
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : r.out().lines().toList()) {
            JsonNode o = json.readTree(line);
            if (!BlockResult.isBlockLine(o)) lines.add(o);
            else assertEquals(6, o.get("runs").asInt(), "3 rounds of 2 runs of each block path: " + o);
        }
        assertEquals(4, lines.size(), r.out());
        for (JsonNode o : lines.subList(0, 3)) {
            assertEquals("cpu", o.get("backend").asText());
            assertEquals(6, o.get("runs").asInt(), "3 rounds of 2 runs: " + o);
        }
        JsonNode t = lines.get(3);
        assertEquals("pytorch-cpu", t.get("backend").asText());
        assertEquals(0.03, t.get("kernel_ms_median").asDouble(), 1e-12, "median of 0.02, 0.06, 0.03");
        assertEquals(0.12, t.get("kernel_ms_max").asDouble(), 1e-12);
        assertEquals(30, t.get("runs").asInt());
    }

    /** A three-layer stand-in for the MobileNet-V1 suite (the stack suite goes by name), two layers quick. */
    static Path tinyStackSuite(Path dir) throws IOException {
        Path suites = Files.createDirectories(dir.resolve("stack-suites"));
        Files.writeString(suites.resolve("mobilenet-v1.json"), """
                {"suite": "mobilenet-v1", "description": "tiny stack", "cases": [
                  {"name": "conv1", "kind": "full", "cin": 3, "h": 16, "w": 16, "cout": 8, "kh": 3, "kw": 3, "stride": 2, "pad": 1, "quick": true},
                  {"name": "dw1", "kind": "depthwise", "cin": 8, "h": 8, "w": 8, "cout": 8, "kh": 3, "kw": 3, "pad": 1, "groups": 8, "quick": true},
                  {"name": "pw1", "kind": "pointwise", "cin": 8, "h": 8, "w": 8, "cout": 16, "kh": 1, "kw": 1}]}
                """);
        return suites;
    }

    /** A PyTorch stack line for the tiny stack suite. */
    static String torchStack(int batch, int layers, double medianMs) {
        return "{\"suite\":\"mobilenet-v1\",\"case\":\"stack\",\"kind\":\"network\",\"backend\":\"pytorch-cpu\","
                + "\"device\":\"cpu (torch 1.13)\",\"n\":" + batch + ",\"layers\":" + layers + ",\"runs\":4,\"warmup\":0,"
                + "\"ms_median\":" + medianMs + ",\"ms_min\":" + medianMs / 2 + ",\"ms_max\":" + medianMs * 2 + "}\n";
    }

    @Test
    void theStackSuiteIsAlsoTimedBackToBackInEveryRoundNextToPyTorchsStack(@TempDir Path dir) throws IOException {
        Path suites = tinyStackSuite(dir);
        Path torch = Files.writeString(dir.resolve("torch.jsonl"), "");
        // Rounds 1 and 2 append a PyTorch stack of 0.4 and 0.2 ms at batch 2 over the 3 layers; round 1 also one for
        // batch 1 and one for the 2-layer quick subset, which this run leaves out.
        Path lines = Files.writeString(dir.resolve("lines.jsonl"), torchStack(2, 3, 0.4) + torchStack(2, 3, 0.2));
        String command = "n=$(wc -l < '" + torch + "'); if [ $n = 0 ]; then sed -n 1p '" + lines + "' >> '" + torch
                + "'; printf '%s' '" + torchStack(1, 3, 9.0).trim() + "' '\n' '" + torchStack(2, 2, 9.0).trim() + "' '\n' >> '"
                + torch + "'; else sed -n 2p '" + lines + "' >> '" + torch + "'; fi";
        Run r = bench("--backend", "cpu", "--suites-dir", suites.toString(), "--runs", "2", "--warmup", "0",
                "--batch", "2", "--out", dir.resolve("o").toString(), "--format", "jsonl", "--rounds", "2",
                "--compare", torch.toString(), "--compare-command", command);
        assertEquals(0, r.exit(), r.err());
        assertEquals(4, Files.readAllLines(torch).size(), Files.readString(torch));
        assertTrue(r.err().contains("2 rows of"), "the batch-1 and the 2-layer stack lines are left out: " + r.err());
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (String line : r.out().lines().toList()) out.add(json.readTree(line));
        assertEquals(5, out.size(), "3 layer rows, convcl's stack, PyTorch's stack:\n" + r.out());
        for (JsonNode o : out.subList(0, 3)) assertTrue(!StackResult.isStackLine(o), o.toString());
        StackResult cpu = StackResult.fromJson(out.get(3));
        assertEquals("cpu", cpu.backend());
        assertEquals(2, cpu.batch());
        assertEquals(3, cpu.layers());
        assertEquals(4, cpu.runs(), "2 rounds of 2 passes");
        assertTrue(cpu.time().minMs() > 0 && cpu.time().minMs() <= cpu.time().medianMs(), cpu.toString());
        StackResult pytorch = StackResult.fromJson(out.get(4));
        assertEquals("pytorch-cpu", pytorch.backend());
        assertEquals(0.3, pytorch.time().medianMs(), 1e-12, "median of 0.4 and 0.2");
        assertEquals(8, pytorch.runs());

        Path report;
        try (Stream<Path> s = Files.list(dir.resolve("o"))) {
            report = s.findFirst().orElseThrow();
        }
        String summary = Files.readString(report.resolve("summary.md"));
        String ratio = String.format(java.util.Locale.ROOT, "%.2fx", cpu.time().medianMs() / 0.3);
        assertTrue(summary.contains("back-to-back ms") && summary.contains(ratio), ratio + " in\n" + summary);
    }

    @Test
    void theQuickRunTimesTheQuickLayersBackToBackInTheTable(@TempDir Path dir) throws IOException {
        Path suites = tinyStackSuite(dir);
        Run r = bench("--backend", "cpu", "--suites-dir", suites.toString(), "--quick", "--runs", "1", "--warmup", "0",
                "--out", dir.resolve("o").toString());
        assertEquals(0, r.exit(), r.err());
        String line = r.out().lines().filter(l -> l.startsWith("cpu:")).reduce((a, b) -> b).orElseThrow();
        assertTrue(line.contains("2 of 2") && !line.contains(" - "), "sums and a back-to-back time:\n" + r.out());
    }

    @Test
    void aFailingCompareCommandStopsTheRun(@TempDir Path dir) throws IOException {
        Path suites = tinySuite(dir);
        Path torch = Files.writeString(dir.resolve("torch.jsonl"), "");
        Run r = bench("--backend", "cpu", "--suites-dir", suites.toString(), "--suite", "tiny", "--quick", "--runs", "1",
                "--warmup", "0", "--out", dir.resolve("o").toString(), "--compare", torch.toString(),
                "--compare-command", "exit 3");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--compare-command exited with 3 in round 1"), r.err());
    }

    @Test
    void tinyCpuRunWritesTheWholeReport(@TempDir Path dir) throws IOException {
        Path suites = tinySuite(dir);
        Path torch = Files.writeString(dir.resolve("torch.jsonl"), "{\"suite\":\"tiny\",\"case\":\"std\",\"kind\":\"full\","
                + "\"backend\":\"pytorch-cpu\",\"device\":\"cpu (torch 1.13)\",\"n\":1,\"cin\":4,\"h\":9,\"w\":9,\"cout\":8,"
                + "\"kh\":3,\"kw\":3,\"stride_h\":1,\"stride_w\":1,\"pad_t\":1,\"pad_l\":1,\"pad_b\":1,\"pad_r\":1,\"dil_h\":1,"
                + "\"dil_w\":1,\"groups\":1,\"runs\":10,\"warmup\":3,\"ms_median\":0.02,\"ms_min\":0.01,\"ms_max\":0.05,"
                + "\"kernel_ms_median\":0.02,\"kernel_ms_min\":0.01,\"kernel_ms_max\":0.05}\n"
                + "{\"suite\":\"other\",\"case\":\"x\",\"kind\":\"full\",\"backend\":\"pytorch-cpu\",\"device\":\"cpu\",\"n\":1,"
                + "\"cin\":4,\"h\":9,\"w\":9,\"cout\":8,\"kh\":3,\"kw\":3,\"stride_h\":1,\"stride_w\":1,\"pad_t\":1,\"pad_l\":1,"
                + "\"pad_b\":1,\"pad_r\":1,\"dil_h\":1,\"dil_w\":1,\"groups\":1,\"runs\":10,\"warmup\":3,\"ms_median\":0.02,"
                + "\"ms_min\":0.01,\"ms_max\":0.05,\"kernel_ms_median\":0.02,\"kernel_ms_min\":0.01,\"kernel_ms_max\":0.05}\n"
                + "{\"suite\":\"tiny\",\"case\":\"tiny pair\",\"kind\":\"block\",\"mode\":\"fused\"}\n");
        Path out = dir.resolve("results");
        Run r = bench("--backend", "cpu", "--suites-dir", suites.toString(), "--suite", "tiny", "--quick", "--runs", "3",
                "--warmup", "1", "--out", out.toString(), "--compare", torch.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("tiny pair") && r.out().contains("pytorch-cpu:cpu (torch 1.13)"), r.out());
        assertTrue(!r.out().contains("slow"), "--quick ran an unmarked case:\n" + r.out());
        assertTrue(r.err().contains("2 rows of") && r.err().contains("Report: "), r.err()); // other suite, block line

        List<Path> folders;
        try (Stream<Path> s = Files.list(out)) {
            folders = s.toList();
        }
        assertEquals(1, folders.size());
        Path report = folders.get(0);
        assertTrue(report.getFileName().toString().matches("\\d{8}-\\d{6}-.+"), report.toString());
        for (String name : List.of("results.csv", "results.jsonl", "env.json", "summary.md", "gflops-tiny.png",
                "speedup-pairs.png")) {
            assertTrue(Files.size(report.resolve(name)) > 0, name);
        }
        ObjectMapper json = new ObjectMapper();
        List<String> backends = new ArrayList<>();
        List<String> blockModes = new ArrayList<>();
        for (String line : Files.readAllLines(report.resolve("results.jsonl"))) {
            JsonNode o = json.readTree(line);
            if (BlockResult.isBlockLine(o)) {
                // The tiny pair's block, each path timed --runs times, after the per-layer rows.
                assertEquals("tiny pair", o.get("case").asText(), line);
                assertEquals(3, o.get("runs").asInt(), line);
                assertTrue(o.get("ms_median").asDouble() > 0 && o.get("gflops").asDouble() > 0, line);
                assertTrue(o.get("plan").asText().startsWith(o.get("mode").asText()), line);
                blockModes.add(o.get("mode").asText());
                continue;
            }
            assertTrue(blockModes.isEmpty(), "block lines come last: " + line);
            for (String key : ReportTest.REQUIRED_KEYS) assertTrue(o.has(key), "missing " + key + " in " + line);
            assertTrue(o.get("kernel_ms_median").asDouble() > 0 && o.get("gflops").asDouble() > 0, line);
            backends.add(o.get("backend").asText());
        }
        assertEquals(List.of("cpu", "cpu", "cpu", "pytorch-cpu"), backends);
        assertEquals(List.of("unfused", "fused"), blockModes);
        assertTrue(Files.size(report.resolve("blocks.png")) > 0);
        assertTrue(r.out().contains("Fused vs unfused blocks of the seed pairs"), r.out());
        JsonNode env = json.readTree(report.resolve("env.json").toFile());
        assertEquals("cpu", env.get("devices").get(0).get("id").asText());
        assertTrue(env.get("command").asText().startsWith("bench --backend cpu --suites-dir "), env.toString());
        assertTrue(Files.readString(report.resolve("summary.md")).contains("tiny pair"));
    }

    @Test
    void jsonlFormatPrintsOneObjectPerCase(@TempDir Path dir) throws IOException {
        Path suites = tinySuite(dir);
        Run r = bench("--backend", "cpu", "--suites-dir", suites.toString(), "--suite", "tiny", "--quick", "--runs", "2",
                "--warmup", "0", "--out", dir.resolve("o").toString(), "--format", "jsonl");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(3 + 2, lines.size(), "three quick cases, the pair's block fused and unfused:\n" + r.out());
        ObjectMapper json = new ObjectMapper();
        for (String line : lines) assertEquals("tiny", json.readTree(line).get("suite").asText());
        assertEquals(List.of("unfused", "fused"), lines.subList(3, 5).stream().map(l -> {
            try {
                return json.readTree(l).get("mode").asText();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList());
    }

    @Test
    void passAllTimesEveryPassOfEveryCaseAndLeavesOutNoForwardMeasurement(@TempDir Path dir) throws IOException {
        Path suites = tinySuite(dir);
        // A PyTorch backward-data row for "std" is merged; its forward row would be too, its pass is not asked for below.
        Path torch = Files.writeString(dir.resolve("torch.jsonl"),
                torchRow(0.02).replace("}\n", ",\"pass\":\"backward-data\"}\n"));
        Path out = dir.resolve("results");
        Run r = bench("--backend", "cpu", "--suites-dir", suites.toString(), "--suite", "tiny", "--quick", "--runs", "2",
                "--warmup", "1", "--out", out.toString(), "--pass", "all", "--compare", torch.toString());
        assertEquals(0, r.exit(), r.err());
        List<Path> folders;
        try (Stream<Path> s = Files.list(out)) {
            folders = s.toList();
        }
        Path report = folders.get(0);
        ObjectMapper json = new ObjectMapper();
        List<String> rows = new ArrayList<>();
        int blockLines = 0;
        for (String line : Files.readAllLines(report.resolve("results.jsonl"))) {
            JsonNode o = json.readTree(line);
            if (BlockResult.isBlockLine(o)) {
                blockLines++;
                continue;
            }
            for (String key : ReportTest.REQUIRED_KEYS) assertTrue(o.has(key), "missing " + key + " in " + line);
            assertTrue(o.get("kernel_ms_median").asDouble() > 0 && o.get("gflops").asDouble() > 0, line);
            rows.add(o.get("case").asText() + " " + o.get("pass").asText() + " " + o.get("backend").asText());
        }
        assertEquals(List.of("std forward cpu", "std backward-data cpu", "std backward-filter cpu",
                "dw forward cpu", "dw backward-data cpu", "dw backward-filter cpu",
                "pw forward cpu", "pw backward-data cpu", "pw backward-filter cpu",
                "std backward-data pytorch-cpu"), rows, "each pass of each case, then the compared row");
        assertEquals(2, blockLines, "with forward among the passes the pair's block is timed fused and unfused");
        List<String> csv = Files.readAllLines(report.resolve("results.csv"));
        assertTrue(csv.get(0).endsWith(",pass") && csv.get(2).endsWith(",backward-data"), csv.get(0) + "\n" + csv.get(2));
        String header = r.out().lines().findFirst().orElseThrow();
        assertTrue(header.contains("pass"), header);
        assertTrue(r.out().contains("backward-filter"), r.out());

        // Without forward: backward rows only, no block, and a note saying what was left out.
        Run back = bench("--backend", "cpu", "--suites-dir", suites.toString(), "--suite", "tiny", "--quick", "--runs", "2",
                "--warmup", "0", "--out", dir.resolve("o2").toString(), "--pass", "backward-filter", "--format", "jsonl");
        assertEquals(0, back.exit(), back.err());
        List<String> lines = back.out().lines().toList();
        assertEquals(3, lines.size(), back.out());
        for (String line : lines) assertEquals("backward-filter", json.readTree(line).get("pass").asText(), line);
        assertTrue(back.err().contains("--pass backward-filter leaves out the forward-only measurements"), back.err());
    }
}
