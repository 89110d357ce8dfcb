package org.convcl.net;

import java.util.Arrays;
import org.convcl.Shape;

/** Helpers for the dimensions of a network's values (rank 1 to 4) and how they map onto 4-D {@link Shape}s. */
final class Dims {
    private Dims() {}

    /** The element count; the caller has checked that it fits an int. */
    static int count(int[] dims) {
        long c = 1;
        for (int d : dims) c *= d;
        return (int) c;
    }

    /** The element count, or −1 when it exceeds what a Java array holds. */
    static long checkedCount(int[] dims) {
        long c = 1;
        for (int d : dims) {
            c *= d;
            if (c > OnnxReader.MAX_ELEMENTS) return -1;
        }
        return c;
    }

    /**
     * The 4-D shape a value of these dims has on a backend: NCHW for rank 4, trailing 1s for lower ranks
     * ({@code [N, F]} → {@code [N, F, 1, 1]}), so a classifier's input is a valid pointwise-convolution input.
     */
    static Shape shape(int[] dims) {
        int[] s = {1, 1, 1, 1};
        System.arraycopy(dims, 0, s, 0, dims.length);
        return new Shape(s[0], s[1], s[2], s[3]);
    }

    /** Normalises a possibly negative axis of a rank-{@code rank} tensor, or −1 when out of range. */
    static int axis(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        return a < 0 || a >= rank ? -1 : (int) a;
    }

    static String text(int[] dims) {
        return Arrays.toString(dims);
    }
}
