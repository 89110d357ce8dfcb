package org.convcl.cli;

import java.nio.file.Path;
import org.convcl.Activation;
import org.convcl.Backends;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.Shape;
import org.convcl.Tensor;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The flags of one layer given as {@code .npy} files ({@code convcl run}, {@code convcl grad}): input, weight and
 * bias, the window ({@link WindowFlags}), the activation and the backend. A picocli mixin, so both commands spell,
 * read and check them alike; {@link #read} turns them into a {@link Layer} or a usage error.
 */
final class LayerFiles {
    @Option(names = "--input", required = true, paramLabel = "x.npy", description = "The layer's input, rank 4 NCHW.")
    Path input;

    @Option(names = "--weight", required = true, paramLabel = "w.npy",
            description = "Weight, rank 4 OIHW: [Cout][Cin/groups][KH][KW].")
    Path weight;

    @Option(names = "--bias", paramLabel = "b.npy", description = "Bias, rank 1 [Cout].")
    Path bias;

    @Mixin
    WindowFlags window;

    @Option(names = "--activation", defaultValue = "none", paramLabel = "none|relu|relu6|hardswish",
            converter = Flags.ActivationConverter.class, description = "Activation (default ${DEFAULT-VALUE}).")
    Activation activation;

    @Option(names = "--backend", paramLabel = "auto|cpu|opencl", converter = Flags.ModeConverter.class,
            description = "Backend (default: convcl.backend / CONVCL_BACKEND, else auto).")
    Backends.Mode backend;

    @Option(names = "--device", paramLabel = "D",
            description = "OpenCL device: its id 'platform:device', or a part of its name or platform; the best of "
                    + "several as 'auto' picks (see 'convcl devices').")
    String device;

    /**
     * The layer the flags describe, read and checked.
     *
     * @param input    the input tensor
     * @param weights  the weights, OIHW
     * @param conv     the convolution implied by the input, the weight's shape and the window flags
     * @param output   the output's shape for {@code input}
     * @param epilogue the bias (when given) and the activation
     * @param backend  the backend the flags select
     */
    record Layer(Tensor input, float[] weights, ConvSpec conv, Shape output, Epilogue epilogue, Backends.Selection backend) {}

    /** Reads the files and checks them against each other; anything wrong is a usage error naming the flag. */
    Layer read(UsageErrors errors) {
        Npy.Array x = errors.readNpy("--input", input);
        Npy.Array w = errors.readNpy("--weight", weight);
        Npy.Array b = bias == null ? null : errors.readNpy("--bias", bias);
        Tensor in = errors.check(() -> x.toTensor("--input " + input));
        ConvSpec conv = errors.check(() -> window.specFor(x, w, "--weight " + weight));
        Shape output = errors.check(() -> conv.outputShape(in.shape()));
        Epilogue.Builder epilogue = Epilogue.builder().activation(activation);
        if (b != null) {
            errors.check(() -> {
                b.requireRank("--bias " + bias, 1);
                if (b.dim(0) != conv.outChannels()) {
                    throw new IllegalArgumentException("--bias " + bias + " has " + b.dim(0)
                            + " values but the weight has " + conv.outChannels() + " output channels");
                }
                return null;
            });
            epilogue.bias(b.data());
        }
        Backends.Selection selection = errors.check(() -> Flags.backendSelection(backend, device));
        return new Layer(in, w.data(), conv, output, epilogue.build(), selection);
    }
}
