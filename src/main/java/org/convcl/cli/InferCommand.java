package org.convcl.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.convcl.Backend;
import org.convcl.BackendUnavailableException;
import org.convcl.Backends;
import org.convcl.Tensor;
import org.convcl.net.Network;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code convcl infer}: runs an ONNX model ({@link Network}) on an input {@code .npy} and writes its output as
 * {@code .npy}, with the rank the model gives it. A bad model, input or flag exits 2 with one line and writes nothing.
 */
@Command(name = "infer", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run an ONNX model on a .npy input (float32 '<f4', C order).")
final class InferCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M.onnx", description = "The ONNX model (single input and output).")
    private Path model;

    @Option(names = "--input", required = true, paramLabel = "x.npy", description = "Input, with the model's input rank (NCHW).")
    private Path input;

    @Option(names = "--output", required = true, paramLabel = "y.npy", description = "Output file.")
    private Path output;

    @Option(names = "--backend", paramLabel = "auto|cpu|opencl", converter = Flags.ModeConverter.class,
            description = "Backend (default: convcl.backend / CONVCL_BACKEND, else auto).")
    private Backends.Mode backend;

    @Option(names = "--device", paramLabel = "D",
            description = "OpenCL device: its id 'platform:device', or a part of its name or platform (see 'convcl devices').")
    private String device;

    @Override
    public Integer call() {
        Path dir = output.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) throw usageError("--output " + output + ": directory " + dir + " does not exist");
        if (Files.isDirectory(output)) throw usageError("--output " + output + " is a directory");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(model);
        } catch (NoSuchFileException e) {
            throw usageError("--model " + model + ": no such file");
        } catch (IOException | OutOfMemoryError e) {
            throw usageError("--model " + model + ": cannot read: " + e);
        }
        Npy.Array x;
        try {
            x = Npy.read(input);
        } catch (NoSuchFileException e) {
            throw usageError("--input " + input + ": no such file");
        } catch (IOException e) {
            throw usageError("--input " + input + ": cannot read: " + e);
        } catch (IllegalArgumentException e) {
            throw usageError("--input " + e.getMessage());
        }
        if (x.rank() < 1 || x.rank() > 4) throw usageError("--input " + input + " has rank " + x.rank() + " (1 to 4 expected)");
        int[] s = {1, 1, 1, 1};
        System.arraycopy(x.shape(), 0, s, 0, x.rank());
        Tensor in = usage(() -> Tensor.of(x.data(), s[0], s[1], s[2], s[3]));
        Backends.Selection selection = usage(() -> Flags.backendSelection(backend, device));
        Npy.Array result;
        try (Backend opened = usage(() -> Backends.open(selection));
             Network net = usage(() -> Network.load(bytes, model.getFileName().toString(), opened, Network.Options.DEFAULT))) {
            if (net.inputDims().values().iterator().next().length != x.rank()) {
                throw usageError("--input " + input + " has rank " + x.rank() + " but the model's input has rank "
                        + net.inputDims().values().iterator().next().length);
            }
            int[] outDims = usage(() -> net.outputDims(in.shape())).values().iterator().next();
            spec.commandLine().getErr().println("convcl infer: " + model.getFileName() + " on " + opened.device().describe());
            result = new Npy.Array(outDims, net.run(in).data());
        } catch (BackendUnavailableException e) {
            throw new Main.CliFailure(e.getMessage(), e);
        }
        try {
            Npy.write(output, result);
        } catch (IOException e) {
            throw new Main.CliFailure("cannot write --output " + output + ": " + e, e);
        }
        return 0;
    }

    private <T> T usage(java.util.function.Supplier<T> check) {
        try {
            return check.get();
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw usageError(e.getMessage());
        }
    }

    private ParameterException usageError(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
