package org.convcl.opencl;

import static org.jocl.CL.clReleaseMemObject;

import org.jocl.cl_mem;

/** The native owner of one {@code cl_mem}; released at most once. The backend tracks the live ones. */
final class ClBuffer {
    private final cl_mem mem;
    private final long bytes;
    private final String name;
    private boolean released;

    ClBuffer(cl_mem mem, long bytes, String name) {
        this.mem = mem;
        this.bytes = bytes;
        this.name = name;
    }

    /** The handle; throws {@link IllegalStateException} naming the buffer once released. */
    synchronized cl_mem mem() {
        if (released) throw new IllegalStateException(name + " is closed");
        return mem;
    }

    long bytes() { return bytes; }

    String name() { return name; }

    synchronized boolean isReleased() {
        return released;
    }

    /**
     * Releases the memory once (later calls do nothing); the handle is dropped even when {@code clReleaseMemObject}
     * fails, which throws {@link ClStatus.ClException} naming the buffer. {@code faults}: the test seam.
     */
    synchronized void release(FaultInjector faults) {
        if (released) return;
        released = true;
        ClStatus.check(faults.released("clReleaseMemObject", bytes, clReleaseMemObject(mem)), "clReleaseMemObject(" + name + ")");
    }
}
