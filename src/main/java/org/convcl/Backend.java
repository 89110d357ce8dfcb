package org.convcl;

/**
 * Runs convolutions on one device. Obtain one from {@link Backends}; close it when done (idempotent),
 * which releases everything it allocated.
 *
 * <p>Thread safety: a backend and the objects it returns may be used from several threads at once.
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
        if (block == null) throw new IllegalArgumentException("block must not be null");
        if (mode == BlockMode.FUSED) {
            throw new IllegalArgumentException("mode FUSED requested but the backend on " + device().describe()
                    + " has no fused block path");
        }
        if (mode == null) throw new IllegalArgumentException("mode must not be null");
        return UnfusedBlock.prepare(this, block, depthwiseWeights, pointwiseWeights,
                mode == BlockMode.UNFUSED ? "requested" : "no fused block path on this backend");
    }

    /** Waits until all queued work has finished. */
    void finish();

    /** One-shot convolution of a host tensor: prepare, run, release. */
    default Tensor conv2d(Tensor input, ConvSpec spec, float[] weights, Epilogue epilogue) {
        try (PreparedConv conv = prepare(spec, weights, epilogue)) {
            return conv.forward(input);
        }
    }

    @Override
    void close();
}
