package org.convcl;

/**
 * Runs convolutions on one device. Obtain one from {@link Backends}; close it when done (idempotent),
 * which releases everything it allocated.
 *
 * <p>Thread safety. Every method of a backend, and of the {@link DeviceTensor}s and {@link PreparedConv}s it
 * returns, may be called from any number of threads at once:
 * <ul>
 *   <li>{@code allocate}, {@code upload}, {@code download}, {@code prepare}, {@code finish} and {@code conv2d}
 *       need no external locking.</li>
 *   <li>One {@link PreparedConv} may be shared: concurrent {@code forward} calls are safe and each result
 *       depends only on that call's input (the OpenCL backend serialises setting kernel arguments and
 *       enqueueing per prepared convolution; the CPU backend's prepared convolutions are immutable).</li>
 *   <li>A {@link DeviceTensor} may be read by several threads at once (as a {@code forward} input or by
 *       {@code download}). Writing it (as a {@code forward} output) while another thread reads or writes it is
 *       a data race the caller must order; on OpenCL all work of a backend goes to one in-order queue, so
 *       operations run in the order they were enqueued and a {@code download} sees every write enqueued before it.</li>
 *   <li>{@code close()} of a backend, tensor or prepared convolution is idempotent, but must not race with
 *       other threads still using that object: later uses fail with {@link IllegalStateException}.</li>
 * </ul>
 */
public interface Backend extends AutoCloseable {

    /** The device this backend actually runs on. */
    DeviceInfo device();

    /** Allocates an uninitialised device tensor. */
    DeviceTensor allocate(Shape shape);

    /** Copies a host tensor to the device. */
    DeviceTensor upload(Tensor tensor);

    /** Copies a device tensor back to the host, waiting for queued work. */
    Tensor download(DeviceTensor tensor);

    /**
     * Prepares a convolution: validates the spec, weights ({@code OIHW}, length {@link ConvSpec#weightCount()})
     * and epilogue, folds batch-norm into the weights, uploads them and builds the kernels.
     */
    PreparedConv prepare(ConvSpec spec, float[] weights, Epilogue epilogue);

    /**
     * {@link #prepare(ConvSpec, float[], Epilogue)} for inputs of a known shape: a backend that plans per input
     * shape plans for {@code expectedInput} now and builds only that kernel, so the first {@code forward} with
     * that shape compiles nothing and {@link PreparedConv#plan()} is the plan that runs. Inputs of other shapes
     * still work (planned at their first forward). {@code null} means unknown: the same as the three-argument
     * form. This default validates the shape and ignores it otherwise (the CPU backend does not plan per shape).
     *
     * @throws IllegalArgumentException also when {@code expectedInput} does not fit the spec
     *         ({@link ConvSpec#expectedOutputShape})
     */
    default PreparedConv prepare(ConvSpec spec, float[] weights, Epilogue epilogue, Shape expectedInput) {
        if (spec == null) throw new IllegalArgumentException("spec must not be null");
        spec.expectedOutputShape(expectedInput);
        return prepare(spec, weights, epilogue);
    }

    /**
     * Prepares a depthwise-separable block: folds each step's batch-norm into its weights, uploads them and
     * builds the kernels of the path {@code mode} asks for ({@link BlockMode#AUTO} lets the block planner choose;
     * {@link PreparedBlock#plan()} says which and why). This default runs the unfused path through
     * {@link #prepare}; backends with a fused kernel override it.
     *
     * @param depthwiseWeights OIHW {@code [γ·C][1][KH][KW]}
     * @param pointwiseWeights OIHW {@code [Cout][γ·C][1][1]}
     * @throws IllegalArgumentException for bad weights, or {@code FUSED} on a backend without a fused path
     */
    default PreparedBlock prepareBlock(SeparableBlock block, float[] depthwiseWeights, float[] pointwiseWeights,
                                       BlockMode mode) {
        return prepareBlock(block, depthwiseWeights, pointwiseWeights, mode, null);
    }

    /**
     * {@link #prepareBlock(SeparableBlock, float[], float[], BlockMode)} for inputs of a known shape: the unfused
     * path prepares both steps with their expected inputs ({@link #prepare(ConvSpec, float[], Epilogue, Shape)})
     * and allocates the intermediate tensor now. {@code null} means unknown.
     *
     * @throws IllegalArgumentException also when {@code expectedInput} does not fit the block
     */
    default PreparedBlock prepareBlock(SeparableBlock block, float[] depthwiseWeights, float[] pointwiseWeights,
                                       BlockMode mode, Shape expectedInput) {
        if (block == null) throw new IllegalArgumentException("block must not be null");
        block.depthwise().expectedOutputShape(expectedInput);
        if (mode == BlockMode.FUSED) {
            throw new IllegalArgumentException("mode FUSED requested but the backend on " + device().describe()
                    + " has no fused block path");
        }
        if (mode == null) throw new IllegalArgumentException("mode must not be null");
        return UnfusedBlock.prepare(this, block, depthwiseWeights, pointwiseWeights,
                mode == BlockMode.UNFUSED ? "requested" : "no fused block path on this backend", expectedInput);
    }

    /**
     * The operators of a network besides convolutions ({@link TensorOps}) on this backend's tensors, or empty when
     * this backend has none (a network then runs them in Java on the host). Both built-in backends have them.
     */
    default java.util.Optional<TensorOps> tensorOps() {
        return java.util.Optional.empty();
    }

    /** Waits until all queued work has finished. */
    void finish();

    /** One-shot convolution of a host tensor: prepare (for the input's shape), run, release. */
    default Tensor conv2d(Tensor input, ConvSpec spec, float[] weights, Epilogue epilogue) {
        if (input == null) throw new IllegalArgumentException("input tensor must not be null");
        try (PreparedConv conv = prepare(spec, weights, epilogue, input.shape())) {
            return conv.forward(input);
        }
    }

    @Override
    void close();
}
