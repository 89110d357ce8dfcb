package org.convcl.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.convcl.Backend;
import org.convcl.BackendUnavailableException;
import org.convcl.Backends;
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
    private LayerFiles layerFiles;

    @Option(names = "--output", required = true, paramLabel = "y.npy", description = "Output, rank 4 NCHW.")
    private Path output;

    @Override
    public Integer call() {
        errors().checkOutputs(List.of("--output"), List.of(output));
        LayerFiles.Layer layer = layerFiles.read(errors());
        Tensor out;
        try (Backend opened = errors().check(() -> Backends.open(layer.backend()));
             PreparedConv prepared = opened.prepare(layer.conv(), layer.weights(), layer.epilogue(), layer.input().shape())) {
            spec.commandLine().getErr().println("convcl run: " + layer.conv() + " on " + opened.device().describe()
                    + ", plan: " + prepared.plan());
            out = prepared.forward(layer.input());
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
