package org.convcl.cli;

import java.io.IOException;
import java.nio.file.Files;
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
import org.convcl.PreparedConv;
import org.convcl.Shape;
import org.convcl.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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

    @Mixin
    private LayerFiles layerFiles;

    @Option(names = "--grad-output", required = true, paramLabel = "dy.npy",
            description = "Gradient of the layer's output (after the activation), rank 4, the output's shape.")
    private Path gradOutput;

    @Option(names = "--grad-input", required = true, paramLabel = "dx.npy", description = "Output: gradient of the input, NCHW.")
    private Path gradInput;

    @Option(names = "--grad-weight", required = true, paramLabel = "dw.npy", description = "Output: gradient of the weight, OIHW.")
    private Path gradWeight;

    @Option(names = "--grad-bias", paramLabel = "db.npy", description = "Output: gradient of the bias, rank 1 [Cout].")
    private Path gradBias;

    @Override
    public Integer call() {
        List<String> options = new ArrayList<>(List.of("--grad-input", "--grad-weight"));
        List<Path> outputs = new ArrayList<>(List.of(gradInput, gradWeight));
        if (gradBias != null) {
            options.add("--grad-bias");
            outputs.add(gradBias);
        }
        errors().checkOutputs(options, outputs);
        LayerFiles.Layer layer = layerFiles.read(errors());
        Activation activation = layer.epilogue().activationKind();
        try {
            ConvGradients.requireOutputMask(activation);
        } catch (UnsupportedOperationException e) {
            throw errors().error("--activation " + activation.name().toLowerCase() + ": " + e.getMessage());
        }
        Npy.Array dyArray = errors().readNpy("--grad-output", gradOutput);
        Tensor dy = errors().check(() -> {
            Tensor t = dyArray.toTensor("--grad-output " + gradOutput);
            if (!t.shape().equals(layer.output())) {
                throw new IllegalArgumentException("--grad-output " + gradOutput + " has shape " + dyArray.shapeText()
                        + " but the layer's output for --input " + layer.input().shape() + " is " + layer.output());
            }
            return t;
        });
        Tensor dx;
        ConvGradients.Filter filter;
        ConvSpec conv = layer.conv();
        Tensor in = layer.input();
        try (Backend opened = errors().check(() -> Backends.open(layer.backend()));
             PreparedConv prepared = opened.prepare(conv, layer.weights(), layer.epilogue(), in.shape())) {
            spec.commandLine().getErr().println("convcl grad: " + conv + " on " + opened.device().describe());
            Tensor dz = activation != Activation.NONE ? prepared.activationBackward(prepared.forward(in), dy) : dy;
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

    private UsageErrors errors() {
        return new UsageErrors(spec);
    }
}
