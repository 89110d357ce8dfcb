package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.convcl.BlockMode;
import org.convcl.Tensor;
import org.convcl.TestBackends;
import org.convcl.opencl.OpenClBackend;
import org.convcl.plan.Algorithm;
import org.convcl.plan.BlockDescriptor;
import org.convcl.plan.BlockPlanner;
import org.convcl.plan.DeviceFacts;
import org.convcl.plan.KernelFamily;
import org.convcl.plan.Planner;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code convcl selftest} on the test device (PoCL in CI): its lines, its summary and its exit codes. */
class SelftestCommandTest {

    /** The check lines {@code selftest --quick} must print on a device of {@code facts}, as "case algorithm family". */
    private static List<String> expectedChecks(DeviceFacts facts) {
        String family = facts.family().name().toLowerCase(java.util.Locale.ROOT);
        List<String> checks = new ArrayList<>();
        for (SelftestSuite.Case c : SelftestSuite.load(true)) {
            if (c.spec() != null) {
                for (Algorithm a : Algorithm.values()) {
                    if (Planner.runs(a, c.spec(), facts)) checks.add(c.name() + " " + a + " " + family);
                }
                checks.add(c.name() + " auto(" + Planner.algorithm(c.spec(), facts) + ") " + family);
            } else {
                for (BlockDescriptor d : BlockPlanner.registry(facts.family())) {
                    if (d.declines(c.block(), facts).isEmpty()) checks.add(c.name() + " fused:" + d.entryPoint() + " " + family);
                }
                checks.add(c.name() + " auto(" + BlockPlanner.chooseOpenCl(c.block(), BlockMode.AUTO, facts).mode().name()
                        .toLowerCase(java.util.Locale.ROOT) + ") " + family);
            }
        }
        return checks;
    }

    /** The check lines of an output (between the column header and the summary), as "case algorithm family". */
    private static List<String> checkLines(String out) {
        List<String> lines = Arrays.asList(out.split("\n"));
        int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("case ")).findFirst().orElseThrow());
        return lines.subList(header + 1, lines.size() - 1);
    }

    private static String key(String line) {
        String[] f = line.trim().split("\\s+");
        return String.join(" ", f[0], f[1], f[2]);
    }

    @Test
    void quickSelftestOfTheGpuFamilyPassesAndPrintsOneLinePerAlgorithmThatTakesEachCase() {
        OpenClBackend device = (OpenClBackend) TestBackends.opencl();
        CliTest.Result r = CliTest.convcl("selftest", "--quick", "--kernels", "gpu");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        String[] lines = r.out().split("\n");
        assertTrue(lines[0].startsWith("selftest on " + device.device().describe() + ", kernel family gpu (--kernels gpu), "
                + SelftestSuite.load(true).size() + " cases"), lines[0]);
        List<String> expected = expectedChecks(device.facts().withFamily(KernelFamily.GPU));
        List<String> checks = checkLines(r.out());
        assertEquals(expected, checks.stream().map(SelftestCommandTest::key).toList(), r.out());
        for (String line : checks) {
            String[] f = line.trim().split("\\s+");
            if (line.contains(" refused: ")) { // a forced kernel whose plan does not fit the device: never the planner's own
                assertTrue(!f[1].startsWith("auto("), line);
                continue;
            }
            assertEquals("pass", f[f.length - 1], line);
            double error = Double.parseDouble(f[f.length - 3]), tolerance = Double.parseDouble(f[f.length - 2]);
            assertTrue(error <= tolerance && tolerance > 0, line);
        }
        assertTrue(lines[lines.length - 1].startsWith("selftest: " + expected.size() + " checks of "
                + SelftestSuite.load(true).size() + " cases on " + device.device().describe() + ", kernel family gpu: "
                + expected.size() + " pass, 0 FAIL; "), lines[lines.length - 1]);
    }

    @Test
    void aMismatchFailsItsLineAndExitsOne() {
        TestBackends.opencl();
        AtomicInteger calls = new AtomicInteger();
        UnaryOperator<Tensor> breakSecond = t -> {
            if (calls.incrementAndGet() != 2) return t;
            Tensor broken = t.copy();
            broken.data()[broken.data().length - 1] += 0.5f;
            return broken;
        };
        StringWriter out = new StringWriter();
        CommandLine cmd = new CommandLine(new SelftestCommand(breakSecond));
        cmd.setOut(new PrintWriter(out));
        int code = cmd.execute("--quick", "--kernels", "cpu");
        assertEquals(Main.EXIT_FAILURE, code, out.toString());
        List<String> failures = checkLines(out.toString()).stream().filter(l -> l.contains("FAIL")).toList();
        assertEquals(1, failures.size(), out.toString());
        String failure = failures.get(0);
        assertEquals(checkLines(out.toString()).get(1), failure, "the second check is the broken one");
        assertTrue(failure.contains(" cpu "), failure);
        assertTrue(failure.matches(".* FAIL at \\(n=0, c=\\d+, y=\\d+, x=\\d+\\): expected \\S+, got \\S+"), failure);
        assertTrue(out.toString().contains(" pass, 1 FAIL; "), out.toString());
    }

    @Test
    void badFlagsAreOneLineUsageErrors() {
        CliTest.Result kernels = CliTest.convcl("selftest", "--kernels", "tpu");
        assertEquals(Main.EXIT_USAGE, kernels.exitCode());
        assertEquals("convcl selftest: --kernels must be auto or one of [cpu, gpu], got 'tpu'", kernels.err().strip());
        assertEquals("", kernels.out());
        TestBackends.opencl();
        CliTest.Result device = CliTest.convcl("selftest", "--device", "nosuch-xyz");
        assertEquals(Main.EXIT_USAGE, device.exitCode());
        assertTrue(device.err().startsWith("convcl selftest: no device matches 'nosuch-xyz'; the devices are: opencl "), device.err());
        assertEquals(1, device.err().strip().lines().count(), device.err());
        CliTest.Result flag = CliTest.convcl("selftest", "--frobnicate");
        assertEquals(Main.EXIT_USAGE, flag.exitCode());
        assertTrue(flag.err().contains("Unknown option: '--frobnicate'"), flag.err());
    }

    @Test
    void mainHelpListsSelftest() {
        CliTest.Result help = CliTest.convcl("--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("selftest"), help.out());
    }
}
