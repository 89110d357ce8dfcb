package org.convcl.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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

    @Mixin
    private WindowFlags window;

    @Option(names = "--input", required = true, paramLabel = "x.npy", description = "Input, rank 4 NCHW.")
    private Path input;

    @Option(names = "--weight", required = true, paramLabel = "w.npy",
            description = "Weight, rank 4 OIHW: [Cout][Cin/groups][KH][KW].")
    private Path weight;

    @Option(names = "--bias", paramLabel = "b.npy", description = "Bias, rank 1 [Cout].")
    private Path bias;

    @Option(names = "--output", required = true, paramLabel = "y.npy", description = "Output, rank 4 NCHW.")
    private Path output;





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
        errors().checkOutputs(List.of("--output"), List.of(output));
        Npy.Array x = errors().readNpy("--input", input);
        Npy.Array w = errors().readNpy("--weight", weight);
        Npy.Array b = bias == null ? null : errors().readNpy("--bias", bias);
        Tensor in = errors().check(() -> x.toTensor("--input " + input));
        ConvSpec conv = errors().check(() -> window.specFor(x, w, "--weight " + weight));
        errors().check(() -> conv.outputShape(in.shape()));
        Epilogue.Builder epilogue = Epilogue.builder().activation(activation);
        if (b != null) {
            errors().check(() -> {
                b.requireRank("--bias " + bias, 1);
                if (b.dim(0) != conv.outChannels()) {
                    throw new IllegalArgumentException("--bias " + bias + " has " + b.dim(0)
                            + " values but the weight has " + conv.outChannels() + " output channels");
                }
                return null;
            });
            epilogue.bias(b.data());
        }
        Backends.Selection selection = errors().check(() -> Flags.backendSelection(backend, device));
        Tensor out;
        try (Backend opened = errors().check(() -> Backends.open(selection));
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


    private UsageErrors errors() {
        return new UsageErrors(spec);
    }
}
