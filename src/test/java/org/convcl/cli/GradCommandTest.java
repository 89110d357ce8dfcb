package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.convcl.ConvGradients;
import org.convcl.ConvSpec;
import org.convcl.GoldenGradTest;
import org.convcl.ReferenceGradients;
import org.convcl.TestBackends;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convcl grad} against PyTorch autograd's golden gradients on both backends, and its bad-input rules: one line,
 * exit 2, no output file left (an existing one keeps its bytes).
 */
class GradCommandTest {
    @TempDir
    Path dir;

    /** The flags of {@code c}'s layer, then {@code --backend backend}. */
    private static List<String> args(GoldenGradTest.GradCase c, String backend, Path dx, Path dw, Path db) {
        ConvSpec s = c.spec();
        List<String> a = new ArrayList<>(List.of("grad", "--backend", backend,
                "--input", c.dir().resolve("input.npy").toString(), "--weight", c.dir().resolve("weight.npy").toString(),
                "--grad-output", c.dir().resolve("grad_output.npy").toString(),
                "--stride", s.strideH() + "," + s.strideW(),
                "--padding", s.padTop() + "," + s.padLeft() + "," + s.padBottom() + "," + s.padRight(),
                "--dilation", s.dilationH() + "," + s.dilationW(), "--groups", String.valueOf(s.groups()),
                "--activation", c.activation().name().toLowerCase(java.util.Locale.ROOT),
                "--grad-input", dx.toString(), "--grad-weight", dw.toString()));
        if (c.bias() != null) {
            a.addAll(List.of("--bias", c.dir().resolve("bias.npy").toString(), "--grad-bias", db.toString()));
        }
        return a;
    }

    @TestFactory
    Stream<DynamicTest> gradMatchesPyTorchAutogradOnEveryBackend() {
        List<String> backends = new ArrayList<>(List.of("cpu"));
        if (TestBackends.strict() || TestBackends.all().size() > 1) backends.add("opencl");
        return backends.stream().flatMap(backend -> GoldenGradTest.cases().stream().map(c -> DynamicTest.dynamicTest(
                backend + " " + c.name(), () -> {
                    Path dx = dir.resolve(backend + c.name() + "-dx.npy"), dw = dir.resolve(backend + c.name() + "-dw.npy");
                    Path db = dir.resolve(backend + c.name() + "-db.npy");
                    CliTest.Result r = CliTest.convcl(args(c, backend, dx, dw, db).toArray(String[]::new));
                    assertEquals(0, r.exitCode(), r.err());
                    String where = "convcl grad " + c.name() + " on " + backend;
                    Npy.Array x = Npy.read(dx);
                    assertArrayEquals(new int[] {c.input().shape().n(), c.input().shape().c(), c.input().shape().h(), c.input().shape().w()},
                            x.shape(), where);
                    ReferenceGradients.assertClose(ReferenceGradients.widen(c.gradInput().data()), x.data(), c.input().shape(), 1e-4,
                            "grad_input " + where);
                    ReferenceGradients.assertClose(ReferenceGradients.widen(c.gradWeight()), Npy.read(dw).data(),
                            ConvGradients.weightShape(c.spec()), 1e-4, "grad_weight " + where);
                    if (c.bias() != null) {
                        Npy.Array b = Npy.read(db);
                        assertArrayEquals(new int[] {c.spec().outChannels()}, b.shape(), where);
                        ReferenceGradients.assertClose(ReferenceGradients.widen(c.gradBias()), b.data(),
                                ConvGradients.biasShape(c.spec()), 1e-4, "grad_bias " + where);
                    }
                })));
    }

    /** Runs {@code grad} with {@code change} applied to a valid argument list and expects exit 2, one line naming {@code expected}. */
    private void badInput(String expected, java.util.function.UnaryOperator<List<String>> change) throws Exception {
        GoldenGradTest.GradCase c = GoldenGradTest.cases().stream().filter(k -> k.name().equals("full_3x3_s2_odd")).findFirst().orElseThrow();
        Path dx = dir.resolve("dx.npy"), dw = dir.resolve("dw.npy"), db = dir.resolve("db.npy");
        byte[] before = {1, 2, 3};
        Files.write(dw, before); // an existing output keeps its bytes
        Files.deleteIfExists(dx);
        Files.deleteIfExists(db);
        CliTest.Result r = CliTest.convcl(change.apply(args(c, "cpu", dx, dw, db)).toArray(String[]::new));
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("convcl grad: ") && r.err().indexOf('\n') == r.err().length() - 1, "one line: " + r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(Files.exists(dx), "no --grad-input left");
        assertFalse(Files.exists(db), "no --grad-bias left");
        assertArrayEquals(before, Files.readAllBytes(dw), "--grad-weight kept its bytes");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(dw), files.toList(), "no temporary file left");
        }
    }

    private static List<String> replace(List<String> args, String option, String value) {
        List<String> a = new ArrayList<>(args);
        a.set(a.indexOf(option) + 1, value);
        return a;
    }

    @Test
    void missingGradOutputFile() throws Exception {
        badInput("--grad-output " + dir.resolve("nope.npy") + ": no such file",
                a -> replace(a, "--grad-output", dir.resolve("nope.npy").toString()));
    }

    @Test
    void gradOutputOfTheWrongShape() throws Exception {
        badInput("--grad-output", a -> replace(a, "--grad-output", a.get(a.indexOf("--input") + 1)));
    }

    @Test
    void strideThatChangesTheOutputShape() throws Exception {
        badInput("but the layer's output for --input", a -> replace(a, "--stride", "1"));
    }

    @Test
    void biasOfTheWrongLength() throws Exception {
        badInput("--bias", a -> replace(a, "--bias", a.get(a.indexOf("--grad-output") + 1)));
    }

    @Test
    void twoOutputsOnOneFile() throws Exception {
        badInput("must be different files", a -> replace(a, "--grad-bias", a.get(a.indexOf("--grad-weight") + 1)));
    }

    @Test
    void outputDirectoryThatDoesNotExist() throws Exception {
        badInput("does not exist", a -> replace(a, "--grad-input", dir.resolve("no/such/dir/dx.npy").toString()));
    }

    @Test
    void activationWhoseBackwardNeedsItsInput() throws Exception {
        badInput("--activation hardswish: the backward of the hardswish activation needs its input",
                a -> replace(a, "--activation", "hardswish"));
    }

    @Test
    void badGroups() throws Exception {
        badInput("--groups", a -> replace(a, "--groups", "0"));
    }
}
