package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.convcl.TestBackends;
import org.convcl.opencl.OpenClBackend;
import org.convcl.opencl.TuningFiles;
import org.convcl.plan.Algorithm;
import org.convcl.plan.DeviceFacts;
import org.convcl.plan.ShapeClass;
import org.convcl.plan.TuningTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TuneCommandTest {
    @TempDir
    Path dir;

    private Path suites() throws Exception {
        Path suites = Files.createDirectories(dir.resolve("suites"));
        Files.writeString(suites.resolve("tiny.json"), """
                {"suite": "tiny", "cases": [
                  {"name": "pw", "kind": "pointwise", "cin": 16, "h": 9, "w": 11, "cout": 24, "kh": 1, "kw": 1},
                  {"name": "dw", "kind": "depthwise", "cin": 8, "h": 13, "w": 13, "cout": 8, "kh": 3, "kw": 3, "pad": 1, "groups": 8}
                ]}""");
        return suites;
    }

    @Test
    void tinyTuneWritesAValidTuningFileAndPrintsOneRowPerLayer() throws Exception {
        TestBackends.opencl(); // fails (strict) or aborts without a device
        Path out = dir.resolve("tuning.json");
        CliTest.Result r = CliTest.convcl("tune", "--suites-dir", suites().toString(), "--suite", "tiny", "--runs", "2",
                "--warmup", "0", "--max-candidates", "2", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        TuningTable table = TuningFiles.load(out);
        assertTrue(table.size() <= 2, table.entries().toString());
        table.entries().forEach(e -> assertTrue(e.key().shapeClass().endsWith(",n1"), e.toString()));
        assertTrue(r.out().contains("tiny/pw") && r.out().contains("tiny/dw"), r.out());
        assertTrue(r.out().contains("default ms") && r.out().contains("wrote " + out), r.out());
    }

    @Test
    void badOptionsAndACorruptExistingFileAreUsageErrors() throws Exception {
        CliTest.Result runs = CliTest.convcl("tune", "--suites-dir", suites().toString(), "--runs", "0");
        assertEquals(Main.EXIT_USAGE, runs.exitCode());
        assertTrue(runs.err().contains("runs"), runs.err());
        CliTest.Result pass = CliTest.convcl("tune", "--suites-dir", suites().toString(), "--pass", "backward");
        assertEquals(Main.EXIT_USAGE, pass.exitCode());
        assertTrue(pass.err().contains("--pass must be forward, backward-data, backward-filter or all, got 'backward'"), pass.err());
        CliTest.Result suite = CliTest.convcl("tune", "--suites-dir", suites().toString(), "--suite", "nope");
        assertEquals(Main.EXIT_USAGE, suite.exitCode());
        assertTrue(suite.err().contains("unknown suite 'nope'"), suite.err());
        TestBackends.opencl();
        CliTest.Result device = CliTest.convcl("tune", "--suites-dir", suites().toString(), "--device", "nosuch-xyz");
        assertEquals(Main.EXIT_USAGE, device.exitCode());
        assertTrue(device.err().startsWith("convcl tune: no device matches 'nosuch-xyz'; the devices are: opencl "), device.err());
        Path corrupt = dir.resolve("corrupt.json");
        Files.writeString(corrupt, "{\"format\": ");
        CliTest.Result bad = CliTest.convcl("tune", "--suites-dir", suites().toString(), "--runs", "1", "--out", corrupt.toString());
        assertEquals(Main.EXIT_USAGE, bad.exitCode(), bad.out());
        assertTrue(bad.err().contains("cannot read the existing tuning file") && bad.err().contains(corrupt.toString()), bad.err());
        assertEquals("{\"format\": ", Files.readString(corrupt)); // left as it was
    }

    @Test
    void theGpuFamilyIsTunedWhenForcedAndItsWinnersCanBeStoredUnderTheVendorAndTypeKey() throws Exception {
        DeviceFacts facts = ((OpenClBackend) TestBackends.opencl()).facts();
        Path suites = Files.createDirectories(dir.resolve("gpu-suites"));
        Files.writeString(suites.resolve("pw.json"), """
                {"suite": "pw", "cases": [
                  {"name": "pw", "kind": "pointwise", "cin": 16, "h": 9, "w": 11, "cout": 24, "kh": 1, "kw": 1}
                ]}""");
        ShapeClass pwClass = new ShapeClass(Algorithm.POINTWISE_GPU, "cin<=16,hw<=256,n1");
        TuningTable.Entry own = new TuningTable.Entry(facts.deviceKey(), pwClass,
                Map.of("TILE_M", 32, "TILE_N", 32, "TILE_K", 16, "L0", 8, "L1", 8), "the device's own, kept");
        Path out = dir.resolve("gpu-tuning.json");
        TuningFiles.store(out, TuningTable.of(List.of(own)));
        CliTest.Result r = CliTest.convcl("tune", "--suites-dir", suites.toString(), "--suite", "pw", "--runs", "1", "--warmup", "0",
                "--max-candidates", "2", "--margin", "0", "--kernels", "gpu", "--store-as", "vendor", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("POINTWISE_GPU[cin<=16,hw<=256,n1]: default"), r.err()); // the GPU kernel was tuned
        TuningTable table = TuningFiles.load(out);
        assertEquals(own, table.lookup(facts.deviceKey(), pwClass).orElseThrow(), "the device's own entry is left alone");
        String vendorKey = TuningTable.vendorKey(facts.vendor(), facts.type());
        for (TuningTable.Entry e : table.entries()) {
            assertTrue(e.equals(own) || e.key().deviceKey().equals(vendorKey), e + " is neither the device's entry nor under " + vendorKey);
        }
        CliTest.Result bad = CliTest.convcl("tune", "--suites-dir", suites.toString(), "--store-as", "planet");
        assertEquals(Main.EXIT_USAGE, bad.exitCode());
        assertTrue(bad.err().contains("--store-as") && bad.err().contains("'planet'"), bad.err());
        CliTest.Result family = CliTest.convcl("tune", "--suites-dir", suites.toString(), "--kernels", "fpga");
        assertEquals(Main.EXIT_USAGE, family.exitCode());
        assertTrue(family.err().contains("--kernels") && family.err().contains("'fpga'"), family.err());
    }
}
