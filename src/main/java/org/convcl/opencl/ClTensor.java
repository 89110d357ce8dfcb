package org.convcl.opencl;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;
import org.convcl.Backend;
import org.convcl.DeviceTensor;
import org.convcl.Shape;
import org.jocl.cl_mem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A device tensor in one {@code cl_mem} of an {@link OpenClBackend}. {@link #close()} releases it
 * (idempotent); closing the backend releases it too. A tensor that becomes unreachable without being
 * closed is reported once at WARN by a {@link Cleaner}, which never frees anything itself (the memory
 * stays until the backend is closed).
 */
final class ClTensor implements DeviceTensor {
    private static final Logger LOG = LoggerFactory.getLogger(ClTensor.class);
    private static final Cleaner CLEANER = Cleaner.create();
    private static final AtomicBoolean LEAK_WARNED = new AtomicBoolean();

    private final OpenClBackend backend;
    private final Shape shape;
    private final ClBuffer buffer;
    private final Cleaner.Cleanable leakCheck;

    ClTensor(OpenClBackend backend, Shape shape, ClBuffer buffer) {
        this.backend = backend;
        this.shape = shape;
        this.buffer = buffer;
        this.leakCheck = CLEANER.register(this, new LeakCheck(buffer));
    }

    /** Test seam: the next leaked tensor is logged at WARN again. */
    static void resetLeakWarning() {
        LEAK_WARNED.set(false);
    }

    /** Logs a tensor that was never closed; holds only the buffer, never the tensor. */
    private record LeakCheck(ClBuffer buffer) implements Runnable {
        @Override
        public void run() {
            if (buffer.isReleased()) return;
            if (LEAK_WARNED.compareAndSet(false, true)) {
                LOG.warn("{} was never closed; its device memory stays allocated until the backend is closed "
                        + "(further leaks are logged at DEBUG)", buffer.name());
            } else {
                LOG.debug("{} was never closed", buffer.name());
            }
        }
    }

    @Override
    public Shape shape() { return shape; }

    @Override
    public Backend backend() { return backend; }

    @Override
    public boolean isClosed() { return buffer.isReleased(); }

    /** The buffer handle; throws {@link IllegalStateException} naming the tensor when closed. */
    cl_mem mem() {
        return buffer.mem();
    }

    String name() { return buffer.name(); }

    OpenClBackend owner() { return backend; }

    @Override
    public void close() {
        try {
            backend.release(buffer);
        } finally {
            leakCheck.clean();
        }
    }

    @Override
    public String toString() {
        return buffer.name() + (isClosed() ? " (closed)" : "");
    }
}
