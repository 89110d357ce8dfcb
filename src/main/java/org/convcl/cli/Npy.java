package org.convcl.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.io.AtomicFiles;

/**
 * Reads and writes NumPy {@code .npy} files holding float32 little-endian ({@code '<f4'}) arrays in C order.
 * Headers of format versions 1.0, 2.0 and 3.0 are read; files are written as version 1.0 (2.0 only when the
 * header would not fit, which takes a rank in the thousands).
 *
 * <p>Anything that is not such a file throws {@link NpyFormatException} naming the file and the problem;
 * I/O failures throw {@link IOException}. Writing goes to a temporary file in the target's directory that is
 * atomically moved into place, so a failed write leaves no partial file behind.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Bytes before the header text: magic, two version bytes and the header length. */
    private static final int PREAMBLE_V1 = MAGIC.length + 2 + 2;
    private static final int PREAMBLE_V2 = MAGIC.length + 2 + 4;
    /** Header texts longer than this are refused (NumPy itself refuses more than 10 000 bytes by default). */
    public static final int MAX_HEADER_BYTES = 1 << 16;
    /** Headers are padded so the data starts at a multiple of this. */
    private static final int ALIGNMENT = 64;
    private static final String DTYPE = "<f4";
    /** Largest file read: the whole file goes through one Java byte array. */
    private static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8L;

    private Npy() {}

    /** A float32 array and its shape (C order). {@code shape} may have any rank, including 0 (a scalar). */
    public record Array(int[] shape, float[] data) {

        /** Validates that {@code data.length} is the product of {@code shape}; copies nothing. */
        public Array {
            shape = shape.clone();
            long count = elementCount(shape);
            if (count != data.length) {
                throw new IllegalArgumentException("data length " + data.length + " does not match shape "
                        + Arrays.toString(shape) + " (" + count + " elements)");
            }
        }

        /** Wraps a tensor as a rank-4 NCHW array (shares the data). */
        public static Array of(Tensor tensor) {
            Shape s = tensor.shape();
            return new Array(new int[] {s.n(), s.c(), s.h(), s.w()}, tensor.data());
        }

        @Override
        public int[] shape() { return shape.clone(); }

        public int rank() { return shape.length; }

        /** Size of dimension {@code axis}. */
        public int dim(int axis) { return shape[axis]; }

        /** The shape as NumPy prints it, e.g. {@code (1, 3, 8, 8)} or {@code (4,)}. */
        public String shapeText() { return tupleText(shape); }

        /**
         * This array as an NCHW tensor (shares the data); {@code what} names the array in the error thrown when
         * the rank is not 4 or a dimension is 0.
         */
        public Tensor toTensor(String what) {
            requireRank(what, 4);
            for (int d : shape) {
                if (d == 0) throw new IllegalArgumentException(what + " has an empty dimension: shape " + shapeText());
            }
            return Tensor.of(data, new Shape(shape[0], shape[1], shape[2], shape[3]));
        }

        /** Throws naming {@code what} when the rank is not {@code rank}. */
        public void requireRank(String what, int rank) {
            if (shape.length != rank) {
                throw new IllegalArgumentException(what + " must have rank " + rank + ", got rank " + shape.length
                        + " with shape " + shapeText());
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Array a && Arrays.equals(shape, a.shape) && Arrays.equals(data, a.data);
        }

        @Override
        public int hashCode() { return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data); }

        @Override
        public String toString() { return "Npy.Array" + shapeText(); }
    }

    /** A file that is not a float32 little-endian C-order {@code .npy} file; the message names the problem. */
    public static final class NpyFormatException extends IllegalArgumentException {
        public NpyFormatException(String message) {
            super(message);
        }
    }

    /** Reads a file; see {@link #parse}. */
    public static Array read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw bad(file.toString(), "file of " + size + " bytes is larger than the " + MAX_FILE_BYTES
                    + " bytes a float32 Java array can be read from");
        }
        return parse(Files.readAllBytes(file), file.toString());
    }

    /**
     * Parses the bytes of a {@code .npy} file; {@code source} names it in error messages.
     *
     * @throws NpyFormatException for a bad magic, version, header, dtype, Fortran order, or a data length
     *         that does not match the shape
     */
    public static Array parse(byte[] bytes, String source) {
        if (bytes.length < PREAMBLE_V1 || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            if (bytes.length >= MAGIC.length && Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
                throw bad(source, "file is too short (" + bytes.length + " bytes) to hold an NPY header");
            }
            throw bad(source, "not an NPY file (missing the \\x93NUMPY magic)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int major = bytes[MAGIC.length] & 0xff;
        int minor = bytes[MAGIC.length + 1] & 0xff;
        int preamble;
        long headerLength;
        Charset charset;
        switch (major) {
            case 1 -> {
                preamble = PREAMBLE_V1;
                headerLength = buf.getShort(MAGIC.length + 2) & 0xffff;
                charset = StandardCharsets.ISO_8859_1;
            }
            case 2, 3 -> {
                if (bytes.length < PREAMBLE_V2) {
                    throw bad(source, "file is too short (" + bytes.length + " bytes) to hold an NPY header");
                }
                preamble = PREAMBLE_V2;
                headerLength = buf.getInt(MAGIC.length + 2) & 0xffffffffL;
                charset = major == 2 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8;
            }
            default -> throw bad(source, "unsupported NPY format version " + major + "." + minor
                    + " (1.0, 2.0 and 3.0 are read)");
        }
        if (minor != 0) {
            throw bad(source, "unsupported NPY format version " + major + "." + minor + " (1.0, 2.0 and 3.0 are read)");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw bad(source, "header length " + headerLength + " is absurd (more than " + MAX_HEADER_BYTES + " bytes)");
        }
        if (preamble + headerLength > bytes.length) {
            throw bad(source, "header length " + headerLength + " runs past the end of the file (" + bytes.length
                    + " bytes): truncated header");
        }
        String header = new String(bytes, preamble, (int) headerLength, charset);
        Map<String, Object> dict = HeaderParser.parse(header, source);
        Object descr = dict.get("descr");
        if (!(descr instanceof String)) throw bad(source, "header has no 'descr' string: " + oneLine(header));
        if (!DTYPE.equals(descr)) {
            throw bad(source, "dtype '" + descr + "' is not supported: need float32 little-endian '" + DTYPE + "'");
        }
        Object fortran = dict.get("fortran_order");
        if (!(fortran instanceof Boolean)) throw bad(source, "header has no 'fortran_order' boolean: " + oneLine(header));
        if ((Boolean) fortran) {
            throw bad(source, "Fortran-order (column-major) arrays are not supported: save with C order");
        }
        Object shapeValue = dict.get("shape");
        if (!(shapeValue instanceof int[] shape)) throw bad(source, "header has no 'shape' tuple: " + oneLine(header));
        long count;
        try {
            count = elementCount(shape);
        } catch (IllegalArgumentException e) {
            throw bad(source, e.getMessage());
        }
        int dataStart = preamble + (int) headerLength;
        long expectedBytes = count * Float.BYTES;
        long actualBytes = bytes.length - dataStart;
        if (actualBytes < expectedBytes) {
            throw bad(source, "truncated data: shape " + tupleText(shape) + " needs " + expectedBytes
                    + " bytes, found " + actualBytes);
        }
        if (actualBytes > expectedBytes) {
            throw bad(source, "unexpected " + (actualBytes - expectedBytes) + " extra bytes after the data of shape "
                    + tupleText(shape) + " (" + expectedBytes + " bytes)");
        }
        float[] data = new float[(int) count];
        buf.position(dataStart);
        buf.asFloatBuffer().get(data);
        return new Array(shape, data);
    }

    /** Writes {@code array} to {@code file} atomically (temporary file in the same directory, then a move). */
    public static void write(Path file, Array array) throws IOException {
        AtomicFiles.write(file, encode(array));
    }

    /** Writes a tensor as a rank-4 array; see {@link #write(Path, Array)}. */
    public static void write(Path file, Tensor tensor) throws IOException {
        write(file, Array.of(tensor));
    }

    /** The bytes of a {@code .npy} file (version 1.0 unless the header needs 2.0) holding {@code array}. */
    public static byte[] encode(Array array) {
        String dict = "{'descr': '" + DTYPE + "', 'fortran_order': False, 'shape': " + tupleText(array.shape) + ", }";
        int dictBytes = dict.length() + 1; // + the terminating newline
        int preamble = PREAMBLE_V1 + dictBytes + ALIGNMENT > 0xffff ? PREAMBLE_V2 : PREAMBLE_V1;
        int headerLength = dictBytes + (ALIGNMENT - (preamble + dictBytes) % ALIGNMENT) % ALIGNMENT;
        String header = dict + " ".repeat(headerLength - dictBytes) + "\n";
        ByteBuffer buf = ByteBuffer.allocate(preamble + headerLength + array.data.length * Float.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC);
        if (preamble == PREAMBLE_V1) {
            buf.put((byte) 1).put((byte) 0).putShort((short) headerLength);
        } else {
            buf.put((byte) 2).put((byte) 0).putInt(headerLength);
        }
        buf.put(header.getBytes(StandardCharsets.ISO_8859_1));
        buf.asFloatBuffer().put(array.data);
        return buf.array();
    }

    /** Product of the dimensions; throws when one is negative or the product exceeds a Java array. */
    private static long elementCount(int[] shape) {
        long count = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension " + d + " in shape " + tupleText(shape));
            count *= d;
            if (count > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("shape " + tupleText(shape) + " has more elements than a Java array"
                        + " holds (" + (Integer.MAX_VALUE - 8) + ")");
            }
        }
        return count;
    }

    private static String tupleText(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(shape[i]);
        }
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    /** The header on one line, shortened, for error messages. */
    private static String oneLine(String header) {
        String shown = header.strip().replaceAll("\\s+", " ");
        return shown.length() > 120 ? shown.substring(0, 120) + "..." : shown;
    }

    private static NpyFormatException bad(String source, String problem) {
        return new NpyFormatException(source + ": " + problem);
    }

    /**
     * Parses the header, a Python dict literal such as {@code {'descr': '<f4', 'fortran_order': False,
     * 'shape': (2, 3), }}: string keys; values that are strings, {@code True}/{@code False}, or tuples of
     * non-negative integers (returned as {@code int[]}).
     */
    private static final class HeaderParser {
        private final String text;
        private final String source;
        private int pos;

        private HeaderParser(String text, String source) {
            this.text = text;
            this.source = source;
        }

        static Map<String, Object> parse(String text, String source) {
            HeaderParser p = new HeaderParser(text, source);
            Map<String, Object> dict = p.dict();
            p.skipSpace();
            if (p.pos != text.length()) throw p.error("unexpected text after the header dict");
            return dict;
        }

        private Map<String, Object> dict() {
            expect('{');
            Map<String, Object> dict = new HashMap<>();
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    pos++;
                    return dict;
                }
                String key = string();
                skipSpace();
                expect(':');
                skipSpace();
                if (dict.put(key, value()) != null) throw error("duplicate key '" + key + "'");
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() != '}') {
                    throw error("expected ',' or '}'");
                }
            }
        }

        private Object value() {
            char c = peek();
            if (c == '\'' || c == '"') return string();
            if (c == '(') return tuple();
            if (text.startsWith("True", pos)) {
                pos += 4;
                return Boolean.TRUE;
            }
            if (text.startsWith("False", pos)) {
                pos += 5;
                return Boolean.FALSE;
            }
            throw error("unsupported value");
        }

        private String string() {
            char quote = peek();
            if (quote != '\'' && quote != '"') throw error("expected a quoted string");
            int end = text.indexOf(quote, pos + 1);
            if (end < 0) throw error("unterminated string");
            String s = text.substring(pos + 1, end);
            pos = end + 1;
            return s;
        }

        private int[] tuple() {
            expect('(');
            int[] dims = new int[4];
            int rank = 0;
            while (true) {
                skipSpace();
                if (peek() == ')') {
                    pos++;
                    return Arrays.copyOf(dims, rank);
                }
                if (rank == dims.length) dims = Arrays.copyOf(dims, rank * 2);
                dims[rank++] = integer();
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() != ')') {
                    throw error("expected ',' or ')' in the shape");
                }
            }
        }

        private int integer() {
            int start = pos;
            if (peek() == '-') pos++;
            while (pos < text.length() && Character.isDigit(text.charAt(pos))) pos++;
            String digits = text.substring(start, pos);
            if (text.startsWith("L", pos)) pos++; // Python 2 long suffix, written by old NumPy
            try {
                int value = Integer.parseInt(digits);
                if (value < 0) throw error("negative dimension " + value + " in the shape");
                return value;
            } catch (NumberFormatException e) {
                throw error(digits.isEmpty() ? "expected an integer in the shape"
                        : "dimension " + digits + " in the shape is too large");
            }
        }

        private void expect(char c) {
            if (peek() != c) throw error("expected '" + c + "'");
            pos++;
        }

        private char peek() {
            return pos < text.length() ? text.charAt(pos) : '\0';
        }

        private void skipSpace() {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) pos++;
        }

        private NpyFormatException error(String problem) {
            return bad(source, "malformed header (" + problem + " at character " + pos + "): " + oneLine(text));
        }
    }
}
