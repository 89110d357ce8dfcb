package org.convcl;

import java.util.Arrays;
import java.util.Objects;

/**
 * A host-resident NCHW fp32 tensor. The tensor owns its array: {@link #of} copies nothing, so callers
 * that keep writing to the array they passed see the tensor change; {@link #copy()} makes an independent one.
 */
public final class Tensor {
    private final Shape shape;
    private final float[] data;

    private Tensor(Shape shape, float[] data) {
        this.shape = shape;
        this.data = data;
    }

    /** Wraps {@code data} (NCHW order, length {@code n·c·h·w}) without copying. */
    public static Tensor of(float[] data, int n, int c, int h, int w) {
        return of(data, new Shape(n, c, h, w));
    }

    /** Wraps {@code data} (NCHW order, length {@code shape.count()}) without copying. */
    public static Tensor of(float[] data, Shape shape) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(shape, "shape");
        if (data.length != shape.count()) {
            throw new IllegalArgumentException("data length " + data.length + " does not match shape " + shape
                    + " (" + shape.count() + " elements)");
        }
        return new Tensor(shape, data);
    }

    /** A zero-filled tensor. */
    public static Tensor zeros(Shape shape) {
        return new Tensor(shape, new float[shape.count()]);
    }

    public Shape shape() { return shape; }

    /** The backing array in NCHW order (not a copy). */
    public float[] data() { return data; }

    public float get(int n, int c, int y, int x) {
        return data[shape.index(n, c, y, x)];
    }

    /** An independent copy. */
    public Tensor copy() {
        return new Tensor(shape, data.clone());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && shape.equals(t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * shape.hashCode() + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor" + shape;
    }
}
