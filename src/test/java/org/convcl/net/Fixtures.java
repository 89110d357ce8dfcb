package org.convcl.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.convcl.Tensor;
import org.convcl.cli.Npy;

/** The committed ONNX fixtures of {@code scripts/export_models.py fixtures} and their PyTorch inputs and outputs. */
final class Fixtures {
    /** Every fixture, each exported with its input and PyTorch's output. */
    static final String[] NAMES = {"conv_kinds", "elementwise", "pools", "head", "hardswish_op"};

    private Fixtures() {}

    static byte[] bytes(String file) {
        try (InputStream in = Fixtures.class.getResourceAsStream(file)) {
            if (in == null) throw new IllegalStateException("missing test resource org/convcl/net/" + file);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] model(String name) {
        return bytes(name + ".onnx");
    }

    /** An .npy fixture as a 4-D tensor (trailing 1s for lower ranks). */
    static Tensor tensor(String file) {
        Npy.Array a = Npy.parse(bytes(file), file);
        return Tensor.of(a.data(), Dims.shape(a.shape()));
    }
}
