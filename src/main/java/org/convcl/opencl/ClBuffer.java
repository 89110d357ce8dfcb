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

    /** Releases the memory; returns false when it already was. */
    synchronized boolean release() {
        if (released) return false;
        released = true;
        clReleaseMemObject(mem);
        return true;
    }
}
