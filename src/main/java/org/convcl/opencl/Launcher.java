package org.convcl.opencl;

import static org.jocl.CL.*;

import java.util.Arrays;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_event;

/**
 * Enqueues NDRange kernels on one queue: validates the local size against the device's limits
 * ({@code CL_DEVICE_MAX_WORK_GROUP_SIZE}, {@code CL_DEVICE_MAX_WORK_ITEM_SIZES}) and the kernel's own
 * {@code CL_KERNEL_WORK_GROUP_SIZE}, rounds the global size up to a multiple of the local size (kernels
 * guard the tail), and can return the profiled kernel time. The queue must have profiling enabled.
 */
final class Launcher {
    private final cl_command_queue queue;
    private final long maxWorkGroupSize;
    private final long[] maxWorkItemSizes;
    private volatile FaultInjector faults = FaultInjector.NONE;

    Launcher(cl_command_queue queue, long maxWorkGroupSize, long[] maxWorkItemSizes) {
        this.queue = queue;
        this.maxWorkGroupSize = maxWorkGroupSize;
        this.maxWorkItemSizes = maxWorkItemSizes.clone();
    }

    /** Test seam: failures to report instead of enqueueing. */
    void injectFaults(FaultInjector injector) {
        faults = injector;
    }

    /** {@code global} rounded up, per dimension, to a multiple of {@code local}. */
    static long[] roundUp(long[] global, long[] local) {
        long[] out = new long[global.length];
        for (int i = 0; i < global.length; i++) out[i] = (global[i] + local[i] - 1) / local[i] * local[i];
        return out;
    }

    /**
     * Checks that {@code local} fits the device and the kernel; throws {@link IllegalArgumentException}
     * naming the limit and the values otherwise.
     */
    void validate(ClKernel kernel, long[] global, long[] local) {
        if (global.length < 1 || global.length > 3 || local.length != global.length) {
            throw new IllegalArgumentException("work sizes must have 1 to 3 matching dimensions, got global "
                    + Arrays.toString(global) + ", local " + Arrays.toString(local));
        }
        long product = 1;
        for (int i = 0; i < local.length; i++) {
            if (global[i] < 1) throw new IllegalArgumentException("global size must be positive, got " + Arrays.toString(global));
            if (local[i] < 1) throw new IllegalArgumentException("local size must be positive, got " + Arrays.toString(local));
            if (local[i] > maxWorkItemSizes[i]) {
                throw new IllegalArgumentException("local size " + Arrays.toString(local) + " exceeds CL_DEVICE_MAX_WORK_ITEM_SIZES "
                        + Arrays.toString(maxWorkItemSizes) + " in dimension " + i);
            }
            product *= local[i];
        }
        long[] padded = roundUp(global, local);
        for (int i = 0; i < padded.length; i++) {
            if (padded[i] > Integer.MAX_VALUE) { // kernels index work-items with int
                throw new IllegalArgumentException("global size " + Arrays.toString(global) + " rounded up to "
                        + Arrays.toString(padded) + " exceeds " + Integer.MAX_VALUE + " work-items in dimension " + i);
            }
        }
        if (product > maxWorkGroupSize) {
            throw new IllegalArgumentException("local size " + Arrays.toString(local) + " (" + product
                    + " work-items) exceeds CL_DEVICE_MAX_WORK_GROUP_SIZE " + maxWorkGroupSize);
        }
        if (product > kernel.workGroupSize()) {
            throw new IllegalArgumentException("local size " + Arrays.toString(local) + " (" + product
                    + " work-items) exceeds CL_KERNEL_WORK_GROUP_SIZE " + kernel.workGroupSize() + " of " + kernel.name());
        }
    }

    /**
     * Validates, rounds the global size up and enqueues {@code kernel} (arguments already set).
     *
     * @param profile when true, waits for the kernel and returns its profiled run time
     * @return the kernel's device time in nanoseconds when {@code profile}, otherwise -1 (not waited for)
     */
    long launch(ClKernel kernel, long[] global, long[] local, boolean profile) {
        validate(kernel, global, local);
        long[] padded = roundUp(global, local);
        cl_event event = profile ? new cl_event() : null;
        int status = faults.statusFor("clEnqueueNDRangeKernel", 0);
        if (status == 0) status = clEnqueueNDRangeKernel(queue, kernel.handle(), global.length, null, padded, local, 0, null, event);
        if (status != 0) ClStatus.check(status, "clEnqueueNDRangeKernel(" + kernel.name() + ")"); // the message built only on failure
        if (!profile) return -1;
        try {
            ClStatus.check(clWaitForEvents(1, new cl_event[] {event}), "clWaitForEvents(" + kernel.name() + ")");
            return profiled(event, CL_PROFILING_COMMAND_END) - profiled(event, CL_PROFILING_COMMAND_START);
        } finally {
            clReleaseEvent(event);
        }
    }

    private static long profiled(cl_event event, int param) {
        long[] t = new long[1];
        ClStatus.check(clGetEventProfilingInfo(event, param, Sizeof.cl_ulong, Pointer.to(t), null), "clGetEventProfilingInfo");
        return t[0];
    }
}
