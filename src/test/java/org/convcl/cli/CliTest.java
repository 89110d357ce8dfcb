package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.Reference;
import org.convcl.Tensor;
import org.convcl.TensorAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The {@code convcl} command run in-process: exit codes, one-line errors, no output left on failure. */
class CliTest {

    @TempDir
    Path dir;

    /** What one in-process run printed and returned. */
    record Result(int exitCode, String out, String err) {}

    static Result convcl(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    private Path save(String name, int[] shape, float[] data) throws Exception {
        Path p = dir.resolve(name);
        Npy.write(p, new Npy.Array(shape, data));
        return p;
    }

    private int count(int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** Fixtures: x [1,4,6,6], w [6,2,3,3] (groups 2), b [6], and a few bad files. */
    private void fixtures() throws Exception {
        Random rnd = new Random(7);
        save("x.npy", new int[] {1, 4, 6, 6}, random(rnd, count(1, 4, 6, 6)));
        save("w.npy", new int[] {6, 2, 3, 3}, random(rnd, count(6, 2, 3, 3)));
        save("w7.npy", new int[] {6, 2, 7, 7}, random(rnd, count(6, 2, 7, 7)));
        save("b.npy", new int[] {6}, random(rnd, 6));
        save("b5.npy", new int[] {5}, random(rnd, 5));
        save("x3d.npy", new int[] {4, 6, 6}, random(rnd, count(4, 6, 6)));
        Files.write(dir.resolve("f8.npy"), NpyTest.file(1, NpyTest.dict("<f8", "False", "(1, 4, 6, 6)"),
                new byte[8 * 144]));
    }

    /** (description, arguments after the file flags, expected fragment of the message). */
    static Stream<Arguments> usageErrors() {
        return Stream.of(
                Arguments.of("stride zero", "--stride 0 --groups 2", "Invalid value for option '--stride': must be positive, got '0'"),
                Arguments.of("stride not numbers", "--stride a,b --groups 2", "'--stride': expected S or SH,SW"),
                Arguments.of("stride three values", "--stride 1,2,3 --groups 2", "'--stride'"),
                Arguments.of("dilation negative", "--dilation -1 --groups 2", "'--dilation': must be positive"),
                Arguments.of("padding three values", "--padding 1,2,3 --groups 2", "'--padding': expected P, T,L,B,R or 'same', got 3 values"),
                Arguments.of("padding negative", "--padding -1 --groups 2", "'--padding': must not be negative"),
                Arguments.of("unknown activation", "--activation tanh --groups 2", "'--activation': expected none, relu or relu6, got 'tanh'"),
                Arguments.of("unknown backend", "--backend gpu --groups 2", "'--backend': expected auto, cpu or opencl, got 'gpu'"),
                Arguments.of("groups not a number", "--groups two", "'--groups'"),
                Arguments.of("groups zero", "--groups 0", "--groups must be positive, got 0"),
                Arguments.of("groups not dividing", "--groups 4", "--groups 4 does not divide the weight's 6 output channels"),
                Arguments.of("channels not fitting", "--groups 1", "--input has 4 channels (shape (1, 4, 6, 6)) but weight dim 1 x groups = 2 x 1 = 2"),
                Arguments.of("unknown flag", "--groups 2 --frobnicate", "Unknown option: '--frobnicate'"),
                Arguments.of("cpu with a device", "--groups 2 --backend cpu --device gpu0", "cannot be used with convcl.backend=cpu"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("usageErrors")
    void usageErrorsExit2WithOneLineAndNoOutput(String name, String flags, String fragment) throws Exception {
        fixtures();
        List<String> args = new ArrayList<>(List.of("run", "--input", path("x.npy"), "--weight", path("w.npy"),
                "--output", path("y.npy")));
        args.addAll(List.of(flags.split(" ")));
        assertUsageError(fragment, args.toArray(String[]::new));
    }

    /** (description, input, weight, bias or null, extra flag, expected fragment). */
    static Stream<Arguments> badInputs() {
        return Stream.of(
                Arguments.of("missing input file", "nope.npy", "w.npy", null, "--groups=2", "--input " + "%s/nope.npy: no such file"),
                Arguments.of("input not float32", "f8.npy", "w.npy", null, "--groups=2", "dtype '<f8' is not supported"),
                Arguments.of("input of rank 3", "x3d.npy", "w.npy", null, "--groups=2", "must have rank 4, got rank 3 with shape (4, 6, 6)"),
                Arguments.of("weight of rank 1", "x.npy", "b.npy", null, "--groups=2", "--weight %s/b.npy must have rank 4, got rank 1"),
                Arguments.of("bias of the wrong length", "x.npy", "w.npy", "b5.npy", "--groups=2", "has 5 values but the weight has 6 output channels"),
                Arguments.of("bias of rank 4", "x.npy", "w.npy", "x.npy", "--groups=2", "must have rank 1, got rank 4"),
                Arguments.of("kernel larger than input", "x.npy", "w7.npy", null, "--groups=2", "kernel height 7 (dilated to 7) is larger than the padded input height 6"),
                Arguments.of("dilated kernel too large", "x.npy", "w.npy", null, "--dilation=3", "(dilated to 7) is larger than the padded input"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInputs")
    void badInputFilesExit2WithOneLineAndNoOutput(String name, String input, String weight, String bias, String flag,
            String fragment) throws Exception {
        fixtures();
        List<String> args = new ArrayList<>(List.of("run", "--input", path(input), "--weight", path(weight),
                "--output", path("y.npy"), flag));
        if (bias != null) args.addAll(List.of("--bias", path(bias)));
        if (!flag.startsWith("--groups")) args.add("--groups=2");
        assertUsageError(String.format(fragment, dir), args.toArray(String[]::new));
    }

    @Test
    void missingInputFlagAndMissingOutputDirectoryExit2() throws Exception {
        fixtures();
        assertUsageError("Missing required option: '--input=x.npy'",
                "run", "--weight", path("w.npy"), "--output", path("y.npy"), "--groups", "2");
        Result r = convcl("run", "--input", path("x.npy"), "--weight", path("w.npy"), "--groups", "2",
                "--output", dir.resolve("no-such-dir").resolve("y.npy").toString());
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("no-such-dir does not exist"), r.err());
        assertFalse(Files.exists(dir.resolve("no-such-dir")));
    }

    @Test
    void aDeviceFilterMatchingNoDeviceExits2AndNoOpenClExits1WithOneLineAndNoOutput() throws Exception {
        fixtures();
        Result r = convcl("run", "--input", path("x.npy"), "--weight", path("w.npy"), "--groups", "2",
                "--backend", "opencl", "--device", "no-such-device-anywhere", "--output", path("y.npy"));
        boolean openCl = !org.convcl.Backends.openClDevices().isEmpty();
        // Bad input (a filter that picks none of the devices) is a usage error; no OpenCL at all is a failure.
        assertEquals(openCl ? 2 : 1, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("convcl run: ") && r.err().indexOf('\n') == r.err().length() - 1, r.err());
        assertTrue(openCl ? r.err().contains("no device matches 'no-such-device-anywhere'; the devices are: opencl ")
                : r.err().contains("no OpenCL device"), r.err());
        assertFalse(Files.exists(dir.resolve("y.npy")));
    }

    @Test
    void noSubcommandIsAUsageError() {
        Result r = convcl();
        assertEquals(2, r.exitCode());
        assertEquals("convcl: missing subcommand (try 'convcl --help')\n", r.err());
    }

    private void assertUsageError(String fragment, String... args) throws Exception {
        Result r = convcl(args);
        assertEquals(2, r.exitCode(), () -> "exit code for " + String.join(" ", args) + ", stderr: " + r.err());
        String err = r.err();
        assertTrue(err.startsWith("convcl run: "), err);
        assertTrue(err.endsWith("\n") && err.indexOf('\n') == err.length() - 1, "one line expected: " + err);
        assertTrue(err.contains(fragment), "expected '" + fragment + "' in: " + err);
        assertFalse(err.contains("Exception"), "no exception class names or stack traces: " + err);
        assertFalse(Files.exists(dir.resolve("y.npy")), "no output file after a failure");
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
    }

    private String path(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void runOnTheCpuMatchesTheReference() throws Exception {
        Random rnd = new Random(11);
        Tensor x = Tensor.of(random(rnd, count(2, 6, 9, 8)), 2, 6, 9, 8);
        float[] w = random(rnd, count(4, 3, 3, 2));
        float[] b = random(rnd, 4);
        save("x.npy", new int[] {2, 6, 9, 8}, x.data());
        save("w.npy", new int[] {4, 3, 3, 2}, w);
        save("b.npy", new int[] {4}, b);
        Result r = convcl("run", "--input", path("x.npy"), "--weight", path("w.npy"), "--bias", path("b.npy"),
                "--stride", "2,1", "--padding", "1,0,2,1", "--dilation", "1,2", "--groups", "2",
                "--activation", "relu", "--backend", "cpu", "--output", path("y.npy"));
        assertEquals(0, r.exitCode(), r.err());
        ConvSpec spec = ConvSpec.builder(6, 4, 3, 2).stride(2, 1).padding(1, 0, 2, 1).dilation(1, 2).groups(2).build();
        assertTrue(r.err().contains("on cpu"), "names the backend that ran: " + r.err());
        assertTrue(r.err().contains(spec.toString()), "names the spec: " + r.err());
        Tensor expected = Reference.conv2d(x, spec, w, Epilogue.builder().bias(b).activation(Activation.RELU).build());
        TensorAssert.assertClose(expected, Npy.read(dir.resolve("y.npy")).toTensor("y"), spec.reductionLength(),
                "convcl run " + spec);
    }

    @Test
    void samePaddingUsesTheInputSize() throws Exception {
        Random rnd = new Random(12);
        Tensor x = Tensor.of(random(rnd, count(1, 3, 7, 10)), 1, 3, 7, 10);
        float[] w = random(rnd, count(3, 1, 4, 3));
        save("x.npy", new int[] {1, 3, 7, 10}, x.data());
        save("w.npy", new int[] {3, 1, 4, 3}, w);
        Result r = convcl("run", "--input", path("x.npy"), "--weight", path("w.npy"), "--groups", "3",
                "--stride", "2", "--padding", "same", "--backend", "cpu", "--output", path("y.npy"));
        assertEquals(0, r.exitCode(), r.err());
        ConvSpec spec = ConvSpec.builder(3, 3, 4, 3).stride(2).groups(3).samePadding(7, 10).build();
        Tensor y = Npy.read(dir.resolve("y.npy")).toTensor("y");
        assertEquals(new org.convcl.Shape(1, 3, 4, 5), y.shape(), "same padding: ceil(in / stride)");
        TensorAssert.assertClose(Reference.conv2d(x, spec, w, Epilogue.none()), y, spec.reductionLength(), "same " + spec);
    }

    @Test
    void devicesListsTheCpuBackendAndTheAutoChoice() {
        Result r = convcl("devices");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("Java CPU backend:"), r.out());
        assertTrue(r.out().contains("[cpu]"), r.out());
        assertTrue(r.out().contains("compute units"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("auto picks: ")), r.out());
    }
}
