package org.convcl.opencl;

import static org.jocl.CL.*;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.convcl.Backend;
import org.convcl.BlockMode;
import org.convcl.Closer;
import org.convcl.ConvSpec;
import org.convcl.DataType;
import org.convcl.DeviceInfo;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedBlock;
import org.convcl.PreparedConv;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.UnfusedBlock;
import org.convcl.plan.Algorithm;
import org.convcl.plan.BlockDescriptor;
import org.convcl.plan.BlockPlanner;
import org.convcl.plan.DeviceFacts;
import org.convcl.plan.KernelFamily;
import org.convcl.plan.Plan;
import org.convcl.plan.Planner;
import org.convcl.plan.TuningTable;
import org.jocl.Pointer;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;

/**
 * Runs convolutions on one OpenCL device: one context, one in-order queue with profiling enabled, a kernel
 * library (program cache) and a launcher. {@link #close()} releases everything this backend made: tensors,
 * prepared convolutions, kernels, programs, the queue and the context.
 *
 * <p>Thread safety: every method may be called from several threads. Transfers of {@code float[]} are
 * blocking. Work from all threads goes to the one in-order queue, so it runs in enqueue order. Each
 * {@link PreparedConv} owns its kernel object and holds a lock while it sets the arguments and enqueues
 * ({@code clSetKernelArg} is not thread-safe), so one prepared convolution may be shared by threads.
 * Closing the backend while other threads still use it is not supported.
 */
public final class OpenClBackend implements Backend {
    private final DeviceInfo info;
    private final cl_device_id device;
    private final cl_context context;
    private final cl_command_queue queue;
    private final DeviceFacts facts;
    private final TuningTable tuning;
    private final Algorithm forcedAlgorithm; // convcl.algorithm, read once when the backend opened
    private final KernelLibrary library;
    private final Launcher launcher;
    private final Set<ClBuffer> liveBuffers = ConcurrentHashMap.newKeySet();
    private final Set<AutoCloseable> livePrepared = ConcurrentHashMap.newKeySet(); // convolutions and blocks
    private final AtomicInteger liveKernels = new AtomicInteger();
    private final AtomicLong nextId = new AtomicLong();
    private final ClBuffer noBias;
    private volatile FaultInjector faults = FaultInjector.NONE;
    private OpenClTensorOps tensorOps; // made at first use, closed with the backend
    private volatile boolean closed;

    /** A backend whose kernel family is the {@code convcl.kernels} / {@code CONVCL_KERNELS} setting's, else the device type's. */
    OpenClBackend(cl_platform_id platform, cl_device_id device, DeviceInfo info) {
        this(platform, device, info, forcedFamily(System.getProperty("convcl.kernels"), System.getenv("CONVCL_KERNELS")));
    }

    /**
     * A backend whose planner uses the kernel family {@code family} whatever the device type and the setting; null:
     * the device type decides.
     */
    @SuppressWarnings("deprecation") // clCreateCommandQueue: available on OpenCL 1.2 and later alike
    OpenClBackend(cl_platform_id platform, cl_device_id device, DeviceInfo info, KernelFamily family) {
        this.info = info;
        this.device = device;
        int[] status = new int[1];
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, platform);
        this.context = clCreateContext(props, 1, new cl_device_id[] {device}, null, null, status);
        ClStatus.check(status[0], "clCreateContext(" + info.describe() + ")");
        this.queue = clCreateCommandQueue(context, device, CL_QUEUE_PROFILING_ENABLE, status);
        if (status[0] != CL_SUCCESS) {
            clReleaseContext(context);
            ClStatus.check(status[0], "clCreateCommandQueue(" + info.describe() + ")");
        }
        try {
            long[] itemSizes = Arrays.copyOf(ClInfo.deviceSizes(device, CL_DEVICE_MAX_WORK_ITEM_SIZES,
                    ClInfo.deviceUint(device, CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS)), 3);
            for (int i = 0; i < 3; i++) if (itemSizes[i] <= 0) itemSizes[i] = 1;
            String vendor = info.vendor() == null || info.vendor().isBlank() ? DeviceFacts.UNKNOWN_VENDOR : info.vendor().strip();
            this.facts = new DeviceFacts(info.type(), vendor, KernelFamily.forDeviceType(info.type()), Math.max(1, info.computeUnits()),
                    info.maxWorkGroupSize(), itemSizes, info.localMemBytes(), DeviceFacts.deviceKey(info.name(), info.driverVersion()))
                    .withFamily(family);
            this.tuning = TuningFiles.forDevice(facts.deviceKey());
            this.forcedAlgorithm = forcedAlgorithm(System.getProperty("convcl.algorithm"), System.getenv("CONVCL_ALGORITHM"));
            this.library = new KernelLibrary(context, device, info.id() + " " + info.name(), info.driverVersion());
            this.launcher = new Launcher(queue, info.maxWorkGroupSize(), itemSizes);
            this.noBias = createBuffer(4, "unused bias placeholder");
        } catch (RuntimeException e) {
            clReleaseCommandQueue(queue);
            clReleaseContext(context);
            throw e;
        }
    }

    @Override
    public DeviceInfo device() { return info; }

    /** The device limits the planner sees. */
    public DeviceFacts facts() { return facts; }

    /** The tuning table the planner uses on this device, read once when the backend opened ({@link TuningFiles#forDevice}). */
    public TuningTable tuning() { return tuning; }

    @Override
    public DeviceTensor allocate(Shape shape) {
        if (shape == null) throw new IllegalArgumentException("shape must not be null");
        return new ClTensor(this, shape, createBuffer(shape.bytes(), "opencl tensor #" + nextId.incrementAndGet() + " " + shape));
    }

    @Override
    public DeviceTensor upload(Tensor tensor) {
        if (tensor == null) throw new IllegalArgumentException("tensor must not be null");
        DeviceTensor t = allocate(tensor.shape());
        try {
            write(((ClTensor) t).mem(), tensor.data());
            return t;
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    @Override
    public Tensor download(DeviceTensor tensor) {
        ClTensor t = own(tensor, "tensor");
        float[] data = new float[t.shape().count()];
        ClStatus.check(clEnqueueReadBuffer(queue, t.mem(), CL_TRUE, 0, t.shape().bytes(), Pointer.to(data), 0, null, null),
                "clEnqueueReadBuffer");
        return Tensor.of(data, t.shape());
    }

    @Override
    public PreparedConv prepare(ConvSpec spec, float[] weights, Epilogue epilogue) {
        return prepare(spec, weights, epilogue, (Shape) null);
    }

    /**
     * Plans for {@code expectedInput} (when not null) and builds only that program: the first {@code forward} with
     * that shape builds nothing, Winograd's scratch is allocated now, and {@link PreparedConv#plan()} is the plan
     * that runs (a tuned entry for the shape included). Other shapes are planned at their first forward.
     */
    @Override
    public PreparedConv prepare(ConvSpec spec, float[] weights, Epilogue epilogue, Shape expectedInput) {
        return prepare(spec, weights, epilogue, tuning, expectedInput); // checks the arguments
    }

    /**
     * {@link #prepare(ConvSpec, float[], Epilogue)} with the algorithm forced (tests, benchmarks); null is the
     * planner's choice. Throws {@link IllegalArgumentException} when {@code algorithm} cannot run {@code spec}
     * ({@link Planner#requireRuns}).
     */
    public PreparedConv prepare(ConvSpec spec, float[] weights, Epilogue epilogue, Algorithm algorithm) {
        return prepare(spec, weights, epilogue, algorithm, null);
    }

    /** {@link #prepare(ConvSpec, float[], Epilogue, Algorithm)} for inputs of {@code expectedInput} (null: unknown). */
    public PreparedConv prepare(ConvSpec spec, float[] weights, Epilogue epilogue, Algorithm algorithm, Shape expectedInput) {
        checkPrepare(spec, epilogue, expectedInput);
        return prepare(spec, weights, epilogue, tuning, algorithm, expectedInput);
    }

    /** {@link #prepare(ConvSpec, float[], Epilogue)} planned with another tuning table (the tuner times candidates so). */
    PreparedConv prepare(ConvSpec spec, float[] weights, Epilogue epilogue, TuningTable table) {
        return prepare(spec, weights, epilogue, table, (Shape) null);
    }

    /**
     * {@link #prepare(ConvSpec, float[], Epilogue, TuningTable)} for inputs of {@code expectedInput} (null: unknown),
     * with the {@code convcl.algorithm} setting applied ({@link Planner#settingFor}).
     */
    PreparedConv prepare(ConvSpec spec, float[] weights, Epilogue epilogue, TuningTable table, Shape expectedInput) {
        checkPrepare(spec, epilogue, expectedInput);
        Algorithm setting = Planner.settingFor(forcedAlgorithm, spec, facts);
        if (setting != null && epilogue != null && epilogue.hasResidual() && !setting.descriptor().runsResidual()) setting = null;
        return prepare(spec, weights, epilogue, table, setting, expectedInput);
    }

    private void checkPrepare(ConvSpec spec, Epilogue epilogue, Shape expectedInput) {
        if (spec == null) throw new IllegalArgumentException("spec must not be null");
        if (epilogue == null) throw new IllegalArgumentException("epilogue must not be null");
        spec.expectedOutputShape(expectedInput);
        checkOpen();
    }

    /** Plans once (refusing a forced algorithm that cannot run {@code spec}), folds the epilogue and prepares what the plan describes. */
    PreparedConv prepare(ConvSpec spec, float[] weights, Epilogue epilogue, TuningTable table, Algorithm forced,
                                 Shape expectedInput) {
        Plan plan = Planner.plan(spec, expectedInput, facts, table, forced, epilogue.hasResidual());
        checkAllocation(4L * spec.weightCount(), "weights of " + spec); // before folding copies them
        Epilogue.Folded folded = epilogue.fold(spec, weights);
        PreparedConv conv = new OpenClConv(this, spec, folded, epilogue.batchNorm() != null, epilogue.hasResidual(), table,
                forced, plan, expectedInput);
        track(conv);
        return conv;
    }

    /**
     * The algorithm named by the system property {@code convcl.algorithm} or the environment variable
     * {@code CONVCL_ALGORITHM} (benchmarks: e.g. {@code implicit_gemm} or {@code winograd}), applied to every
     * full or grouped layer it can run; null when neither is set or the value is {@code auto}.
     *
     * @throws IllegalArgumentException naming the value when it is no {@link Algorithm}
     */
    static Algorithm forcedAlgorithm(String property, String environment) {
        String value = Settings.value(property, environment);
        return value == null ? null : Algorithm.parseOrAuto(value, "convcl.algorithm");
    }

    /**
     * The kernel family named by the system property {@code convcl.kernels} or the environment variable
     * {@code CONVCL_KERNELS} ({@code auto}, {@code cpu} or {@code gpu}); null (the device type decides) when neither is
     * set or the value is {@code auto}.
     *
     * @throws IllegalArgumentException naming the value when it is none of those
     */
    static KernelFamily forcedFamily(String property, String environment) {
        String value = Settings.value(property, environment);
        if (value == null) return null;
        return KernelFamily.parseOrAuto(value, property != null && !property.isBlank() ? "convcl.kernels" : "CONVCL_KERNELS");
    }

    /**
     * Prepares a depthwise-separable block: fused (the kernel of {@link BlockPlanner.Choice#fused()}) or unfused, as
     * {@link BlockPlanner#chooseOpenCl} decides for {@code mode}. The fused kernel's defines do not depend on the input
     * shape; the unfused path prepares both steps for {@code expectedInput} (null: unknown).
     */
    @Override
    public PreparedBlock prepareBlock(SeparableBlock block, float[] depthwiseWeights, float[] pointwiseWeights,
                                      BlockMode mode, Shape expectedInput) {
        if (block == null) throw new IllegalArgumentException("block must not be null");
        block.depthwise().expectedOutputShape(expectedInput);
        checkOpen();
        BlockPlanner.Choice choice = BlockPlanner.chooseOpenCl(block, mode, facts);
        return choice.mode() == BlockMode.FUSED
                ? new OpenClFusedBlock(this, block, depthwiseWeights, pointwiseWeights, choice)
                : UnfusedBlock.prepare(this, block, depthwiseWeights, pointwiseWeights, choice.reason(), expectedInput);
    }

    /**
     * Prepares {@code block} with the fused kernel {@code fused} forced, whatever the block planner would pick (tests,
     * {@code convcl selftest}: every entry of {@link BlockPlanner#registry}).
     *
     * @throws IllegalArgumentException naming the kernel and its reason when {@code fused} declines the block on this device
     */
    public PreparedBlock prepareBlock(SeparableBlock block, float[] depthwiseWeights, float[] pointwiseWeights, BlockDescriptor fused) {
        if (block == null) throw new IllegalArgumentException("block must not be null");
        if (fused == null) throw new IllegalArgumentException("fused kernel descriptor must not be null");
        fused.declines(block, facts).ifPresent(why -> {
            throw new IllegalArgumentException("fused kernel " + fused.entryPoint() + " cannot run " + block + " (" + why + ")");
        });
        checkOpen();
        return new OpenClFusedBlock(this, block, depthwiseWeights, pointwiseWeights,
                new BlockPlanner.Choice(BlockMode.FUSED, "forced", fused));
    }

    /** The network operators as OpenCL kernels ({@code kernels/net_ops.cl}), built at first use. */
    @Override
    public synchronized java.util.Optional<org.convcl.TensorOps> tensorOps() {
        checkOpen();
        if (tensorOps == null) tensorOps = new OpenClTensorOps(this);
        return java.util.Optional.of(tensorOps);
    }

    @Override
    public void finish() {
        checkOpen();
        ClStatus.check(clFinish(queue), "clFinish");
    }

    /**
     * Releases every tensor, prepared convolution, kernel and program of this backend, then the queue and context,
     * all of them even when some release fails: the first failure is thrown at the end, later ones suppressed in it.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Closer closer = new Closer();
        closer.run(() -> ClStatus.check(clFinish(queue), "clFinish"));
        closer.closeAll(java.util.List.copyOf(livePrepared));
        if (tensorOps != null) closer.close(tensorOps);
        for (ClBuffer b : java.util.List.copyOf(liveBuffers)) closer.run(() -> release(b));
        closer.close(library);
        closer.run(() -> ClStatus.check(faults.released("clReleaseCommandQueue", 0, clReleaseCommandQueue(queue)),
                "clReleaseCommandQueue"));
        closer.run(() -> ClStatus.check(faults.released("clReleaseContext", 0, clReleaseContext(context)), "clReleaseContext"));
        closer.finish();
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() { return closed; }

    /** Buffers (tensors, weights, biases) allocated and not yet released; 0 after {@link #close()}. */
    public int liveBufferCount() { return liveBuffers.size(); }

    /** Kernel objects created and not yet released; 0 after {@link #close()}. */
    public int liveKernelCount() { return liveKernels.get(); }

    /** Compiled programs held in the cache; 0 after {@link #close()}. */
    public int liveProgramCount() { return library.liveProgramCount(); }

    /** Programs created so far (in-memory program cache misses): compiled from source or loaded from disk. */
    public int buildCount() { return library.buildCount() + library.binaryLoadCount(); }

    /** Prepared convolutions and fused blocks not yet closed; 0 after {@link #close()}. */
    public int livePreparedCount() { return livePrepared.size(); }

    // ---- package-private services for the prepared convolutions and blocks ----

    KernelLibrary library() { return library; }

    Launcher launcher() { return launcher; }

    cl_device_id deviceId() { return device; }

    cl_context context() { return context; }

    /** The one in-order queue every launch and transfer of this backend goes to (for {@link ClInterop}). */
    cl_command_queue queue() { return queue; }

    AtomicInteger kernelCounter() { return liveKernels; }

    ClBuffer noBias() { return noBias; }

    /** Tracks a prepared object (a convolution, a fused block) so that {@link #close()} closes it. */
    void track(AutoCloseable prepared) { livePrepared.add(prepared); }

    void untrack(AutoCloseable prepared) { livePrepared.remove(prepared); }

    /** Test seam: failures to report from buffer creation, kernel launches and releases ({@link FaultInjector#NONE} to stop). */
    void injectFaults(FaultInjector injector) {
        faults = injector;
        launcher.injectFaults(injector);
        library.injectFaults(injector);
    }

    /**
     * Creates a tracked buffer of {@code bytes}. Sizes above {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE} are refused
     * with {@link IllegalArgumentException} before anything is allocated.
     */
    ClBuffer createBuffer(long bytes, String name) {
        checkOpen();
        checkAllocation(bytes, name);
        ClStatus.check(faults.statusFor("clCreateBuffer", bytes), "clCreateBuffer(" + bytes + " bytes for " + name + ")");
        int[] status = new int[1];
        cl_mem mem = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, status);
        ClStatus.check(status[0], "clCreateBuffer(" + bytes + " bytes for " + name + ")");
        ClBuffer b = new ClBuffer(mem, bytes, name);
        liveBuffers.add(b);
        return b;
    }

    /** Throws {@link IllegalArgumentException} when {@code bytes} exceed {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE}. */
    private void checkAllocation(long bytes, String name) {
        if (bytes > info.maxAllocBytes()) {
            throw new IllegalArgumentException(name + " needs " + bytes + " bytes, more than CL_DEVICE_MAX_MEM_ALLOC_SIZE "
                    + info.maxAllocBytes() + " of " + info.describe());
        }
    }

    /** A tracked buffer holding {@code data} (blocking write). */
    ClBuffer createBuffer(float[] data, String name) {
        ClBuffer b = createBuffer(DataType.FLOAT32.bytes(data.length), name);
        try {
            write(b.mem(), data);
            return b;
        } catch (RuntimeException e) {
            release(b);
            throw e;
        }
    }

    /**
     * Makes {@code buffers} hold at least {@code bytes} under {@code key}: a large enough buffer is kept, a smaller one is
     * released first (so it is gone even if the new allocation fails) and replaced by {@code create}'s.
     */
    <K> void ensureBuffer(Map<K, ClBuffer> buffers, K key, long bytes, Supplier<ClBuffer> create) {
        ClBuffer held = buffers.get(key);
        if (held != null && held.bytes() >= bytes) return;
        if (held != null) release(buffers.remove(key));
        buffers.put(key, create.get());
    }

    /** Releases a buffer (idempotent) and stops tracking it, also when the release fails. */
    void release(ClBuffer buffer) {
        try {
            buffer.release(faults);
        } finally {
            liveBuffers.remove(buffer);
        }
    }

    /**
     * The OpenCL tensor behind {@code tensor}; {@code role} names it in messages. Throws
     * {@link IllegalArgumentException} for null or another backend's tensor and {@link IllegalStateException}
     * for a closed one or a closed backend.
     */
    ClTensor own(DeviceTensor tensor, String role) {
        checkOpen();
        if (tensor == null) throw new IllegalArgumentException(role + " tensor must not be null");
        if (!(tensor instanceof ClTensor t) || t.owner() != this) {
            throw new IllegalArgumentException(role + " tensor " + tensor + " belongs to backend " + describe(tensor.backend())
                    + ", not to this one (" + info.describe() + ")");
        }
        if (t.isClosed()) throw new IllegalStateException(role + " tensor " + t.name() + " is closed");
        return t;
    }

    /** The two tensors of one forward, owned by this backend, distinct, and shaped as the operation requires. */
    record Io(ClTensor src, ClTensor dst) {}

    /**
     * Checks a forward's tensors: both this backend's and open, not the same tensor, and {@code output} shaped
     * {@code outputShape} of the input's shape ({@code what} names the operation in the message).
     */
    Io io(DeviceTensor input, DeviceTensor output, java.util.function.UnaryOperator<Shape> outputShape, Object what) {
        ClTensor src = own(input, "input");
        ClTensor dst = own(output, "output");
        if (src == dst) throw new IllegalArgumentException("input and output must be different tensors, got " + src.name() + " twice");
        Shape expected = outputShape.apply(src.shape());
        if (!dst.shape().equals(expected)) {
            throw new IllegalArgumentException("output shape " + dst.shape() + " does not match " + expected
                    + ", the output of " + what + " for input shape " + src.shape());
        }
        return new Io(src, dst);
    }

    private static String describe(Backend b) {
        return b == null ? "null" : b.device().describe() + " (" + b.getClass().getSimpleName() + "@"
                + Integer.toHexString(System.identityHashCode(b)) + ")";
    }

    void checkOpen() {
        if (closed) throw new IllegalStateException("OpenCL backend on " + info.describe() + " is closed");
    }

    private void write(cl_mem mem, float[] data) {
        ClStatus.check(clEnqueueWriteBuffer(queue, mem, CL_TRUE, 0, DataType.FLOAT32.bytes(data.length), Pointer.to(data), 0, null, null),
                "clEnqueueWriteBuffer");
    }

    @Override
    public String toString() {
        return "OpenClBackend[" + info.describe() + (closed ? ", closed" : "") + "]";
    }
}
