package org.convcl.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.convcl.Activation;
import org.convcl.Backend;
import org.convcl.BackendUnavailableException;
import org.convcl.Backends;
import org.convcl.ConvGradients;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Shape;
import org.convcl.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code convcl grad}: the gradients of one layer {@code y = act(conv(x, w) + b)} for the gradient of its output,
 * as PyTorch's autograd gives them: {@code dx}, {@code dw} and, when asked, {@code db}, written as {@code .npy}. With
 * an activation the forward runs first and its output masks {@code dy}. Bad flags or files exit 2 and leave no output
 * file; the outputs are written only once every gradient is computed, and a failed write removes those already written.
 */
@Command(name = "grad", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Gradients of one convolution layer on .npy files (float32 '<f4', C order).")
final class GradCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "x.npy", description = "Forward input, rank 4 NCHW.")
    private Path input;

    @Option(names = "--weight", required = true, paramLabel = "w.npy",
            description = "Weight, rank 4 OIHW: [Cout][Cin/groups][KH][KW].")
    private Path weight;

    @Option(names = "--bias", paramLabel = "b.npy", description = "Bias, rank 1 [Cout] (it shapes the activation's mask).")
    private Path bias;

    @Option(names = "--grad-output", required = true, paramLabel = "dy.npy",
            description = "Gradient of the layer's output (after the activation), rank 4, the output's shape.")
    private Path gradOutput;

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

    @Option(names = "--grad-input", required = true, paramLabel = "dx.npy", description = "Output: gradient of the input, NCHW.")
    private Path gradInput;

    @Option(names = "--grad-weight", required = true, paramLabel = "dw.npy", description = "Output: gradient of the weight, OIHW.")
    private Path gradWeight;

    @Option(names = "--grad-bias", paramLabel = "db.npy", description = "Output: gradient of the bias, rank 1 [Cout].")
    private Path gradBias;

    @Option(names = "--backend", paramLabel = "auto|cpu|opencl", converter = Flags.ModeConverter.class,
            description = "Backend (default: convcl.backend / CONVCL_BACKEND, else auto).")
    private Backends.Mode backend;

    @Option(names = "--device", paramLabel = "D",
            description = "OpenCL device: its id 'platform:device', or a part of its name or platform (see 'convcl devices').")
    private String device;

    @Override
    public Integer call() {
        List<Path> outputs = new ArrayList<>(List.of(gradInput, gradWeight));
        if (gradBias != null) outputs.add(gradBias);
        checkOutputPaths(outputs);
        Npy.Array x = readNpy("--input", input);
        Npy.Array w = readNpy("--weight", weight);
        Npy.Array b = bias == null ? null : readNpy("--bias", bias);
        Npy.Array dyArray = readNpy("--grad-output", gradOutput);
        Tensor in = usage(() -> x.toTensor("--input " + input));
        ConvSpec conv = usage(() -> specFor(x, w));
        Shape outShape = usage(() -> conv.outputShape(in.shape()));
        Tensor dy = usage(() -> {
            Tensor t = dyArray.toTensor("--grad-output " + gradOutput);
            if (!t.shape().equals(outShape)) {
                throw new IllegalArgumentException("--grad-output " + gradOutput + " has shape " + dyArray.shapeText()
                        + " but the layer's output for --input " + in.shape() + " is " + outShape);
            }
            return t;
        });
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
        Backends.Selection selection = usage(() -> {
            Backends.Selection s = Backends.Selection.fromEnvironment();
            if (backend != null) s = s.withMode(backend);
            if (device != null && s.mode() != Backends.Mode.CPU && !Backends.openClDevices().isEmpty()) {
                Backends.select(Backends.openClDevices(), List.of(device)); // a filter matching no device is bad input
            }
            return device != null ? s.withDevice(device) : s;
        });
        Tensor dx;
        ConvGradients.Filter filter;
        try (Backend opened = usage(() -> Backends.open(selection));
             PreparedConv prepared = opened.prepare(conv, w.data(), epilogue.build(), in.shape())) {
            spec.commandLine().getErr().println("convcl grad: " + conv + " on " + opened.device().describe());
            Tensor dz = activation == Activation.NONE ? dy : prepared.activationBackward(prepared.forward(in), dy);
            dx = prepared.backwardData(dz, in.shape());
            filter = prepared.backwardFilter(in, dz, gradBias != null);
        } catch (BackendUnavailableException e) {
            throw new Main.CliFailure(e.getMessage(), e);
        }
        Shape wShape = ConvGradients.weightShape(conv);
        writeAll(List.of(new Output("--grad-input", gradInput, Npy.Array.of(dx)),
                new Output("--grad-weight", gradWeight, new Npy.Array(new int[] {wShape.n(), wShape.c(), wShape.h(), wShape.w()}, filter.weights())),
                new Output("--grad-bias", gradBias, filter.bias() == null ? null : new Npy.Array(new int[] {conv.outChannels()}, filter.bias()))));
        return 0;
    }

    private record Output(String option, Path file, Npy.Array array) {}

    /** Writes every output (each atomically); when one fails, removes the ones this call wrote and reports the failure. */
    private static void writeAll(List<Output> outputs) {
        List<Path> written = new ArrayList<>();
        for (Output o : outputs) {
            if (o.file() == null || o.array() == null) continue;
            try {
                Npy.write(o.file(), o.array());
                written.add(o.file());
            } catch (IOException e) {
                for (Path p : written) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw new Main.CliFailure("cannot write " + o.option() + " " + o.file() + ": " + e, e);
            }
        }
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

    /** Each output's directory exists, no output is a directory, and no two outputs are one file. */
    private void checkOutputPaths(List<Path> outputs) {
        for (Path out : outputs) {
            Path dir = out.toAbsolutePath().getParent();
            if (dir == null || !Files.isDirectory(dir)) throw usageError(out + ": directory " + dir + " does not exist");
            if (Files.isDirectory(out)) throw usageError(out + " is a directory");
        }
        for (int i = 0; i < outputs.size(); i++) {
            for (int j = i + 1; j < outputs.size(); j++) {
                if (outputs.get(i).toAbsolutePath().normalize().equals(outputs.get(j).toAbsolutePath().normalize())) {
                    throw usageError("the gradient outputs must be different files, got " + outputs.get(i) + " twice");
                }
            }
        }
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
