package org.convcl;

/**
 * An NCHW tensor shape. Every dimension is positive and the element count fits in an {@code int}
 * (Java arrays and OpenCL buffer offsets are indexed with it).
 */
public record Shape(int n, int c, int h, int w) {

    public Shape {
        check("n", n);
        check("c", c);
        check("h", h);
        check("w", w);
        long count = (long) n * c * h * w;
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("shape " + n + "x" + c + "x" + h + "x" + w + " has " + count
                    + " elements, more than a Java array holds (" + (Integer.MAX_VALUE - 8) + ")");
        }
    }

    private static void check(String field, int value) {
        if (value <= 0) throw new IllegalArgumentException("shape dimension " + field + " must be positive, got " + value);
    }

    /** Number of elements, {@code n·c·h·w}. */
    public int count() {
        return n * c * h * w;
    }

    /** Size in bytes of the elements as {@link DataType#FLOAT32}. */
    public long bytes() {
        return DataType.FLOAT32.bytes(count());
    }

    /** Flat NCHW index of {@code (n, c, y, x)}. */
    public int index(int ni, int ci, int y, int x) {
        return ((ni * c + ci) * h + y) * w + x;
    }

    @Override
    public String toString() {
        return "[" + n + ", " + c + ", " + h + ", " + w + "]";
    }
}
