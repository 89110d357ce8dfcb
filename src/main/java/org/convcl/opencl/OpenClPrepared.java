package org.convcl.opencl;

import org.convcl.Backend;
import org.convcl.Closer;
import org.convcl.ConvSpec;
import org.convcl.DeviceTensor;
import org.convcl.PreparedConv;
import org.jocl.cl_mem;

/**
 * What every convolution prepared on an {@link OpenClBackend} shares: the backend and spec, {@code forward} and
 * {@code forwardTimed} as one checked {@link #run}, the closed state and an idempotent {@link #close()} that releases the
 * subclass's kernels and buffers ({@link #releaseResources()}) and stops the backend tracking it.
 *
 * <p>The fused block ({@link OpenClFusedBlock}) passes {@link org.convcl.SeparableBlock#standardEquivalent()} as the
 * spec and overrides {@link #subject()} to return the block and {@link #outputShape} to use the block's.
 *
 * <p>Thread safety: the closed state is guarded by this object's lock; subclasses set kernel arguments and enqueue
 * under the same lock, calling {@link #checkOpen()} first.
 */
abstract class OpenClPrepared implements PreparedConv {
    final OpenClBackend backend;
    private final ConvSpec spec;
    private boolean closed; // guarded by this

    OpenClPrepared(OpenClBackend backend, ConvSpec spec) {
        this.backend = backend;
        this.spec = spec;
    }

    @Override
    public final ConvSpec spec() { return spec; }

    @Override
    public final Backend backend() { return backend; }

    /** Enqueues the convolution of {@code input} into {@code output} without waiting. */
    @Override
    public final void forward(DeviceTensor input, DeviceTensor output) {
        checkedRun(input, output, false);
    }

    /** Runs like {@link #forward(DeviceTensor, DeviceTensor)}, waits and returns the device time in nanoseconds. */
    @Override
    public final long forwardTimed(DeviceTensor input, DeviceTensor output) {
        return checkedRun(input, output, true);
    }

    private long checkedRun(DeviceTensor input, DeviceTensor output, boolean profile) {
        OpenClBackend.Io io = backend.io(input, output, this::outputShape, subject());
        return run(io.src(), io.dst(), profile);
    }

    /**
     * Enqueues one forward of {@code src} into {@code dst} (checked: this backend's, open, distinct, {@code dst}
     * shaped {@link #outputShape} of {@code src}); with {@code profile} waits and returns the device nanoseconds,
     * else returns -1.
     */
    abstract long run(ClTensor src, ClTensor dst, boolean profile);

    /** Releases this object's kernels and buffers; called once, by {@link #close()}, under this object's lock. */
    abstract void releaseResources();

    /** What messages name: the spec (a prepared block: the block). */
    Object subject() { return spec; }

    /** Throws {@link IllegalStateException} once closed; call under this object's lock. */
    final void checkOpen() {
        if (closed) throw new IllegalStateException("prepared convolution " + subject() + " is closed");
    }

    /** A buffer holding {@code data}, or null (nothing allocated) when {@code data} is null, e.g. an absent bias. */
    final ClBuffer uploadOrNull(float[] data, String name) {
        return data == null ? null : backend.createBuffer(data, name);
    }

    /** The memory of {@code bias}, or the backend's placeholder when there is no bias (the kernel then ignores it). */
    final cl_mem biasOrPlaceholder(ClBuffer bias) {
        return bias == null ? backend.noBias().mem() : bias.mem();
    }

    /** Releases each buffer that is not null, all of them even when one release fails (the first failure thrown). */
    final void release(ClBuffer... buffers) {
        Closer closer = new Closer();
        for (ClBuffer b : buffers) if (b != null) closer.run(() -> backend.release(b));
        closer.finish();
    }

    /** Closes each kernel that is not null, all of them even when one fails (the first failure thrown). */
    static void closeKernels(ClKernel... kernels) {
        Closer closer = new Closer();
        for (ClKernel k : kernels) closer.close(k);
        closer.finish();
    }

    /**
     * Releases the kernels and buffers (idempotent); the backend stops tracking this object even when a release
     * fails (thrown after the others were released).
     */
    @Override
    public final synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            releaseResources();
        } finally {
            backend.untrack(this);
        }
    }
}
