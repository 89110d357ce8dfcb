package org.convcl.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.convcl.Backend;
import org.convcl.Backends;
import org.convcl.BlockMode;
import org.convcl.DeviceInfo;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.SeparableBlock;
import org.convcl.Tensor;
import org.convcl.opencl.OpenClBackend;
import org.convcl.opencl.OpenClBackendProvider;
import org.convcl.plan.Algorithm;
import org.convcl.plan.BlockDescriptor;
import org.convcl.plan.BlockPlanner;
import org.convcl.plan.DeviceFacts;
import org.convcl.plan.KernelFamily;
import org.convcl.plan.Planner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code convcl selftest}: on one OpenCL device, runs every algorithm the device's kernel family can run (each forced,
 * for every case its descriptor does not decline), every fused block kernel of the family and the planners' own
 * choices on the fixed cases of {@link SelftestSuite}, and compares each result with the Java CPU backend's under
 * {@link ParityTolerance#betweenFp32}. One line per check, then a summary; a forced kernel the planner refuses at
 * prepare (its plan does not fit the device) gets a {@code refused} line and is no failure. Exit codes: 0 every
 * check passed, 1 a mismatch or a failed check, 2 bad options or no OpenCL device.
 */
@Command(name = "selftest", mixinStandardHelpOptions = true,
        description = {"Check an OpenCL device: every algorithm it can run, the fused blocks and the planner's choices on "
                + "about 50 fixed layers (MobileNet-V1, odd and prime sizes, stride 2, dilation, depth multipliers, "
                + "groups, batch 2), each compared with the Java CPU backend. Exit code 0: all pass; 1: a mismatch."})
public final class SelftestCommand implements Callable<Integer> {
    private static final String ROW = "%-30s %-24s %-6s %10s %10s  %s%n";

    @Spec
    private CommandSpec spec;

    @Option(names = "--device", paramLabel = "FILTER",
            description = "The OpenCL device: its id, or a part of its name or platform; the best of several as 'auto' "
                    + "picks (default: the device 'auto' picks, see 'convcl devices').")
    private String device;

    @Option(names = "--kernels", paramLabel = "auto|cpu|gpu",
            description = "The kernel family to check: auto (the device type decides), cpu or gpu (default: the "
                    + "convcl.kernels / CONVCL_KERNELS setting, else auto).")
    private String kernels;

    @Option(names = "--quick", description = "Only the cases marked quick (a dozen).")
    private boolean quick;

    private final UnaryOperator<Tensor> deviceResults;

    /** The command as the tool runs it. */
    public SelftestCommand() {
        this(UnaryOperator.identity());
    }

    /** Test seam: {@code deviceResults} sees (and may alter) every device result before it is compared. */
    SelftestCommand(UnaryOperator<Tensor> deviceResults) {
        this.deviceResults = deviceResults;
    }

    @Override
    public Integer call() {
        List<SelftestSuite.Case> cases = SelftestSuite.load(quick);
        DeviceInfo info;
        OpenClBackend opencl;
        long start = System.nanoTime();
        try {
            KernelFamily forced = kernels == null ? null : KernelFamily.parseOrAuto(kernels, "--kernels");
            info = selectDevice();
            OpenClBackendProvider provider = new OpenClBackendProvider();
            // Without --kernels the convcl.kernels setting applies (a bad value is a usage error too).
            opencl = kernels == null ? (OpenClBackend) provider.open(info)
                    : provider.open(info, forced != null ? forced : KernelFamily.forDeviceType(info.type()));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        try (opencl; Backend cpu = Backends.cpu()) {
            Run run = new Run(opencl, cpu, out);
            out.printf("selftest on %s, kernel family %s (%s), %d cases%n", info.describe(), run.family,
                    kernels == null ? "convcl.kernels setting or device type" : "--kernels " + kernels, cases.size());
            out.printf(ROW, "case", "algorithm", "family", "worst err", "tolerance", "result");
            for (SelftestSuite.Case c : cases) run.check(c);
            out.printf(Locale.ROOT, "selftest: %d checks of %d cases on %s, kernel family %s: %d pass, %d FAIL; "
                            + "%d forced kernels refused at prepare, %d algorithm/case pairs declined by their descriptors; %.1f s%n",
                    run.passed + run.failed, cases.size(), info.describe(), run.family, run.passed, run.failed, run.refused,
                    run.declined, (System.nanoTime() - start) / 1e9);
            out.flush();
            return run.failed == 0 ? 0 : Main.EXIT_FAILURE;
        }
    }

    /** The OpenCL device {@code --device} picks (the best of several, as {@code auto} does), or the best of all. */
    private DeviceInfo selectDevice() {
        List<DeviceInfo> all = Backends.openClDevices();
        if (all.isEmpty()) throw new IllegalArgumentException("no OpenCL device found; " + Backends.INSTALL_HINT);
        return Backends.best(Backends.select(all, device == null ? List.of() : List.of(device)));
    }

    /** One selftest run on an opened device: the checks, their counts and their lines. */
    private final class Run {
        final OpenClBackend opencl;
        final Backend cpu;
        final PrintWriter out;
        final DeviceFacts facts;
        final String family;
        int passed, failed, declined, refused;

        Run(OpenClBackend opencl, Backend cpu, PrintWriter out) {
            this.opencl = opencl;
            this.cpu = cpu;
            this.out = out;
            this.facts = opencl.facts();
            this.family = facts.family().name().toLowerCase(Locale.ROOT);
        }

        /** Every check of one case: the forced algorithms or fused kernels that take it, then the planner's choice. */
        void check(SelftestSuite.Case c) {
            SplittableRandom random = new SplittableRandom(c.name().hashCode());
            Tensor input = Tensor.of(uniform(random, c.input().count()), c.input());
            ParityTolerance tolerance = ParityTolerance.betweenFp32(c.reductionLength());
            if (c.spec() != null) {
                float[] weights = uniform(random, c.spec().weightCount());
                Epilogue epilogue = Epilogue.builder().bias(uniform(random, c.spec().outChannels())).activation(c.activation()).build();
                Tensor expected = run(cpu.prepare(c.spec(), weights, epilogue, c.input()), input);
                for (Algorithm a : Algorithm.values()) {
                    if (!Planner.runs(a, c.spec(), facts)) {
                        declined++;
                        continue;
                    }
                    compare(c, a.name(), true, expected, tolerance, input, () -> opencl.prepare(c.spec(), weights, epilogue, a, c.input()));
                }
                compare(c, "auto(" + Planner.algorithm(c.spec(), facts) + ")", false, expected, tolerance, input,
                        () -> opencl.prepare(c.spec(), weights, epilogue, (Algorithm) null, c.input()));
            } else {
                SeparableBlock block = c.block();
                float[] dw = uniform(random, block.depthwise().weightCount());
                float[] pw = uniform(random, block.pointwise().weightCount());
                Tensor expected = run(cpu.prepareBlock(block, dw, pw, BlockMode.UNFUSED, c.input()), input);
                for (BlockDescriptor d : BlockPlanner.registry(facts.family())) {
                    if (d.declines(block, facts).isPresent()) {
                        declined++;
                        continue;
                    }
                    compare(c, "fused:" + d.entryPoint(), true, expected, tolerance, input, () -> opencl.prepareBlock(block, dw, pw, d));
                }
                compare(c, "auto(" + BlockPlanner.chooseOpenCl(block, BlockMode.AUTO, facts).mode().name().toLowerCase(Locale.ROOT) + ")",
                        false, expected, tolerance, input, () -> opencl.prepareBlock(block, dw, pw, BlockMode.AUTO, c.input()));
            }
        }

        /**
         * Prepares one device check, runs it on {@code input} and prints its line. A forced kernel may be refused at
         * prepare ({@code mayRefuse}: an {@link IllegalArgumentException}, e.g. a plan that does not fit the device's
         * local memory), which is printed and counted as such; any other exception is a failed check, with its message.
         */
        private void compare(SelftestSuite.Case c, String algorithm, boolean mayRefuse, Tensor expected, ParityTolerance tolerance,
                             Tensor input, Supplier<PreparedConv> prepare) {
            PreparedConv prepared;
            try {
                prepared = prepare.get();
            } catch (IllegalArgumentException e) {
                if (!mayRefuse) {
                    fail(c, algorithm, tolerance, e);
                    return;
                }
                refused++;
                out.printf(ROW, c.name(), algorithm, family, "-", "-", "refused: " + Main.oneLine(e.getMessage()));
                out.flush();
                return;
            } catch (RuntimeException e) {
                fail(c, algorithm, tolerance, e);
                return;
            }
            String error, allowed, result;
            try {
                ParityTolerance.Verdict v = tolerance.compare(expected, deviceResults.apply(run(prepared, input)));
                error = number(v.error());
                allowed = number(v.allowed());
                result = v.pass() ? "pass" : "FAIL at " + v.where() + ": expected " + v.expected() + ", got " + v.actual();
                if (v.pass()) passed++;
                else failed++;
            } catch (RuntimeException e) {
                fail(c, algorithm, tolerance, e);
                return;
            }
            out.printf(ROW, c.name(), algorithm, family, error, allowed, result);
            out.flush();
        }

        /** Prints and counts a check that threw. */
        private void fail(SelftestSuite.Case c, String algorithm, ParityTolerance tolerance, RuntimeException e) {
            failed++;
            out.printf(ROW, c.name(), algorithm, family, "-", number(tolerance.atol()),
                    "FAIL: " + Main.oneLine(e.getMessage() == null ? e.toString() : e.getMessage()));
            out.flush();
        }
    }

    /** Three significant digits; 0 when exactly equal. */
    private static String number(double v) {
        return v == 0 ? "0" : String.format(Locale.ROOT, "%.3g", v);
    }

    /** Runs {@code prepared} once on {@code input} and releases it. */
    private static Tensor run(PreparedConv prepared, Tensor input) {
        try (prepared) {
            return prepared.forward(input);
        }
    }

    private static float[] uniform(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (random.nextDouble() * 2 - 1);
        return a;
    }
}
