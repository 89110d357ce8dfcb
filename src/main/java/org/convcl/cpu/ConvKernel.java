package org.convcl.cpu;

import org.convcl.Shape;

/** One convolution algorithm on NCHW arrays, with the folded epilogue applied; immutable and thread-safe. */
interface ConvKernel {

    /** The algorithm and why it was chosen, for {@link org.convcl.PreparedConv#plan()}. */
    String plan();

    /** Computes {@code out} (shape {@code outShape}) from {@code in} (shape {@code inShape}); shapes are already checked. */
    void run(float[] in, Shape inShape, float[] out, Shape outShape);
}
