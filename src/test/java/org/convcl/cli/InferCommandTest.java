package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code convcl infer}: a fixture model gives PyTorch's output with the model's rank; bad input exits 2, writes nothing. */
class InferCommandTest {
    @TempDir
    Path dir;

    private Path resource(String name) throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/org/convcl/net/" + name)) {
            Path p = dir.resolve(name);
            Files.write(p, in.readAllBytes());
            return p;
        }
    }

    private int run(StringWriter err, String... args) {
        return Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err), args);
    }

    @Test
    void writesTheModelsOutput() throws Exception {
        Path out = dir.resolve("y.npy");
        StringWriter err = new StringWriter();
        int code = run(err, "infer", "--model", resource("head.onnx").toString(), "--input",
                resource("head.input.npy").toString(), "--output", out.toString(), "--backend", "cpu");
        assertEquals(0, code, err.toString());
        Npy.Array y = Npy.read(out), expected = Npy.read(resource("head.output.npy"));
        assertArrayEquals(expected.shape(), y.shape()); // rank 2, as the model gives it
        for (int i = 0; i < y.data().length; i++) assertEquals(expected.data()[i], y.data()[i], 1e-5f);
    }

    @Test
    void badModelOrInputExitsTwoWithOneLineAndWritesNothing() throws Exception {
        Path out = dir.resolve("y.npy");
        Path notModel = resource("head.input.npy");
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, "infer", "--model", notModel.toString(), "--input", notModel.toString(), "--output", out.toString(),
                "--backend", "cpu"));
        assertTrue(err.toString().contains("not an ONNX model"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        err = new StringWriter();
        assertEquals(2, run(err, "infer", "--model", resource("head.onnx").toString(), "--input",
                resource("pools.input.npy").toString(), "--output", out.toString(), "--backend", "cpu"));
        assertTrue(err.toString().contains("input 'input'"), err.toString());
        assertFalse(Files.exists(out));
    }
}
