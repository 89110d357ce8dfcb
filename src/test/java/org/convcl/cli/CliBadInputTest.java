package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
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

/**
 * The CLI's share of the invalid-input table: damaged or unsupported {@code .npy} files given as input,
 * weight or bias. Each run must exit 2 with one line naming the option, the file and the bad value; an
 * output file that existed before must keep its exact bytes (nothing half-written, no temporary file
 * left); and a valid run right after must succeed and match the reference.
 */
class CliBadInputTest {
    private static final int[] X_SHAPE = {1, 2, 5, 5};
    private static final int[] W_SHAPE = {3, 2, 3, 3};

    @TempDir
    Path dir;

    /** A v1 file with a hand-written header dict and raw data bytes. */
    static byte[] npy(String dict, int dataBytes) {
        return NpyTest.file(1, dict, new byte[dataBytes]);
    }

    static String header(String descr, String fortran, String shape) {
        return NpyTest.dict(descr, fortran, shape);
    }

    /** A file of major version {@code major} whose header length field says {@code claimed} bytes. */
    static byte[] claimedHeaderLength(int major, long claimed) {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) b.putShort((short) claimed); else b.putInt((int) claimed);
        b.put("{'descr': '<f4'".getBytes(StandardCharsets.ISO_8859_1));
        return Arrays.copyOf(b.array(), b.position());
    }

    static byte[] valid(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return Npy.encode(new Npy.Array(shape, new float[n]));
    }

    /** (name, option whose file is bad, the file's bytes, fragments the one-line error must contain). */
    static Stream<Arguments> damagedFiles() {
        byte[] x = valid(X_SHAPE);
        String xShape = "(1, 2, 5, 5)";
        return Stream.of(
                Arguments.of("empty file", "--input", new byte[0], List.of("not an NPY file")),
                Arguments.of("no magic", "--weight", "hello world, not numpy".getBytes(StandardCharsets.US_ASCII),
                        List.of("not an NPY file", "magic")),
                Arguments.of("magic only", "--input", Arrays.copyOf(x, 6), List.of("too short (6 bytes)")),
                Arguments.of("version 4.0", "--input", withVersion(x, 4, 0), List.of("version 4.0")),
                Arguments.of("version 1.1", "--weight", withVersion(valid(W_SHAPE), 1, 1), List.of("version 1.1")),
                Arguments.of("truncated data", "--input", Arrays.copyOf(x, x.length - 3),
                        List.of("truncated data", xShape, "needs 200 bytes, found 197")),
                Arguments.of("data cut to the header", "--weight", Arrays.copyOf(valid(W_SHAPE), 128),
                        List.of("truncated data", "(3, 2, 3, 3)", "needs 216 bytes, found 0")),
                Arguments.of("extra bytes after the data", "--input", Arrays.copyOf(x, x.length + 4),
                        List.of("4 extra bytes")),
                Arguments.of("header cut short", "--input", Arrays.copyOf(x, 40),
                        List.of("header length", "runs past the end of the file (40 bytes)")),
                Arguments.of("absurd v2 header length", "--input", claimedHeaderLength(2, 0x7fff_fff0L),
                        List.of("header length 2147483632 is absurd")),
                Arguments.of("absurd v3 header length (unsigned)", "--weight", claimedHeaderLength(3, 0xffff_ffffL),
                        List.of("header length 4294967295 is absurd")),
                Arguments.of("v1 header longer than the file", "--input", claimedHeaderLength(1, 60000),
                        List.of("header length 60000 runs past the end")),
                Arguments.of("float64", "--input", npy(header("<f8", "False", xShape), 400), List.of("dtype '<f8'", "'<f4'")),
                Arguments.of("big-endian float32", "--weight", npy(header(">f4", "False", "(3, 2, 3, 3)"), 216),
                        List.of("dtype '>f4'")),
                Arguments.of("int32", "--input", npy(header("<i4", "False", xShape), 200), List.of("dtype '<i4'")),
                Arguments.of("float16 bias", "--bias", npy(header("<f2", "False", "(3,)"), 6), List.of("dtype '<f2'")),
                Arguments.of("Fortran order", "--input", npy(header("<f4", "True", xShape), 200),
                        List.of("Fortran-order")),
                Arguments.of("Fortran-order weight", "--weight", npy(header("<f4", "True", "(3, 2, 3, 3)"), 216),
                        List.of("Fortran-order")),
                Arguments.of("negative dimension", "--input", npy(header("<f4", "False", "(1, -2, 5, 5)"), 200),
                        List.of("negative dimension -2")),
                Arguments.of("dimension beyond int", "--input", npy(header("<f4", "False", "(1, 2, 5, 99999999999)"), 0),
                        List.of("dimension 99999999999", "too large")),
                Arguments.of("element count beyond a Java array", "--input",
                        npy(header("<f4", "False", "(65536, 65536, 1, 1)"), 0), List.of("(65536, 65536, 1, 1)", "more elements")),
                Arguments.of("no descr", "--input", npy("{'fortran_order': False, 'shape': (1, 2, 5, 5), }", 200),
                        List.of("no 'descr'")),
                Arguments.of("malformed header", "--weight", npy("{'descr': '<f4', 'fortran_order': Maybe, }", 0),
                        List.of("malformed header", "unsupported value")),
                Arguments.of("zero-size input", "--input", npy(header("<f4", "False", "(1, 2, 0, 5)"), 0),
                        List.of("empty dimension", "(1, 2, 0, 5)")),
                Arguments.of("bias of the wrong length", "--bias", valid(new int[] {4}),
                        List.of("has 4 values", "3 output channels")));
    }

    private static byte[] withVersion(byte[] file, int major, int minor) {
        byte[] b = file.clone();
        b[6] = (byte) major;
        b[7] = (byte) minor;
        return b;
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("damagedFiles")
    void damagedFilesExit2AndLeaveThePreviousOutputUntouched(String name, String option, byte[] bytes,
            List<String> fragments) throws Exception {
        Random rnd = new Random(5);
        Tensor x = Tensor.of(CliTest.random(rnd, 50), 1, 2, 5, 5);
        float[] w = CliTest.random(rnd, 54);
        float[] b = CliTest.random(rnd, 3);
        Path xs = dir.resolve("x.npy"), ws = dir.resolve("w.npy"), bs = dir.resolve("b.npy"), bad = dir.resolve("bad.npy");
        Npy.write(xs, Tensor.of(x.data(), x.shape()));
        Npy.write(ws, new Npy.Array(W_SHAPE, w));
        Npy.write(bs, new Npy.Array(new int[] {3}, b));
        Files.write(bad, bytes);
        Path out = dir.resolve("y.npy");
        byte[] previous = "previous output, must survive".getBytes(StandardCharsets.US_ASCII);
        Files.write(out, previous);

        List<String> args = new ArrayList<>(List.of("run", "--backend", "cpu", "--padding", "1", "--output", out.toString()));
        args.addAll(List.of("--input", (option.equals("--input") ? bad : xs).toString()));
        args.addAll(List.of("--weight", (option.equals("--weight") ? bad : ws).toString()));
        args.addAll(List.of("--bias", (option.equals("--bias") ? bad : bs).toString()));
        CliTest.Result r = CliTest.convcl(args.toArray(String[]::new));

        assertEquals(Main.EXIT_USAGE, r.exitCode(), name + ": " + r.err());
        String err = r.err();
        assertTrue(err.startsWith("convcl run: ") && err.indexOf('\n') == err.length() - 1, "one line: " + err);
        assertFalse(err.contains("Exception"), "no exception names: " + err);
        if (!name.startsWith("bias of the wrong length")) {
            assertTrue(err.contains(option + " " + bad), "names the option and the file: " + err);
        }
        for (String f : fragments) assertTrue(err.contains(f), "expected '" + f + "' in: " + err);
        assertArrayEquals(previous, Files.readAllBytes(out), "the previous output file was changed");
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }

        // The tool still works right after.
        CliTest.Result ok = CliTest.convcl("run", "--backend", "cpu", "--padding", "1", "--input", xs.toString(),
                "--weight", ws.toString(), "--bias", bs.toString(), "--output", out.toString());
        assertEquals(0, ok.exitCode(), ok.err());
        ConvSpec spec = ConvSpec.full(2, 3, 3).padding(1).build();
        TensorAssert.assertClose(Reference.conv2d(x, spec, w, Epilogue.bias(b)), Npy.read(out).toTensor("y"),
                spec.reductionLength(), name + " then a valid run");
    }

    @Test
    void theTableCoversEveryDamageTheIssueNames() {
        List<String> names = damagedFiles().map(a -> (String) a.get()[0]).toList();
        for (String need : List.of("truncated data", "float64", "Fortran order", "absurd v2 header length")) {
            assertTrue(names.contains(need), need);
        }
        System.out.println("[CliBadInputTest] " + names.size() + " damaged-file runs");
    }
}
