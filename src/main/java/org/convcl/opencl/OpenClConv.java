package org.convcl.opencl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.convcl.Activation;
import org.convcl.Closer;
import org.convcl.ConvGradients;
import org.convcl.ConvSpec;
import org.convcl.DataType;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.Shape;
import org.convcl.plan.Algorithm;
import org.convcl.plan.Launch;
import org.convcl.plan.Plan;
import org.convcl.plan.Planner;
import org.convcl.plan.TuningTable;

/**
 * A convolution prepared on an {@link OpenClBackend}, whatever its algorithm: it uploads the buffers the plan's
 * descriptor asks for ({@link org.convcl.plan.AlgorithmDescriptor#uploads}) and the folded bias once, builds the
 * plan's kernels (through the backend's program cache), and per input shape binds and enqueues the descriptor's
 * launches, growing its scratch buffers to the largest shape seen (the queue is in order, so calls cannot overlap on
 * the device). Other input shapes than the prepared one are planned at their first forward.
 *
 * <p>Thread safety: {@code forward} may be called from several threads; setting the kernel arguments and
 * enqueueing happen under this object's lock because {@code clSetKernelArg} is not thread-safe.
 */
final class OpenClConv extends OpenClPrepared {
    private static final SortedMap<String, Integer> NO_EPILOGUE = new TreeMap<>(Map.of("HAS_BIAS", 0, "ACTIVATION", 0));

    private final SortedMap<String, Integer> epilogueDefines;
    private final Plan preparedPlan;
    private final TuningTable tuning;
    private final Algorithm forced;
    private final Map<KernelKey, ClKernel> kernels = new HashMap<>(); // guarded by this
    private final Map<Shape, Prepared> launches = new ConcurrentHashMap<>();
    private final Epilogue.Folded folded;
    private final boolean batchNormFolded;
    private final boolean residual;
    private OpenClBackward backward; // guarded by this; made at the first backward pass

    /** A kernel object is one entry point of one program (file and defines). */
    private record KernelKey(String file, String entryPoint, SortedMap<String, Integer> defines) {}

    /** One launch and the kernel object it runs. */
    private record Step(KernelKey key, ClKernel kernel, Launch launch) {}

    /** What a forward of one input shape runs: the plan, its launches and the scratch they need. */
    private record Prepared(Plan plan, List<Step> steps, List<Launch.Scratch> scratch) {}

    /**
     * {@code plan}: the plan for {@code expectedInput} (made by the backend with {@code tuning} and {@code forced},
     * which later input shapes are planned with too). {@code expectedInput}: the input shape whose kernels are built
     * and scratch allocated now (its first forward builds nothing); null builds the shapeless plan's kernels only.
     */
    OpenClConv(OpenClBackend backend, ConvSpec spec, Epilogue.Folded folded, boolean batchNormFolded, TuningTable tuning,
               Algorithm forced, Plan plan, Shape expectedInput) {
        this(backend, spec, folded, batchNormFolded, false, tuning, forced, plan, expectedInput);
    }

    /** As above; {@code residual}: the epilogue adds a residual tensor ({@code HAS_RESIDUAL}), {@code plan} planned so. */
    OpenClConv(OpenClBackend backend, ConvSpec spec, Epilogue.Folded folded, boolean batchNormFolded, boolean residual,
               TuningTable tuning, Algorithm forced, Plan plan, Shape expectedInput) {
        super(backend, spec);
        this.folded = folded;
        this.batchNormFolded = batchNormFolded;
        this.residual = residual;
        this.tuning = tuning;
        this.forced = forced;
        this.preparedPlan = plan;
        this.epilogueDefines = epilogueDefines(folded);
        if (residual) epilogueDefines.put("HAS_RESIDUAL", 1);
        try {
            for (Launch.Upload u : plan.descriptor().uploads(spec, folded.weights())) upload(u.role(), u.data(), u.name() + " of " + spec);
            upload(Launch.Role.BIAS, folded.bias(), "bias of " + spec);
            if (expectedInput == null) {
                for (Launch.Kernel k : plan.kernels(spec)) kernel(key(k)); // builds (or finds) the programs now
            } else {
                Prepared p = prepare(expectedInput, plan);
                launches.put(expectedInput, p);
                synchronized (this) {
                    ensureScratch(p);
                }
            }
        } catch (RuntimeException | Error e) {
            synchronized (this) {
                releaseAfter(e, kernels.values());
                kernels.clear();
            }
            throw e;
        }
    }

    /** {@code HAS_BIAS} and {@code ACTIVATION} (0 none, 1 ReLU, 2 ReLU6) for the common header ({@code HAS_RESIDUAL} is added by a layer with one). */
    static SortedMap<String, Integer> epilogueDefines(Epilogue.Folded folded) {
        TreeMap<String, Integer> d = new TreeMap<>();
        d.put("HAS_BIAS", folded.bias() == null ? 0 : 1);
        d.put("ACTIVATION", activationCode(folded.activation()));
        return d;
    }

    static int activationCode(Activation a) {
        return a.code();
    }

    @Override
    public String plan() { return preparedPlan.reason(); }

    /** The plan chosen at prepare time: the expected input's when one was given, else planned without a shape. */
    Plan preparedPlan() { return preparedPlan; }

    /** The plan that runs for {@code input} (planned and its programs built now when not yet done). */
    Plan launchPlan(Shape input) { return prepared(input).plan(); }

    /** What runs for {@code input}: the algorithm, each kernel's defines and each launch's local size (the tuner compares these). */
    String launchKey(Shape input) {
        Prepared p = prepared(input);
        StringBuilder key = new StringBuilder(p.plan().algorithm().name());
        for (Step s : p.steps()) key.append(' ').append(s.key()).append(Arrays.toString(s.launch().local()));
        return key.toString();
    }

    private Prepared prepared(Shape input) {
        return launches.computeIfAbsent(input, in -> prepare(in, Planner.plan(spec(), in, backend.facts(), tuning, forced, residual)));
    }

    @Override
    public boolean hasResidual() { return residual; }

    @Override
    long run(ClTensor src, ClTensor dst, boolean profile) {
        return run(src, null, dst, profile);
    }

    @Override
    long run(ClTensor src, ClTensor res, ClTensor dst, boolean profile) {
        Prepared p = prepared(src.shape());
        synchronized (this) {
            checkOpen();
            ensureScratch(p);
            long time = 0;
            for (Step s : p.steps()) {
                KernelArgs.bind(s.kernel().handle(), s.launch().args(), role -> mem(role, src, res, dst));
                time += backend.launcher().launch(s.kernel(), s.launch().global(), s.launch().local(), profile);
            }
            return profile ? time : -1;
        }
    }

    /** Builds (or finds) the plan's kernels and lays out its launches for {@code input}, each within its kernel's own work-group limit. */
    private Prepared prepare(Shape input, Plan plan) {
        ConvSpec spec = spec();
        List<Launch.Kernel> refs = plan.kernels(spec);
        List<KernelKey> keys = refs.stream().map(this::key).toList();
        List<ClKernel> built = new ArrayList<>();
        long[] limits = new long[refs.size()];
        for (int i = 0; i < refs.size(); i++) {
            built.add(kernel(keys.get(i)));
            limits[i] = built.get(i).workGroupSize();
        }
        List<Step> steps = new ArrayList<>();
        for (Launch l : plan.launches(spec, input, backend.facts(), limits)) {
            steps.add(new Step(keys.get(l.kernel()), built.get(l.kernel()), residual ? l.withResidual() : l));
        }
        return new Prepared(plan, List.copyOf(steps), plan.descriptor().scratch(spec, spec.outputShape(input)));
    }

    /** A plan's kernel with this layer's epilogue defines added (or none, for a kernel without the epilogue). */
    private KernelKey key(Launch.Kernel ref) {
        return new KernelKey(ref.file(), ref.entryPoint(),
                KernelLibrary.merge(ref.defines(), ref.epilogue() ? epilogueDefines : NO_EPILOGUE));
    }

    /** The kernel object for {@code key} (one per entry point and define set), building the program if needed. */
    private synchronized ClKernel kernel(KernelKey key) {
        checkOpen();
        ClKernel k = kernels.get(key);
        if (k == null) {
            k = new ClKernel(backend.library().program(key.file(), key.defines()), key.entryPoint(), backend.deviceId(),
                    backend.kernelCounter());
            kernels.put(key, k);
        }
        return k;
    }

    /**
     * Grows each scratch buffer of {@code p} to its size (kept for smaller shapes); a buffer replaced is released first,
     * so it is gone even if the new allocation fails. Call under this object's lock.
     */
    private void ensureScratch(Prepared p) {
        for (Launch.Scratch s : p.scratch()) {
            String name = s.name() + " of " + spec();
            backend.ensureBuffer(buffers, s.role(), s.bytes(), () -> s.zeroed()
                    ? backend.createBuffer(new float[Math.toIntExact(s.bytes() / DataType.FLOAT32.bytes())], name)
                    : backend.createBuffer(s.bytes(), name));
        }
    }

    /** Releases the kernels and every buffer (uploads, bias, scratch), and those of the backward passes. */
    @Override
    void releaseResources() {
        Closer closer = new Closer();
        closer.run(() -> releaseAll(kernels.values()));
        kernels.clear();
        if (backward != null) backward.release(closer);
        backward = null;
        closer.finish();
    }

    // ---- backward passes: checked here, run by OpenClBackward under this object's lock ----

    @Override
    public void backwardData(DeviceTensor gradOutput, DeviceTensor gradInput, boolean accumulate) {
        ClTensor dz = backend.own(gradOutput, "gradOutput");
        ClTensor dx = backend.own(gradInput, "gradInput");
        if (dz == dx) throw new IllegalArgumentException("gradOutput and gradInput must be different tensors, got " + dz.name() + " twice");
        ConvGradients.checkGradOutput(spec(), dz.shape(), dx.shape(), "gradInput");
        synchronized (this) {
            backward().data(dz, dx, accumulate);
        }
    }

    @Override
    public void backwardFilter(DeviceTensor input, DeviceTensor gradOutput, DeviceTensor gradWeights, DeviceTensor gradBias,
                               boolean accumulate) {
        ClTensor x = backend.own(input, "input");
        ClTensor dz = backend.own(gradOutput, "gradOutput");
        ClTensor dw = backend.own(gradWeights, "gradWeights");
        ClTensor db = gradBias == null ? null : backend.own(gradBias, "gradBias");
        ConvGradients.checkGradOutput(spec(), dz.shape(), x.shape(), "input");
        ConvGradients.checkShape(dw.shape(), ConvGradients.weightShape(spec()), "gradWeights");
        if (db != null) ConvGradients.checkShape(db.shape(), ConvGradients.biasShape(spec()), "gradBias");
        ConvGradients.checkDistinct(x, dz, dw, db);
        synchronized (this) {
            backward().filter(x, dz, dw, db, accumulate);
        }
    }

    @Override
    public void activationBackward(DeviceTensor output, DeviceTensor gradOutput, DeviceTensor gradPreActivation) {
        ClTensor y = backend.own(output, "output");
        ClTensor dy = backend.own(gradOutput, "gradOutput");
        ClTensor dz = backend.own(gradPreActivation, "gradPreActivation");
        ConvGradients.checkShape(dy.shape(), y.shape(), "gradOutput");
        ConvGradients.checkShape(dz.shape(), y.shape(), "gradPreActivation");
        if (dz == y) throw new IllegalArgumentException("gradPreActivation must not be the output tensor " + y.name());
        ConvGradients.requireOutputMask(folded.activation());
        synchronized (this) {
            checkOpen();
            backwardKernels().activation(y, dy, dz);
        }
    }

    /** The backward passes; refused for a layer whose weights had batch-norm folded in. Call under this object's lock. */
    private OpenClBackward backward() {
        checkOpen();
        if (batchNormFolded) throw new IllegalStateException(ConvGradients.noBackwardWithBatchNorm(spec()));
        return backwardKernels();
    }

    /** Runs {@code descriptor}'s backward pass with it from now on (tests: a kernel the planner would not pick). */
    synchronized void forceBackward(org.convcl.plan.BackwardDescriptor descriptor) {
        checkOpen();
        backwardKernels().force(descriptor);
    }

    /** The backward plan of {@code pass} for a forward input of shape {@code input} (tests: which kernel and parameters, and why). */
    synchronized org.convcl.plan.BackwardPlanner.BackwardPlan backwardPlan(org.convcl.plan.BackwardPass pass, Shape input) {
        checkOpen();
        return backwardKernels().plan(pass, input);
    }

    private OpenClBackward backwardKernels() {
        if (backward == null) backward = new OpenClBackward(backend, spec(), folded.weights(), folded.activation(), tuning);
        return backward;
    }

    @Override
    public String toString() {
        return "OpenClConv[" + spec() + ", " + preparedPlan + "]";
    }
}
