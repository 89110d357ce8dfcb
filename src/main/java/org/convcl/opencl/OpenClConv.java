package org.convcl.opencl;

import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.Shape;
import org.convcl.plan.Algorithm;
import org.convcl.plan.Plan;
import org.convcl.plan.Planner;
import org.convcl.plan.TuningTable;

/**
 * A convolution prepared on an {@link OpenClBackend}: folded weights and bias uploaded once, the planned
 * kernel built (through the backend's program cache) and created once.
 *
 * <p>Thread safety: {@code forward} may be called from several threads; setting the kernel arguments and
 * enqueueing happen under this object's lock because {@code clSetKernelArg} is not thread-safe.
 */
final class OpenClConv extends OpenClPrepared {
    private final ClBuffer weights;
    private final ClBuffer bias;
    private final SortedMap<String, Integer> epilogueDefines;
    private final Plan preparedPlan;
    private final TuningTable tuning;
    private final Algorithm forced;
    private final Map<SortedMap<String, Integer>, ClKernel> kernels = new HashMap<>(); // guarded by this
    private final Map<Shape, Launch> launches = new ConcurrentHashMap<>();

    /** A plan for one input shape and the kernel object that runs it. */
    private record Launch(Plan plan, ClKernel kernel) {}

    /**
     * {@code forced}: the algorithm to plan with (null: the planner's choice), never WINOGRAD ({@link OpenClWinogradConv}).
     * {@code expectedInput}: the input shape to plan and build for now (its launch is recorded, so its first forward
     * builds nothing); null plans without a shape (defaults, large-image local size).
     */
    OpenClConv(OpenClBackend backend, ConvSpec spec, Epilogue.Folded folded, TuningTable tuning, Algorithm forced,
               Shape expectedInput) {
        super(backend, spec);
        if (forced == Algorithm.WINOGRAD) throw new IllegalArgumentException("Winograd runs as OpenClWinogradConv");
        this.tuning = tuning;
        this.forced = forced;
        this.epilogueDefines = epilogueDefines(folded);
        ClBuffer w = null, b = null;
        try {
            w = backend.createBuffer(folded.weights(), "weights of " + spec);
            b = uploadOrNull(folded.bias(), "bias of " + spec);
            this.weights = w;
            this.bias = b;
            // builds (or finds) the program now, not at the first forward
            if (expectedInput == null) {
                this.preparedPlan = Planner.plan(spec, null, backend.facts(), tuning, forced);
                kernel(preparedPlan);
            } else {
                Launch launch = planFor(expectedInput);
                launches.put(expectedInput, launch);
                this.preparedPlan = launch.plan();
            }
        } catch (RuntimeException | Error e) {
            release(w, b);
            synchronized (this) {
                kernels.values().forEach(ClKernel::close);
            }
            throw e;
        }
    }

    /** {@code HAS_BIAS} and {@code ACTIVATION} (0 none, 1 ReLU, 2 ReLU6) for the common header. */
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

    /** The plan chosen at prepare time: the expected input's launch plan when one was given, else planned without a shape. */
    Plan preparedPlan() { return preparedPlan; }

    /** The plan that runs for {@code input} (planned and its program built now when not yet done). */
    Plan launchPlan(Shape input) { return launches.computeIfAbsent(input, this::planFor).plan(); }

    @Override
    long run(ClTensor src, ClTensor dst, boolean profile) {
        ConvSpec spec = spec();
        Shape in = src.shape();
        Shape expected = dst.shape();
        Launch launch = launches.computeIfAbsent(in, this::planFor);
        synchronized (this) {
            checkOpen();
            KernelArgs.on(launch.kernel().handle())
                    .buffer(src.mem()).buffer(weights.mem()).buffer(biasOrPlaceholder(bias))
                    .buffer(dst.mem())
                    .int32(in.n(), in.c(), in.h(), in.w(), expected.c(), expected.h(), expected.w(),
                            spec.groups(), spec.padTop(), spec.padLeft());
            return backend.launcher().launch(launch.kernel(), launch.plan().globalSize(spec, expected),
                    launch.plan().local(), profile);
        }
    }

    /** Plans for one input shape; replans within the kernel's own work-group limit when the first plan exceeds it. */
    private Launch planFor(Shape input) {
        ConvSpec spec = spec();
        Plan plan = Planner.plan(spec, input, backend.facts(), tuning, forced);
        ClKernel kernel = kernel(plan);
        long workItems = 1;
        for (long l : plan.local()) workItems *= l;
        if (workItems > kernel.workGroupSize()) {
            plan = Planner.plan(spec, input, backend.facts().withMaxWorkGroupSize(kernel.workGroupSize()), tuning, forced);
            kernel = kernel(plan);
        }
        return new Launch(plan, kernel);
    }

    /** The kernel object for a plan's defines (one per define set), building the program if needed. */
    private synchronized ClKernel kernel(Plan plan) {
        checkOpen();
        SortedMap<String, Integer> defines = KernelLibrary.merge(plan.defines(), epilogueDefines);
        ClKernel k = kernels.get(defines);
        if (k == null) {
            var program = backend.library().program(plan.algorithm().kernelFile(), defines);
            k = new ClKernel(program, plan.algorithm().entryPoint(), backend.deviceId(), backend.kernelCounter());
            kernels.put(defines, k);
        }
        return k;
    }

    /** Releases the kernels, weights and bias. */
    @Override
    void releaseResources() {
        kernels.values().forEach(ClKernel::close);
        kernels.clear();
        release(weights, bias);
    }

    @Override
    public String toString() {
        return "OpenClConv[" + spec() + ", " + preparedPlan + "]";
    }
}
