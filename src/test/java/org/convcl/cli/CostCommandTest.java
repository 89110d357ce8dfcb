package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code convcl cost}: tables for a layer and for suite files, usage errors as one line and exit code 2. */
class CostCommandTest {
    @TempDir
    Path dir;

    /** The cells of the table row whose first column starts with {@code form}. */
    private static String[] row(String table, String form) {
        for (String line : table.split("\n")) {
            if (line.startsWith(form)) return line.substring(form.length()).trim().split("\\s{2,}");
        }
        throw new AssertionError("no row '" + form + "' in\n" + table);
    }

    @Test
    void mobilenetLayerShowsSeed001Reduction() {
        CliTest.Result r = CliTest.convcl("cost", "--cin", "32", "--cout", "64", "--size", "112", "--padding", "1");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        String[] standard = row(r.out(), "standard");
        assertEquals("18,432", standard[1]);
        assertEquals("231,211,008", standard[2]); // Dk²·M·N·Df² = 9·32·64·112²
        String[] block = row(r.out(), "separable (γ=1)");
        assertEquals(String.format(Locale.ROOT, "%,d", 32L * (64 + 9)), block[1]);
        assertEquals(String.format(Locale.ROOT, "%,d", 32L * 112 * 112 * (64 + 9)), block[2]);
        assertEquals(String.format(Locale.ROOT, "%.4g", 1.0 / 64 + 1.0 / 9), block[5]);
        String[] spatial = row(r.out(), "spatial 3x1 + 1x3");
        assertEquals("18,432", spatial[1], "Cin→Cout 3x1 then Cout→Cout 1x3 with Cout = 2·Cin: no weight saving");
        assertTrue(!r.out().contains("distributed"), "γ 1 has no distributed form");
    }

    @Test
    void paddingDefaultsToNoneAsInRunAndPyTorch() {
        CliTest.Result r = CliTest.convcl("cost", "--cin", "32", "--cout", "64", "--size", "112");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("layer conv 32->64 k3x3 s1x1 p0,0,0,0 "), r.out());
        assertEquals(String.format(Locale.ROOT, "%,d", 9L * 32 * 64 * 110 * 110), row(r.out(), "standard")[2]);
    }

    @Test
    void distributedRowForASquareGamma() {
        CliTest.Result r = CliTest.convcl("cost", "--cin", "16", "--cout", "64", "--size", "28", "--gamma", "4");
        assertEquals(0, r.exitCode(), r.err());
        String[] d = row(r.out(), "distributed (√γ=2 each step)");
        assertEquals(String.format(Locale.ROOT, "%,d", 2L * 16 * (16 * 4 + 9)), d[1]); // √γ·N_i·(N_i·γ + F²)
    }

    @Test
    void suiteFileListsCasesAndPairs() {
        CliTest.Result r = CliTest.convcl("cost", "--suite", "seed-pairs", "--batch", "2");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("suite seed-pairs (built-in), batch 2"), r.out());
        CliTest.Result file = CliTest.convcl("cost", "--suite", "src/main/resources/org/convcl/cli/suites/seed-pairs.json",
                "--batch", "2");
        assertEquals(0, file.exitCode(), file.err());
        assertEquals(r.out().replace("(built-in)", "(src/main/resources/org/convcl/cli/suites/seed-pairs.json)"), file.out(),
                "a suite file gives the same table as the built-in suite of that name");
        String[] pair = row(r.out(), "mobilenet 32-64@112");
        assertEquals(String.format(Locale.ROOT, "%.4g", 1 / (1.0 / 64 + 1.0 / 9)), pair[3]);
        assertEquals(pair[3], pair[4]);
        assertEquals("462,422,016", row(r.out(), "std3x3-32-64@112")[3], "batch 2 doubles the MACs");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '#', value = {
            "--cin 0 --cout 4 --size 8#convcl cost: --cin must be positive, got 0",
            "--cin 4 --cout 4#convcl cost: give --suite NAME|FILE, or a layer with --cin, --cout and --size",
            "--suite nosuch#convcl cost: unknown suite 'nosuch' (available: mobilenet-v1, odd, resnet, seed-pairs, all; or the path of a .json suite file)",
            "--cin 4 --cout 4 --size 8 --gamma 0#convcl cost: --gamma must be positive, got 0",
            "--cin 4 --cout 4 --size 8 --batch 0#convcl cost: --batch must be positive, got 0",
            "--cin 4 --cout 4 --size 2 --kernel 5 --padding 0#convcl cost: kernel height 5 (dilated to 5) is larger than the padded input height 2",
            "--suite seed-pairs --cin 3#convcl cost: --suite cannot be combined with --cin, --cout or --size"})
    void badFlagsExitTwoWithOneLine(String args, String message) {
        CliTest.Result r = CliTest.convcl(("cost " + args).split(" "));
        assertEquals(2, r.exitCode(), r.err());
        assertEquals(message, r.err().strip());
        assertEquals("", r.out());
    }

    @Test
    void missingSuiteFileIsAUsageError() throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"suite\": \"x\"");
        for (String file : new String[] {dir.resolve("none.json").toString(), bad.toString()}) {
            CliTest.Result r = CliTest.convcl("cost", "--suite", file);
            assertEquals(2, r.exitCode(), r.err());
            assertTrue(r.err().startsWith("convcl cost: ") && r.err().strip().lines().count() == 1, r.err());
        }
    }
}
