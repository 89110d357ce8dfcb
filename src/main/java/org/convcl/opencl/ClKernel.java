package org.convcl.opencl;

import static org.jocl.CL.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/**
 * One kernel object and the work-group limit the compiler gave it. Not thread-safe: {@code clSetKernelArg}
 * mutates the object, so whoever sets arguments and enqueues holds a lock for both. Idempotent close.
 */
final class ClKernel implements AutoCloseable {
    private final cl_kernel kernel;
    private final String name;
    private final long workGroupSize;
    private final AtomicInteger liveCounter;
    private boolean closed;

    ClKernel(cl_program program, String name, cl_device_id device, AtomicInteger liveCounter) {
        int[] status = new int[1];
        this.kernel = clCreateKernel(program, name, status);
        ClStatus.check(status[0], "clCreateKernel(" + name + ")");
        this.name = name;
        this.liveCounter = liveCounter;
        liveCounter.incrementAndGet();
        ByteBuffer buf = ByteBuffer.allocate(Sizeof.size_t).order(ByteOrder.nativeOrder());
        int wg = clGetKernelWorkGroupInfo(kernel, device, CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(buf), null);
        if (wg != CL_SUCCESS) {
            close();
            ClStatus.check(wg, "clGetKernelWorkGroupInfo(" + name + ", CL_KERNEL_WORK_GROUP_SIZE)");
        }
        this.workGroupSize = Sizeof.size_t == 8 ? buf.getLong(0) : buf.getInt(0) & 0xffffffffL;
    }

    cl_kernel handle() {
        if (closed) throw new IllegalStateException("kernel " + name + " is closed");
        return kernel;
    }

    String name() { return name; }

    /** {@code CL_KERNEL_WORK_GROUP_SIZE}: the largest work-group this compiled kernel can run. */
    long workGroupSize() { return workGroupSize; }

    /** Releases the kernel object once; no longer counted as live even when {@code clReleaseKernel} fails (thrown). */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            ClStatus.check(clReleaseKernel(kernel), "clReleaseKernel(" + name + ")");
        } finally {
            liveCounter.decrementAndGet();
        }
    }
}
