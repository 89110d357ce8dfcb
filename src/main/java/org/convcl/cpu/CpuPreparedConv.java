package org.convcl.cpu;

import org.convcl.Backend;
import org.convcl.ConvSpec;
import org.convcl.DeviceTensor;
import org.convcl.PreparedConv;
import org.convcl.Shape;
import org.convcl.Tensor;

/**
 * A convolution prepared on the CPU backend: folded weights and the chosen algorithm, immutable, so it may
 * run from many threads at once. {@code forward} completes before it returns.
 */
final class CpuPreparedConv implements PreparedConv {
    private final CpuBackend backend;
    private final ConvSpec spec;
    private final ConvKernel kernel;
    private volatile boolean closed;

    CpuPreparedConv(CpuBackend backend, ConvSpec spec, ConvKernel kernel) {
        this.backend = backend;
        this.spec = spec;
        this.kernel = kernel;
    }

    @Override
    public ConvSpec spec() {
        return spec;
    }

    @Override
    public String plan() {
        return kernel.plan();
    }

    @Override
    public void forward(DeviceTensor input, DeviceTensor output) {
        forwardTimed(input, output);
    }

    /** Runs synchronously and returns the wall-clock nanoseconds of the computation alone. */
    @Override
    public long forwardTimed(DeviceTensor input, DeviceTensor output) {
        checkOpen();
        CpuTensor in = backend.owned(input, "input");
        CpuTensor out = backend.owned(output, "output");
        if (in == out) throw new IllegalArgumentException("input and output must be different tensors, got " + in + " twice");
        Shape expected = spec.outputShape(in.shape());
        if (!expected.equals(out.shape())) {
            throw new IllegalArgumentException("output shape " + out.shape() + " does not match " + expected
                    + " for input " + in.shape() + " and " + spec);
        }
        float[] src = in.data(), dst = out.data();
        long start = System.nanoTime();
        kernel.run(src, in.shape(), dst, expected);
        return System.nanoTime() - start;
    }

    @Override
    public Backend backend() { return backend; }

    /** Runs on the host arrays directly: the CPU backend's tensors live there anyway. */
    @Override
    public Tensor forward(Tensor input) {
        checkOpen();
        if (input == null) throw new IllegalArgumentException("input must not be null");
        Shape outShape = spec.outputShape(input.shape());
        float[] dst = new float[outShape.count()];
        kernel.run(input.data(), input.shape(), dst, outShape);
        return Tensor.of(dst, outShape);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("prepared convolution " + spec + " is closed");
        backend.checkOpen();
    }

    /** Idempotent. */
    @Override
    public void close() {
        closed = true;
    }
}
