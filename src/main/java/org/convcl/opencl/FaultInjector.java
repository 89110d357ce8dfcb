package org.convcl.opencl;

/**
 * A test seam for device failures that cannot be provoked on demand: asked before each
 * {@code clCreateBuffer} and {@code clEnqueueNDRangeKernel}, it returns the status to report instead of
 * making the call ({@code CL_SUCCESS}, 0, to make it). Asked after each release ({@code clReleaseMemObject},
 * {@code clReleaseProgram}, {@code clReleaseCommandQueue}, {@code clReleaseContext}), its status replaces the
 * call's own ({@link #released}): a release is always made, since a handle cannot be used again once released.
 * Production code only ever uses {@link #NONE}.
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

    /**
     * The status to report for a release {@code call} that was made and returned {@code actual}: the injected one
     * when it is not 0, else {@code actual}. {@code bytes} is the buffer's size, 0 for other objects.
     */
    default int released(String call, long bytes, int actual) {
        int injected = statusFor(call, bytes);
        return injected != 0 ? injected : actual;
    }
}
