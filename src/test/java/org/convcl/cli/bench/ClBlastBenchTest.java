package org.convcl.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.convcl.ConvSpec;
import org.convcl.DeviceInfo;
import org.convcl.TestBackends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CLBlast as the benchmark's yardstick: which layers it can compute, the output check that keeps a wrong layout from
 * producing a number, the ratio table, and a tiny run through {@code convcl bench --backend opencl,clblast}.
 */
class ClBlastBenchTest {

    private static BenchCase benchCase(String name, ConvSpec spec) {
        return new BenchCase("t", name, spec.kind(), 1, spec, 9, 9, true);
    }

    @Test
    void unsupportedNamesGroupedAndAsymmetricCases() {
        assertEquals(java.util.Optional.empty(), ClBlast.unsupported(ConvSpec.builder(8, 16, 1, 1).build()));
        assertEquals(java.util.Optional.empty(), ClBlast.unsupported(ConvSpec.builder(8, 16, 3, 3).padding(1, 1, 1, 1).build()));
        assertEquals(java.util.Optional.empty(), ClBlast.unsupported(ConvSpec.builder(8, 16, 3, 1).padding(1, 0, 1, 0).build()));
        assertTrue(ClBlast.unsupported(ConvSpec.builder(8, 8, 3, 3).groups(8).build()).orElseThrow()
                .contains("no grouped convolution (groups=8)"));
        assertTrue(ClBlast.unsupported(ConvSpec.builder(8, 16, 3, 3).groups(2).build()).orElseThrow()
                .contains("groups=2"));
        assertTrue(ClBlast.unsupported(ConvSpec.builder(8, 16, 3, 3).padding(0, 0, 1, 1).build()).orElseThrow()
                .contains("symmetric padding only (pads t/l/b/r = 0/0/1/1)"));
    }

    @Test
    void verifyRejectsATransposedOutputAndAcceptsRounding() {
        BenchCase c = benchCase("pw", ConvSpec.builder(2, 3, 1, 1).build());
        DeviceInfo cpu = TestBackends.cpu().device();
        float[] expected = {1, 2, 3, 4, 5, 6};
        float[] rounded = {1.0005f, 2, 3, 4, 5, 6.001f};
        assertTrue(ClBlast.verify(c, expected, rounded, cpu).startsWith("verified vs cpu:"));
        float[] transposed = {1, 4, 2, 5, 3, 6};
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ClBlast.verify(c, expected, transposed, cpu));
        assertTrue(e.getMessage().contains("differs from convcl") && e.getMessage().contains("flat index"), e.getMessage());
        float[] nan = {1, 2, Float.NaN, 4, 5, 6};
        assertThrows(IllegalStateException.class, () -> ClBlast.verify(c, expected, nan, cpu));
    }

    @Test
    void groupsAndTargets() {
        assertEquals("pointwise", ClBlastComparison.group(ConvSpec.builder(8, 16, 1, 1).build()));
        assertEquals("full 3x3", ClBlastComparison.group(ConvSpec.builder(8, 16, 3, 3).padding(1, 1, 1, 1).build()));
        assertEquals("full 3x3/2", ClBlastComparison.group(ConvSpec.builder(3, 32, 3, 3).stride(2, 2).build()));
        assertEquals("full 1x1/2", ClBlastComparison.group(ConvSpec.builder(8, 16, 1, 1).stride(2, 2).build()));
        assertEquals("depthwise", ClBlastComparison.group(ConvSpec.builder(8, 8, 3, 3).groups(8).build()));
        assertEquals(2.0, ClBlastComparison.target("pointwise"));
        assertEquals(3.0, ClBlastComparison.target("full 3x3"));
        assertNull(ClBlastComparison.target("full 3x3/2"));
    }

    @Test
    void comparisonPairsRowsAndMarksNotApplicable() {
        ConvSpec pw = ConvSpec.builder(4, 8, 1, 1).build();
        ConvSpec dw = ConvSpec.builder(4, 4, 3, 3).padding(1, 1, 1, 1).groups(4).build();
        List<BenchResult> rows = List.of(
                row("pw", pw, "opencl", 1.0), row("dw", dw, "opencl", 1.0), row("pw", pw, ClBlast.BACKEND, 3.0),
                row("pw", pw, "cpu", 9.0));
        ClBlastComparison cmp = ClBlastComparison.of(rows);
        assertEquals(2, cmp.rows().size());
        ClBlastComparison.Row p = cmp.rows().get(0);
        assertEquals(3.0, p.ratio(), 1e-12, "ratio = CLBlast time / convcl time");
        ClBlastComparison.Row d = cmp.rows().get(1);
        assertNull(d.ratio());
        assertTrue(d.note().startsWith("n/a: CLBlast has no grouped convolution"), d.note());
        assertTrue(cmp.casesTable().plain().contains("n/a"));
        ClBlastComparison.Group g = cmp.groups().get(0);
        assertEquals("pointwise", g.group());
        assertEquals(3.0, g.ratioGeomean(), 1e-12);
        assertEquals(Boolean.TRUE, g.met());
        assertTrue(ClBlastComparison.of(List.of(row("pw", pw, "opencl", 1.0))).isEmpty(), "no CLBlast rows, no table");
    }

    private static BenchResult row(String name, ConvSpec spec, String backend, double kernelMs) {
        Stats s = new Stats(kernelMs, kernelMs, kernelMs);
        return new BenchResult("t", name, spec.kind().name().toLowerCase(), backend, "dev", spec,
                new org.convcl.Shape(1, spec.inChannels(), 9, 9), 10, 1, s, s, s, "");
    }

    /** CLBlast must load here in strict mode; elsewhere a missing JOCLBlast is reported as an aborted test. */
    private static void requireClBlast() {
        String why = ClBlast.unavailableReason();
        if (why == null) return;
        if (TestBackends.strict()) fail("convcl.strict=true but CLBlast cannot load: " + why);
        Assumptions.abort("CLBlast not tested: " + why);
    }

    @Test
    void tinyClBlastRunIsVerifiedAndReported(@TempDir Path dir) throws IOException {
        TestBackends.opencl();
        requireClBlast();
        Path suites = BenchCommandTest.tinySuite(dir);
        Path out = dir.resolve("results");
        for (int batch : new int[] {1, 2}) {
            BenchCommandTest.Run r = BenchCommandTest.bench("--backend", "opencl,clblast", "--suites-dir",
                    suites.toString(), "--suite", "tiny", "--quick", "--runs", "2", "--warmup", "0",
                    "--batch", String.valueOf(batch), "--out", out.resolve("b" + batch).toString(), "--format", "jsonl");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.err().contains("1 case(s) n/a on CLBlast (no number): CLBlast has no grouped convolution"), r.err());
            ObjectMapper json = new ObjectMapper();
            Map<String, JsonNode> clblast = new HashMap<>();
            int convcl = 0;
            for (String line : r.out().lines().toList()) {
                JsonNode o = json.readTree(line);
                if (BlockResult.isBlockLine(o)) continue; // the tiny pair's block, on convcl
                for (String key : ReportTest.REQUIRED_KEYS) assertTrue(o.has(key), "missing " + key + " in " + line);
                assertEquals(batch, o.get("n").asInt(), line);
                if (o.get("backend").asText().equals(ClBlast.BACKEND)) clblast.put(o.get("case").asText(), o);
                else convcl++;
            }
            assertEquals(3, convcl, r.out());
            assertEquals(java.util.Set.of("std", "pw"), clblast.keySet(), "dw is n/a, std and pw run:\n" + r.out());
            for (JsonNode o : clblast.values()) {
                String plan = o.get("plan").asText();
                assertTrue(plan.contains("verified vs opencl:"), plan);
                assertTrue(o.get("gflops").asDouble() > 0 && o.get("kernel_ms_median").asDouble() > 0, o.toString());
            }
            assertTrue(clblast.get("pw").get("plan").asText().startsWith(batch == 1 ? "CLBlastSgemm " : "CLBlastSgemmStridedBatched"));
            assertTrue(clblast.get("std").get("plan").asText().startsWith("CLBlastSconvgemm"));

            Path report;
            try (Stream<Path> s = Files.list(out.resolve("b" + batch))) {
                report = s.findFirst().orElseThrow();
            }
            String summary = Files.readString(report.resolve("summary.md"));
            assertTrue(summary.contains("## convcl vs CLBlast on the same device"), summary);
            assertTrue(summary.contains("n/a: CLBlast has no grouped convolution"), summary);
            assertTrue(Files.size(report.resolve("ratio-clblast.png")) > 0);
        }
    }
}
