package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU check kit's scripts parse and refuse bad arguments without touching anything. Building the kit and running
 * the check end to end is CI's {@code scripts/device-kit.sh && scripts/device-check.sh --smoke OUT} step (minutes).
 */
class DeviceScriptsTest {
    private static final Path SCRIPTS = Path.of(System.getProperty("basedir", ".")).resolve("scripts");

    @TempDir
    Path dir;

    /** Exit code and combined output of a command. */
    private record Run(int code, String output) {}

    private static Run run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        return new Run(p.exitValue(), output);
    }

    @Test
    void bothScriptsParse() throws Exception {
        for (String script : List.of("device-kit.sh", "device-check.sh")) {
            Run r = run("bash", "-n", SCRIPTS.resolve(script).toString());
            assertEquals(0, r.code(), script + ": " + r.output());
        }
    }

    @Test
    void deviceCheckRefusesBadArgumentsWithExitTwoAndWritesNothing() throws Exception {
        String check = SCRIPTS.resolve("device-check.sh").toString();
        Run none = run("bash", check);
        assertEquals(2, none.code(), none.output());
        assertEquals("usage: scripts/device-check.sh [--smoke] [--pack] OUT", none.output().strip());
        Run bogus = run("bash", check, "--bogus", dir.resolve("out").toString());
        assertEquals(2, bogus.code(), bogus.output());
        assertEquals("device-check.sh: unknown option '--bogus' (try --help)", bogus.output().strip());
        Run two = run("bash", check, dir.resolve("a").toString(), dir.resolve("b").toString());
        assertEquals(2, two.code(), two.output());
        assertTrue(two.output().startsWith("device-check.sh: one OUT folder, got "), two.output());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "nothing written");
        }
        Run help = run("bash", check, "--help");
        assertEquals(0, help.code(), help.output());
        assertTrue(help.output().contains("scripts/device-check.sh [--smoke] [--pack] OUT") && help.output().contains("--pack"), help.output());
    }
}
