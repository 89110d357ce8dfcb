package org.convcl.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.convcl.Activation;
import org.convcl.Backend;
import org.convcl.BackendUnavailableException;
import org.convcl.Backends;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code convcl run}: convolves an input {@code .npy} (NCHW) with a weight {@code .npy} (OIHW) and an optional
 * bias, and writes the result as {@code .npy}. Channels and kernel size come from the weight shape and
 * {@code --groups}. Bad flags or files exit 2 and leave no output file.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run one convolution on .npy files (float32 '<f4', C order).")
final class RunCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "x.npy", description = "Input, rank 4 NCHW.")
    private Path input;

    @Option(names = "--weight", required = true, paramLabel = "w.npy",
            description = "Weight, rank 4 OIHW: [Cout][Cin/groups][KH][KW].")
    private Path weight;

    @Option(names = "--bias", paramLabel = "b.npy", description = "Bias, rank 1 [Cout].")
    private Path bias;

    @Option(names = "--output", required = true, paramLabel = "y.npy", description = "Output, rank 4 NCHW.")
    private Path output;

    @Option(names = "--stride", defaultValue = "1", paramLabel = "S|SH,SW", converter = Flags.PairConverter.class,
            description = "Stride (default ${DEFAULT-VALUE}).")
    private Flags.Pair stride;

    @Option(names = "--padding", defaultValue = Flags.Padding.DEFAULT, paramLabel = "P|T,L,B,R|same",
            converter = Flags.PaddingConverter.class, description = Flags.Padding.DESCRIPTION)
    private Flags.Padding padding;

    @Option(names = "--dilation", defaultValue = "1", paramLabel = "D|DH,DW", converter = Flags.PairConverter.class,
            description = "Dilation (default ${DEFAULT-VALUE}).")
    private Flags.Pair dilation;

    @Option(names = "--groups", defaultValue = "1", paramLabel = "G", description = "Groups (default ${DEFAULT-VALUE}).")
    private int groups;

    @Option(names = "--activation", defaultValue = "none", paramLabel = "none|relu|relu6",
            converter = Flags.ActivationConverter.class, description = "Activation (default ${DEFAULT-VALUE}).")
    private Activation activation;

    @Option(names = "--backend", paramLabel = "auto|cpu|opencl", converter = Flags.ModeConverter.class,
            description = "Backend (default: convcl.backend / CONVCL_BACKEND, else auto).")
    private Backends.Mode backend;

    @Option(names = "--device", paramLabel = "D",
            description = "OpenCL device: its id 'platform:device', or a part of its name or platform; the best of "
                    + "several as 'auto' picks (see 'convcl devices').")
    private String device;

    @Override
    public Integer call() {
        checkOutputPath();
        Npy.Array x = readNpy("--input", input);
        Npy.Array w = readNpy("--weight", weight);
        Npy.Array b = bias == null ? null : readNpy("--bias", bias);
        Tensor in = usage(() -> x.toTensor("--input " + input));
        ConvSpec conv = usage(() -> specFor(x, w));
        usage(() -> conv.outputShape(in.shape()));
        Epilogue.Builder epilogue = Epilogue.builder().activation(activation);
        if (b != null) {
            usage(() -> {
                b.requireRank("--bias " + bias, 1);
                if (b.dim(0) != conv.outChannels()) {
                    throw new IllegalArgumentException("--bias " + bias + " has " + b.dim(0)
                            + " values but the weight has " + conv.outChannels() + " output channels");
                }
                return null;
            });
            epilogue.bias(b.data());
        }
        Backends.Selection selection = usage(() -> Flags.backendSelection(backend, device));
        Tensor out;
        try (Backend opened = usage(() -> Backends.open(selection));
             PreparedConv prepared = opened.prepare(conv, w.data(), epilogue.build(), in.shape())) {
            spec.commandLine().getErr().println("convcl run: " + conv + " on " + opened.device().describe()
                    + ", plan: " + prepared.plan());
            out = prepared.forward(in);
        } catch (BackendUnavailableException e) {
            throw new Main.CliFailure(e.getMessage(), e);
        }
        try {
            Npy.write(output, out);
        } catch (IOException e) {
            throw new Main.CliFailure("cannot write --output " + output + ": " + e, e);
        }
        return 0;
    }

    /** The spec implied by the weight shape and the flags; throws naming the mismatch. */
    private ConvSpec specFor(Npy.Array x, Npy.Array w) {
        w.requireRank("--weight " + weight, 4);
        if (groups <= 0) throw new IllegalArgumentException("--groups must be positive, got " + groups);
        int cout = w.dim(0);
        int cin = Math.multiplyExact(w.dim(1), groups);
        if (cout % groups != 0) {
            throw new IllegalArgumentException("--groups " + groups + " does not divide the weight's " + cout
                    + " output channels (weight shape " + w.shapeText() + ")");
        }
        if (x.dim(1) != cin) {
            throw new IllegalArgumentException("--input has " + x.dim(1) + " channels (shape " + x.shapeText()
                    + ") but weight dim 1 x groups = " + w.dim(1) + " x " + groups + " = " + cin);
        }
        ConvSpec.Builder builder = ConvSpec.builder(cin, cout, w.dim(2), w.dim(3))
                .stride(stride.h(), stride.w()).dilation(dilation.h(), dilation.w()).groups(groups);
        return padding.applyTo(builder, x.dim(2), x.dim(3)).build();
    }

    private void checkOutputPath() {
        Path dir = output.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw usageError("--output " + output + ": directory " + dir + " does not exist");
        }
        if (Files.isDirectory(output)) throw usageError("--output " + output + " is a directory");
    }

    private Npy.Array readNpy(String option, Path file) {
        try {
            return Npy.read(file);
        } catch (NoSuchFileException e) {
            throw usageError(option + " " + file + ": no such file");
        } catch (IOException e) {
            throw usageError(option + " " + file + ": cannot read: " + e);
        } catch (IllegalArgumentException e) {
            throw usageError(option + " " + e.getMessage());
        }
    }

    /** Runs {@code check}, turning an {@link IllegalArgumentException} into a usage error (exit 2). */
    private <T> T usage(Check<T> check) {
        try {
            return check.get();
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw usageError(e.getMessage());
        }
    }

    private ParameterException usageError(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    @FunctionalInterface
    private interface Check<T> {
        T get();
    }
}
