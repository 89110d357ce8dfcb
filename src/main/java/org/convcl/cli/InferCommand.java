package org.convcl.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.convcl.Backend;
import org.convcl.BackendUnavailableException;
import org.convcl.Backends;
import org.convcl.Tensor;
import org.convcl.net.Network;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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
        errors().checkOutputs(List.of("--output"), List.of(output));
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(model);
        } catch (NoSuchFileException e) {
            throw errors().error("--model " + model + ": no such file");
        } catch (IOException | OutOfMemoryError e) {
            throw errors().error("--model " + model + ": cannot read: " + e);
        }
        Npy.Array x = errors().readNpy("--input", input);
        if (x.rank() < 1 || x.rank() > 4) throw errors().error("--input " + input + " has rank " + x.rank() + " (1 to 4 expected)");
        int[] s = {1, 1, 1, 1};
        System.arraycopy(x.shape(), 0, s, 0, x.rank());
        Tensor in = errors().check(() -> Tensor.of(x.data(), s[0], s[1], s[2], s[3]));
        Backends.Selection selection = errors().check(() -> Flags.backendSelection(backend, device));
        Npy.Array result;
        try (Backend opened = errors().check(() -> Backends.open(selection));
             Network net = errors().check(() -> Network.load(bytes, model.getFileName().toString(), opened, Network.Options.DEFAULT))) {
            if (net.inputDims().values().iterator().next().length != x.rank()) {
                throw errors().error("--input " + input + " has rank " + x.rank() + " but the model's input has rank "
                        + net.inputDims().values().iterator().next().length);
            }
            int[] outDims = errors().check(() -> net.outputDims(in.shape())).values().iterator().next();
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

    private UsageErrors errors() {
        return new UsageErrors(spec);
    }
}
