package org.convcl.net;

import java.util.Arrays;
import org.convcl.Shape;
import org.convcl.Tensor;

/** A host tensor of any rank from 1 to 4 (row-major, fp32): what the Java operators read and write. */
record HostTensor(int[] dims, float[] data) {

    HostTensor {
        if (Dims.count(dims) != data.length) {
            throw new IllegalArgumentException("data length " + data.length + " does not match dims " + Arrays.toString(dims));
        }
    }

    static HostTensor of(Tensor t, int[] dims) {
        return new HostTensor(dims, t.data());
    }

    /** The same elements as a 4-D {@link Tensor} ({@link Dims#shape} of the dims). */
    Tensor toTensor() {
        return Tensor.of(data, Dims.shape(dims));
    }

    Shape shape() {
        return Dims.shape(dims);
    }
}
