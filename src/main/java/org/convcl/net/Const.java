package org.convcl.net;

import java.util.Arrays;

/**
 * A constant tensor of a model (an initializer, a {@code Constant} node or a folded value): its dimensions and its
 * elements as floats, plus the exact integers when it was an integer tensor (shapes, axes).
 */
record Const(int[] dims, float[] floats, long[] longs) {

    static Const ofFloats(int[] dims, float[] data) {
        return new Const(dims, data, null);
    }

    static Const ofLongs(int[] dims, long[] data) {
        float[] f = new float[data.length];
        for (int i = 0; i < data.length; i++) f[i] = data[i];
        return new Const(dims, f, data);
    }

    int count() { return floats.length; }

    int rank() { return dims.length; }

    /** The integers (exact for integer tensors, truncated floats otherwise). */
    long[] asLongs() {
        if (longs != null) return longs;
        long[] l = new long[floats.length];
        for (int i = 0; i < l.length; i++) l[i] = (long) floats[i];
        return l;
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
