package org.convcl.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.convcl.plan.DeviceFacts;
import org.convcl.plan.Plan;
import org.convcl.plan.Planner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code convcl plan}: prints the planner's choice for one layer (algorithm, kernel defines, local and
 * global work sizes, reason) without touching a device. The device is described by flags whose defaults
 * are the PoCL CPU device this project is tuned on.
 */
@Command(name = "plan", description = "Print the kernel plan for one layer (no device needed).")
public final class PlanCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--in-channels", required = true, paramLabel = "C", description = "Input channels.")
    private int inChannels;

    @Option(names = "--out-channels", required = true, paramLabel = "O", description = "Output channels.")
    private int outChannels;

    @Option(names = "--kernel", required = true, paramLabel = "K|KH,KW", converter = Flags.PairConverter.class,
            description = "Kernel size.")
    private Flags.Pair kernel;

    @Option(names = "--height", required = true, paramLabel = "H", description = "Input height.")
    private int height;

    @Option(names = "--width", required = true, paramLabel = "W", description = "Input width.")
    private int width;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N", description = "Batch (default ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--stride", defaultValue = "1", paramLabel = "S|SH,SW", converter = Flags.PairConverter.class,
            description = "Stride (default ${DEFAULT-VALUE}).")
    private Flags.Pair stride;

    @Option(names = "--padding", defaultValue = "0", paramLabel = "P|T,L,B,R|same",
            converter = Flags.PaddingConverter.class, description = "Zero padding (default ${DEFAULT-VALUE}).")
    private Flags.Padding padding;

    @Option(names = "--dilation", defaultValue = "1", paramLabel = "D|DH,DW", converter = Flags.PairConverter.class,
            description = "Dilation (default ${DEFAULT-VALUE}).")
    private Flags.Pair dilation;

    @Option(names = "--groups", defaultValue = "1", paramLabel = "G", description = "Groups (default ${DEFAULT-VALUE}).")
    private int groups;

    @Option(names = "--device-type", defaultValue = "CPU", paramLabel = "CPU|GPU|ACCELERATOR",
            description = "Device type (default ${DEFAULT-VALUE}).")
    private String deviceType;

    @Option(names = "--compute-units", defaultValue = "2", paramLabel = "U", description = "Compute units (default ${DEFAULT-VALUE}).")
    private int computeUnits;

    @Option(names = "--max-work-group", defaultValue = "4096", paramLabel = "S",
            description = "Largest work-group size (default ${DEFAULT-VALUE}).")
    private long maxWorkGroup;

    @Override
    public Integer call() {
        ConvSpec conv;
        Shape input;
        DeviceFacts facts;
        Plan plan;
        try {
            ConvSpec.Builder builder = ConvSpec.builder(inChannels, outChannels, kernel.h(), kernel.w())
                    .stride(stride.h(), stride.w()).dilation(dilation.h(), dilation.w()).groups(groups);
            conv = padding.applyTo(builder, height, width).build();
            input = new Shape(batch, inChannels, height, width);
            facts = new DeviceFacts(deviceType, computeUnits, maxWorkGroup,
                    new long[] {maxWorkGroup, maxWorkGroup, maxWorkGroup}, 0);
            plan = Planner.plan(conv, input, facts);
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
        out.flush();
        return 0;
    }
}
