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
