package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.convcl.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class NpyTest {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** A file of any version with the given header text (padded with a newline) and data bytes. */
    static byte[] file(int major, String dict, byte[] data) {
        byte[] header = (dict + "\n").getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        out.write(major);
        out.write(0);
        ByteBuffer len = ByteBuffer.allocate(major == 1 ? 2 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) len.putShort((short) header.length); else len.putInt(header.length);
        out.writeBytes(len.array());
        out.writeBytes(header);
        out.writeBytes(data);
        return out.toByteArray();
    }

    static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }

    static String dict(String descr, String fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
    }

    @Test
    void roundTripThroughAFileKeepsShapeAndBits(@TempDir Path dir) throws Exception {
        float[] data = new float[2 * 3 * 4 * 5];
        for (int i = 0; i < data.length; i++) data[i] = (i - 60) * 0.37f;
        data[7] = Float.NaN;
        data[8] = Float.NEGATIVE_INFINITY;
        data[9] = -0f;
        Tensor t = Tensor.of(data, 2, 3, 4, 5);
        Path file = dir.resolve("t.npy");
        Npy.write(file, t);
        Npy.Array back = Npy.read(file);
        assertArrayEquals(new int[] {2, 3, 4, 5}, back.shape());
        assertEquals(t, back.toTensor("back"));
        for (int i = 0; i < data.length; i++) {
            assertEquals(Float.floatToRawIntBits(data[i]), Float.floatToRawIntBits(back.data()[i]), "element " + i);
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test
    void writesVersion1WithHeaderAlignedTo64() {
        byte[] bytes = Npy.encode(new Npy.Array(new int[] {3}, new float[] {1f, 2f, 3f}));
        assertArrayEquals(MAGIC, Arrays.copyOf(bytes, 6));
        assertEquals(1, bytes[6]);
        assertEquals(0, bytes[7]);
        int headerLength = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
        assertEquals(0, (10 + headerLength) % 64);
        String header = new String(bytes, 10, headerLength, StandardCharsets.ISO_8859_1);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"), header);
        assertTrue(header.endsWith("\n"), header);
        assertEquals(10 + headerLength + 12, bytes.length);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void readsEveryVersion(int major) {
        byte[] bytes = file(major, "{\"shape\": (2, 1), \"fortran_order\": False, \"descr\": \"<f4\"}", floats(1.5f, -2f));
        Npy.Array a = Npy.parse(bytes, "v" + major);
        assertArrayEquals(new int[] {2, 1}, a.shape());
        assertArrayEquals(new float[] {1.5f, -2f}, a.data());
    }

    @Test
    void readsScalarsAndOldLongSuffixes() {
        assertEquals(0, Npy.parse(file(1, dict("<f4", "False", "()"), floats(4f)), "s").rank());
        Npy.Array a = Npy.parse(file(1, dict("<f4", "False", "(1L, 2L)"), floats(4f, 5f)), "s");
        assertArrayEquals(new int[] {1, 2}, a.shape());
    }

    static Stream<Arguments> badFiles() {
        byte[] good = file(1, dict("<f4", "False", "(2,)"), floats(1f, 2f));
        byte[] absurd = file(2, dict("<f4", "False", "(2,)"), floats(1f, 2f));
        ByteBuffer.wrap(absurd).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 0x7fffffff);
        byte[] pastEnd = good.clone();
        ByteBuffer.wrap(pastEnd).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) 60000);
        byte[] version4 = good.clone();
        version4[6] = 4;
        byte[] version11 = good.clone();
        version11[7] = 1;
        return Stream.of(
                Arguments.of("empty file", new byte[0], "not an NPY file"),
                Arguments.of("text file", "hello, world".getBytes(StandardCharsets.US_ASCII), "not an NPY file"),
                Arguments.of("magic only", Arrays.copyOf(good, 7), "too short"),
                Arguments.of("version 4.0", version4, "unsupported NPY format version 4.0"),
                Arguments.of("version 1.1", version11, "unsupported NPY format version 1.1"),
                Arguments.of("absurd header length", absurd, "header length 2147483647 is absurd"),
                Arguments.of("header past the end", pastEnd, "truncated header"),
                Arguments.of("float64", file(1, dict("<f8", "False", "(2,)"), floats(1f, 2f, 3f, 4f)), "dtype '<f8'"),
                Arguments.of("big-endian", file(1, dict(">f4", "False", "(2,)"), floats(1f, 2f)), "dtype '>f4'"),
                Arguments.of("int32", file(1, dict("<i4", "False", "(2,)"), floats(1f, 2f)), "dtype '<i4'"),
                Arguments.of("Fortran order", file(1, dict("<f4", "True", "(2,)"), floats(1f, 2f)), "Fortran"),
                Arguments.of("truncated data", file(1, dict("<f4", "False", "(3,)"), floats(1f, 2f)),
                        "truncated data: shape (3,) needs 12 bytes, found 8"),
                Arguments.of("extra data", file(1, dict("<f4", "False", "(1,)"), floats(1f, 2f)), "4 extra bytes"),
                Arguments.of("negative dimension", file(1, dict("<f4", "False", "(-2,)"), floats()), "negative dimension -2"),
                Arguments.of("huge dimension", file(1, dict("<f4", "False", "(99999999999,)"), floats()), "too large"),
                Arguments.of("too many elements", file(1, dict("<f4", "False", "(65536, 65536)"), floats()),
                        "more elements than a Java array holds"),
                Arguments.of("no shape", file(1, "{'descr': '<f4', 'fortran_order': False}", floats()), "no 'shape'"),
                Arguments.of("no descr", file(1, "{'fortran_order': False, 'shape': (1,)}", floats(1f)), "no 'descr'"),
                Arguments.of("not a dict", file(1, "['<f4']", floats()), "malformed header"),
                Arguments.of("unterminated", file(1, "{'descr': '<f4", floats()), "unterminated string"),
                Arguments.of("trailing text", file(1, dict("<f4", "False", "(1,)") + " x", floats(1f)), "unexpected text"),
                Arguments.of("duplicate key", file(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",
                        floats(1f)), "duplicate key 'descr'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void badFilesNameTheProblemOnOneLine(String name, byte[] bytes, String fragment) {
        Npy.NpyFormatException e = assertThrows(Npy.NpyFormatException.class, () -> Npy.parse(bytes, "f.npy"));
        assertTrue(e.getMessage().startsWith("f.npy: "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void toTensorNamesTheWrongRank() {
        Npy.Array a = new Npy.Array(new int[] {2, 3}, new float[6]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.toTensor("--input x.npy"));
        assertEquals("--input x.npy must have rank 4, got rank 2 with shape (2, 3)", e.getMessage());
    }

    @Test
    void arrayRejectsDataThatDoesNotMatchTheShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Npy.Array(new int[] {2, 2}, new float[3]));
        assertTrue(e.getMessage().contains("data length 3 does not match shape [2, 2]"), e.getMessage());
    }

    @Test
    void failedWriteLeavesNoFileBehind(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("missing-dir").resolve("y.npy");
        assertThrows(java.io.IOException.class, () -> Npy.write(target, new Npy.Array(new int[] {1}, new float[1])));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }
}
