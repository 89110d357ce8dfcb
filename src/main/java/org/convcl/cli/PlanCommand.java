package org.convcl.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.convcl.plan.Algorithm;
import org.convcl.plan.DeviceFacts;
import org.convcl.plan.Plan;
import org.convcl.plan.Planner;
import org.convcl.plan.TuningTable;
import org.convcl.plan.Winograd;
import org.convcl.plan.WinogradDescriptor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code convcl plan}: prints the planner's choice for one layer (algorithm, kernel defines, local and
 * global work sizes, reason) without touching a device. The device is described by flags whose defaults
 * are the PoCL CPU device this project is tuned on.
 */
@Command(name = "plan", mixinStandardHelpOptions = true, description = "Print the kernel plan for one layer (no device needed).")
public final class PlanCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Mixin
    private LayerFlags layer;

    @Option(names = "--device-type", defaultValue = "CPU", paramLabel = "CPU|GPU|ACCELERATOR",
            description = "Device type (default ${DEFAULT-VALUE}).")
    private String deviceType;

    @Option(names = "--compute-units", defaultValue = "2", paramLabel = "U", description = "Compute units (default ${DEFAULT-VALUE}).")
    private int computeUnits;

    @Option(names = "--max-work-group", defaultValue = "4096", paramLabel = "S",
            description = "Largest work-group size (default ${DEFAULT-VALUE}).")
    private long maxWorkGroup;

    @Option(names = "--algorithm", defaultValue = "auto", paramLabel = "auto|ALGORITHM",
            description = "Force an algorithm (direct, implicit_gemm, depthwise, pointwise, winograd, depthwise_gpu, implicit_gemm_gpu) as tests and "
                    + "benchmarks do; auto is the planner's choice (default ${DEFAULT-VALUE}).")
    private String algorithm;

    @Override
    public Integer call() {
        ConvSpec conv;
        Shape input;
        DeviceFacts facts;
        Plan plan;
        try {
            conv = layer.spec();
            input = layer.input();
            facts = new DeviceFacts(deviceType, computeUnits, maxWorkGroup,
                    new long[] {maxWorkGroup, maxWorkGroup, maxWorkGroup}, 0);
            plan = Planner.plan(conv, input, facts, TuningTable.EMPTY, Algorithm.parseOrAuto(algorithm, "--algorithm"));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Shape output = conv.outputShape(input);
        PrintWriter out = spec.commandLine().getOut();
        out.println("layer:     " + conv + ", input " + input + " -> output " + output);
        out.println("algorithm: " + plan.algorithm() + " (kernels/" + plan.algorithm().kernelFile() + ")");
        out.println("defines:   " + plan.defines());
        out.println("local:     " + Arrays.toString(plan.local()));
        out.println("global:    " + Arrays.toString(plan.globalSize(conv, output)) + " (before rounding up to the local size)");
        out.println("reason:    " + plan.reason());
        if (plan.algorithm() == Algorithm.WINOGRAD) {
            Plan gemm = WinogradDescriptor.gemmPlan(conv, output, facts);
            out.println("gemm:      kernels/" + gemm.algorithm().kernelFile() + " " + gemm.defines() + " local "
                    + Arrays.toString(gemm.local()) + " global "
                    + Arrays.toString(gemm.globalSize(Winograd.gemmSpec(conv), Winograd.gemmInput(conv, output))));
        }
        out.flush();
        return 0;
    }
}
