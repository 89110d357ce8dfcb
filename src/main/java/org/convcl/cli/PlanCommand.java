package org.convcl.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.convcl.opencl.TuningFiles;
import org.convcl.plan.Algorithm;
import org.convcl.plan.DeviceFacts;
import org.convcl.plan.KernelFamily;
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

    @Option(names = "--vendor", paramLabel = "NAME",
            description = "Device vendor as OpenCL reports it (the vendor + type tuning key); default unknown.")
    private String vendor;

    @Option(names = "--local-mem", paramLabel = "BYTES",
            description = "Local memory per work-group (default 524288, PoCL's, for a CPU; 32768 for a GPU or accelerator).")
    private Long localMem;

    @Option(names = "--device-key", paramLabel = "KEY",
            description = "The device's tuning key, '<device name> | <driver version>' (default: unknown device).")
    private String deviceKey;

    @Option(names = "--kernels", defaultValue = "auto", paramLabel = "auto|cpu|gpu",
            description = "Force a kernel family as the convcl.kernels setting does; auto: from the device type (default ${DEFAULT-VALUE}).")
    private String kernels;

    @Option(names = "--tuning-file", paramLabel = "FILE",
            description = "Plan with this tuning file's entries (the device's, its vendor and type's, its type's); default: none.")
    private Path tuningFile;

    @Option(names = "--algorithm", defaultValue = "auto", paramLabel = "auto|ALGORITHM",
            description = "Force an algorithm (direct, implicit_gemm, depthwise, pointwise, winograd, pointwise_gpu, winograd_gpu, depthwise_gpu, implicit_gemm_gpu) as tests and "
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
            facts = facts();
            plan = Planner.plan(conv, input, facts, tuning(), Algorithm.parseOrAuto(algorithm, "--algorithm"));
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
        if (plan.descriptor() instanceof WinogradDescriptor winograd) {
            Plan gemm = winograd.gemmPlanOf(conv, output, facts);
            out.println("gemm:      kernels/" + gemm.algorithm().kernelFile() + " " + gemm.defines() + " local "
                    + Arrays.toString(gemm.local()) + " global "
                    + Arrays.toString(gemm.globalSize(Winograd.gemmSpec(conv), Winograd.gemmInput(conv, output))));
        }
        out.flush();
        return 0;
    }

    /** The device the flags describe; throws {@link IllegalArgumentException} naming a bad flag. */
    private DeviceFacts facts() {
        if (localMem != null && localMem < 0) throw new IllegalArgumentException("--local-mem must be non-negative, got " + localMem);
        if (vendor != null && vendor.isBlank()) throw new IllegalArgumentException("--vendor must not be blank");
        KernelFamily typeFamily = KernelFamily.forDeviceType(deviceType);
        long localBytes = localMem != null ? localMem : typeFamily == KernelFamily.GPU ? GPU_LOCAL_MEM : CPU_LOCAL_MEM;
        return new DeviceFacts(deviceType, vendor == null ? DeviceFacts.UNKNOWN_VENDOR : vendor.strip(), typeFamily, computeUnits,
                maxWorkGroup, new long[] {maxWorkGroup, maxWorkGroup, maxWorkGroup}, localBytes,
                deviceKey == null ? DeviceFacts.UNKNOWN_DEVICE : deviceKey)
                .withFamily(KernelFamily.parseOrAuto(kernels, "--kernels"));
    }

    /** The table of {@code --tuning-file}, or none. */
    private TuningTable tuning() {
        if (tuningFile == null) return TuningTable.EMPTY;
        try {
            return TuningFiles.load(tuningFile);
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException("--tuning-file " + tuningFile + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** PoCL's local memory per work-group, the default for a CPU. */
    static final long CPU_LOCAL_MEM = 512 * 1024;
    /** A common GPU's (and Oclgrind's) local memory per work-group, the default for a GPU or accelerator. */
    static final long GPU_LOCAL_MEM = 32 * 1024;
}
