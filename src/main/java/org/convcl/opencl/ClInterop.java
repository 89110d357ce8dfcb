package org.convcl.opencl;

import org.convcl.Backend;
import org.convcl.DeviceTensor;
import org.jocl.cl_command_queue;
import org.jocl.cl_mem;

/**
 * The OpenCL handles behind an OpenCL {@link Backend} and its tensors, so that another OpenCL library (the
 * benchmark's CLBlast yardstick) runs on the same context, queue and buffers instead of a host stack of its own.
 * The handles stay owned by the backend: never release them; they are valid until the tensor or the backend is
 * closed. Work enqueued on {@link #queue} is ordered with the backend's own (one in-order queue);
 * {@link Backend#finish()} waits for both.
 *
 * <p>An interop seam of this package, not part of the convolution API (which never hands out a JOCL type).
 */
public final class ClInterop {
    private ClInterop() {}

    /** Whether {@code backend} is an OpenCL backend, whose handles this class hands out. */
    public static boolean isOpenCl(Backend backend) {
        return backend instanceof OpenClBackend;
    }

    /**
     * The in-order command queue (profiling enabled) of an open OpenCL backend.
     *
     * @throws IllegalArgumentException naming the backend when it is not an OpenCL one
     * @throws IllegalStateException when it is closed
     */
    public static cl_command_queue queue(Backend backend) {
        OpenClBackend b = openCl(backend);
        b.checkOpen();
        return b.queue();
    }

    /**
     * The buffer of an open tensor of an OpenCL backend, {@code shape.count()} fp32 values in NCHW order.
     *
     * @throws IllegalArgumentException naming the tensor when it belongs to no OpenCL backend
     * @throws IllegalStateException when it or its backend is closed
     */
    public static cl_mem buffer(DeviceTensor tensor) {
        if (tensor == null) throw new IllegalArgumentException("tensor must not be null");
        return openCl(tensor.backend()).own(tensor, "interop").mem();
    }

    private static OpenClBackend openCl(Backend backend) {
        if (backend instanceof OpenClBackend b) return b;
        throw new IllegalArgumentException("an OpenCL backend is needed, got "
                + (backend == null ? "null" : backend.device().describe()));
    }
}
