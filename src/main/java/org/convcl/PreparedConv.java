package org.convcl;

/**
 * A convolution ready to run on one backend: weights (with the epilogue folded in) uploaded once, kernels
 * built once. Call {@code forward} many times; close to release device memory (idempotent).
 *
 * <p>Thread safety: {@code forward} and {@code forwardTimed} may be called from many threads at once on one
 * prepared convolution, each with its own tensors; {@code close()} must not race with them. The full contract
 * is on {@link Backend}.
 */
public interface PreparedConv extends AutoCloseable {

    ConvSpec spec();

    /** The algorithm the planner chose and why, e.g. {@code "direct: groups=2, stride 2"}. */
    String plan();

    /** Output shape for an input shape; throws naming the field when the input does not fit the spec. */
    default Shape outputShape(Shape input) {
        return spec().outputShape(input);
    }

    /**
     * Enqueues the convolution of {@code input} into {@code output} (shape {@link #outputShape}); returns
     * without waiting where the backend can. Both tensors must belong to this backend.
     */
    void forward(DeviceTensor input, DeviceTensor output);

    /**
     * Runs like {@link #forward(DeviceTensor, DeviceTensor)}, waits for completion and returns the time the
     * device spent computing in nanoseconds (OpenCL profiling events; wall time on the CPU backend).
     */
    long forwardTimed(DeviceTensor input, DeviceTensor output);

    /** Allocates the output on the backend and runs; the caller closes the result. */
    default DeviceTensor forward(DeviceTensor input) {
        DeviceTensor out = input.backend().allocate(outputShape(input.shape()));
        try {
            forward(input, out);
            return out;
        } catch (RuntimeException | Error e) {
            out.close();
            throw e;
        }
    }

    /** The backend this convolution runs on (and whose tensors {@code forward} accepts). */
    Backend backend();

    /**
     * Uploads, runs and downloads: the convenient form for one-off host tensors. Temporaries are released
     * before it returns, also on failure.
     */
    default Tensor forward(Tensor input) {
        if (input == null) throw new IllegalArgumentException("input tensor must not be null");
        Shape outShape = outputShape(input.shape());
        Backend backend = backend();
        try (DeviceTensor in = backend.upload(input); DeviceTensor out = backend.allocate(outShape)) {
            forward(in, out);
            return backend.download(out);
        }
    }

    @Override
    void close();
}
