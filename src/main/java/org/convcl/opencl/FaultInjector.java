package org.convcl.opencl;

/**
 * A test seam for device failures that cannot be provoked on demand: asked before each
 * {@code clCreateBuffer} and {@code clEnqueueNDRangeKernel}, it returns the status to report instead of
 * making the call ({@code CL_SUCCESS}, 0, to make it). Production code only ever uses {@link #NONE}.
 */
@FunctionalInterface
interface FaultInjector {
    /** Injects nothing. */
    FaultInjector NONE = (call, bytes) -> 0;

    /**
     * The status to report for {@code call} ({@code "clCreateBuffer"} or {@code "clEnqueueNDRangeKernel"});
     * {@code bytes} is the buffer size asked for, 0 for a launch.
     */
    int statusFor(String call, long bytes);
}
