package org.convcl.opencl;

import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import org.convcl.Backend;
import org.convcl.Closer;
import org.convcl.ConvSpec;
import org.convcl.DeviceTensor;
import org.convcl.PreparedConv;
import org.convcl.plan.Launch;
import org.jocl.cl_mem;

/**
 * What every convolution prepared on an {@link OpenClBackend} shares: the backend and spec, {@code forward} and
 * {@code forwardTimed} as one checked {@link #run}, its device buffers by {@link Launch.Role} (what a launch's buffer
 * arguments bind to, {@link #mem}), the closed state and an idempotent {@link #close()} that releases the subclass's
 * kernels and buffers ({@link #releaseResources()}) and stops the backend tracking it.
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
    /** The device buffers kernel arguments name by role (uploads, bias, scratch); the tensors are bound per forward. */
    final Map<Launch.Role, ClBuffer> buffers = new EnumMap<>(Launch.Role.class);
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

    /** Enqueues the convolution with the residual added before the activation (a layer prepared with one). */
    @Override
    public final void forward(DeviceTensor input, DeviceTensor residual, DeviceTensor output) {
        checkedRun(input, residual, output, false);
    }

    /** Runs like {@link #forward(DeviceTensor, DeviceTensor, DeviceTensor)}, waits and returns the device nanoseconds. */
    @Override
    public final long forwardTimed(DeviceTensor input, DeviceTensor residual, DeviceTensor output) {
        return checkedRun(input, residual, output, true);
    }

    private long checkedRun(DeviceTensor input, DeviceTensor output, boolean profile) {
        if (hasResidual()) throw new IllegalStateException(PreparedConv.residualMissing(this));
        OpenClBackend.Io io = backend.io(input, output, this::outputShape, subject());
        return run(io.src(), null, io.dst(), profile);
    }

    private long checkedRun(DeviceTensor input, DeviceTensor residual, DeviceTensor output, boolean profile) {
        if (!hasResidual()) throw new IllegalStateException(PreparedConv.noResidual(this));
        OpenClBackend.Io io = backend.io(input, output, this::outputShape, subject());
        ClTensor res = backend.own(residual, "residual");
        if (res == io.dst()) {
            throw new IllegalArgumentException("residual and output must be different tensors, got " + res.name()
                    + " twice (the kernels read the residual while storing the output)");
        }
        PreparedConv.checkResidualShape(res.shape(), io.dst().shape(), spec);
        return run(io.src(), res, io.dst(), profile);
    }

    /**
     * Enqueues one forward of {@code src} into {@code dst} (checked: this backend's, open, distinct, {@code dst}
     * shaped {@link #outputShape} of {@code src}); with {@code profile} waits and returns the device nanoseconds,
     * else returns -1.
     */
    abstract long run(ClTensor src, ClTensor dst, boolean profile);

    /**
     * {@link #run(ClTensor, ClTensor, boolean)} with {@code res} (checked: shaped like {@code dst}, not {@code dst}) as
     * the residual; null for a layer without one. Only a subclass whose {@link #hasResidual} can be true overrides it.
     */
    long run(ClTensor src, ClTensor res, ClTensor dst, boolean profile) {
        return run(src, dst, profile);
    }

    /** Releases this object's kernels and buffers; called once, by {@link #close()}, under this object's lock. */
    abstract void releaseResources();

    /** What messages name: the spec (a prepared block: the block). */
    Object subject() { return spec; }

    /** Throws {@link IllegalStateException} once closed; call under this object's lock. */
    final void checkOpen() {
        if (closed) throw new IllegalStateException("prepared convolution " + subject() + " is closed");
    }

    /** Uploads {@code data} as the buffer of {@code role} (nothing when {@code data} is null, e.g. an absent bias). */
    final void upload(Launch.Role role, float[] data, String name) {
        if (data != null) buffers.put(role, backend.createBuffer(data, name));
    }

    /**
     * The memory a kernel argument of {@code role} binds to in a forward of {@code src} into {@code dst}: the tensors,
     * the backend's placeholder for {@link Launch.Role#NO_BIAS} and for an absent {@link Launch.Role#BIAS} (the kernel
     * then ignores it), else this object's buffer of that role.
     */
    final cl_mem mem(Launch.Role role, ClTensor src, ClTensor dst) {
        return mem(role, src, null, dst);
    }

    /** {@link #mem(Launch.Role, ClTensor, ClTensor)} with {@link Launch.Role#RESIDUAL} bound to {@code res}. */
    final cl_mem mem(Launch.Role role, ClTensor src, ClTensor res, ClTensor dst) {
        return switch (role) {
            case INPUT -> src.mem();
            case RESIDUAL -> {
                if (res == null) throw new IllegalStateException(subject() + " was run without a residual tensor");
                yield res.mem();
            }
            case OUTPUT -> dst.mem();
            case NO_BIAS -> backend.noBias().mem();
            case BIAS -> buffers.containsKey(role) ? buffers.get(role).mem() : backend.noBias().mem();
            default -> {
                ClBuffer b = buffers.get(role);
                if (b == null) throw new IllegalStateException(subject() + " has no " + role + " buffer");
                yield b.mem();
            }
        };
    }

    /**
     * Closes {@code kernels} and releases every buffer of {@link #buffers}, all of them even when one fails: the first
     * failure is thrown once everything was tried, later ones added to it as suppressed.
     */
    final void releaseAll(Collection<ClKernel> kernels) {
        Closer closer = new Closer().closeAll(kernels);
        buffers.values().forEach(b -> closer.run(() -> backend.release(b)));
        buffers.clear();
        closer.finish();
    }

    /** Releases what a constructor made before it failed with {@code cause}; a failure to release is added to it. */
    final void releaseAfter(Throwable cause, Collection<ClKernel> kernels) {
        try {
            releaseAll(kernels);
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
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
