package org.convcl.opencl;

import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.function.Function;
import org.convcl.Activation;
import org.convcl.Closer;
import org.convcl.ConvSpec;
import org.convcl.DataType;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Shape;
import org.convcl.plan.BackwardDescriptor;
import org.convcl.plan.BackwardPass;
import org.convcl.plan.BackwardPlanner;
import org.convcl.plan.TransposedConv;
import org.convcl.plan.TuningTable;
import org.jocl.cl_mem;

/**
 * The backward passes of one {@link OpenClConv}: the kernels {@link BackwardPlanner} chooses for its spec, built at
 * first use (through the backend's program cache), and the layer's weights as given to prepare, uploaded at the first
 * data pass. Not thread-safe: the owning convolution calls it under its lock (kernel arguments are set and enqueued
 * there) and releases it in its {@code close()}.
 */
final class OpenClBackward {
    private final OpenClBackend backend;
    private final ConvSpec spec;
    private final float[] weights;
    private final Activation activation;
    private final TuningTable tuning;
    private final Map<KernelKey, ClKernel> kernels = new HashMap<>();
    private ClBuffer weightBuffer;
    private final Map<BackwardPass, BackwardDescriptor> forced = new HashMap<>(); // tests' choices, else the planner's
    private final Map<BackwardDescriptor.Operand, ClBuffer> scratches = new HashMap<>(); // the largest of each a launch has needed
    private PreparedConv transposedForward; // the stride-1 data pass, made at its first call

    private record KernelKey(String file, String entryPoint, SortedMap<String, Integer> defines) {}

    OpenClBackward(OpenClBackend backend, ConvSpec spec, float[] weights, Activation activation, TuningTable tuning) {
        this.backend = backend;
        this.spec = spec;
        this.weights = weights;
        this.activation = activation;
        this.tuning = tuning;
    }

    /** The plan of {@code pass} for a forward input of shape {@code input}: the kernel, its parameters (tuned or default), the reason. */
    BackwardPlanner.BackwardPlan plan(BackwardPass pass, Shape input) {
        return BackwardPlanner.plan(pass, spec, input, backend.facts(), tuning, forced.get(pass));
    }

    /**
     * Enqueues {@code dx} from {@code dz}: for a stride-1 layer the forward of the transposed, flipped weights
     * ({@link TransposedConv}, planned by the forward planner and prepared at the first call), else the
     * {@link BackwardPass#DATA} kernel. With {@code accumulate} the forward's result goes to a temporary first and is
     * added to {@code dx}.
     */
    void data(ClTensor dz, ClTensor dx, boolean accumulate) {
        ConvSpec transposed = TransposedConv.spec(spec);
        if (transposed != null) {
            if (transposedForward == null) {
                transposedForward = backend.prepare(transposed, TransposedConv.weights(spec, weights), Epilogue.none(), dz.shape());
            }
            if (!accumulate) {
                transposedForward.forward(dz, dx);
                return;
            }
            try (DeviceTensor partial = backend.allocate(dx.shape())) {
                transposedForward.forward(dz, partial);
                ClTensor p = backend.own(partial, "partial");
                run(BackwardPass.ACCUMULATE, dx.shape(), true, op -> switch (op) {
                    case PARTIAL -> p.mem();
                    case GRAD_INPUT -> dx.mem();
                    default -> throw unbound(op, BackwardPass.ACCUMULATE);
                });
            }
            return;
        }
        if (weightBuffer == null) weightBuffer = backend.createBuffer(weights, "weights for the backward passes of " + spec);
        run(BackwardPass.DATA, dx.shape(), accumulate, op -> switch (op) {
            case GRAD_OUTPUT -> dz.mem();
            case WEIGHTS -> weightBuffer.mem();
            case GRAD_INPUT -> dx.mem();
            default -> throw unbound(op, BackwardPass.DATA);
        });
    }

    /** Enqueues {@code dw} and, when {@code db} is not null, {@code db}. */
    void filter(ClTensor x, ClTensor dz, ClTensor dw, ClTensor db, boolean accumulate) {
        run(BackwardPass.FILTER, x.shape(), accumulate, op -> switch (op) {
            case INPUT -> x.mem();
            case GRAD_OUTPUT -> dz.mem();
            case GRAD_WEIGHTS -> dw.mem();
            default -> throw unbound(op, BackwardPass.FILTER);
        });
        if (db != null) {
            run(BackwardPass.BIAS, x.shape(), accumulate, op -> switch (op) {
                case GRAD_OUTPUT -> dz.mem();
                case GRAD_BIAS -> db.mem();
                default -> throw unbound(op, BackwardPass.BIAS);
            });
        }
    }

    /** Enqueues the activation's backward {@code dz} from the forward output {@code y} and {@code dy}. */
    void activation(ClTensor y, ClTensor dy, ClTensor dz) {
        run(BackwardPass.ACTIVATION, y.shape(), false, op -> switch (op) {
            case OUTPUT -> y.mem();
            case GRAD_OUTPUT -> dy.mem();
            case GRAD_PRE_ACTIVATION -> dz.mem();
            default -> throw unbound(op, BackwardPass.ACTIVATION);
        });
    }

    /**
     * Runs {@code descriptor}'s pass with {@code descriptor} from now on, whatever the planner would choose (its
     * {@link BackwardDescriptor#declinesInput} still applies: an input it declines goes to the planner's choice).
     *
     * @throws IllegalArgumentException when it declines this layer's spec
     */
    void force(BackwardDescriptor descriptor) {
        descriptor.declines(spec, backend.facts()).ifPresent(reason -> {
            throw new IllegalArgumentException("descriptor " + descriptor.getClass().getSimpleName() + " declines " + spec + ": " + reason);
        });
        forced.put(descriptor.pass(), descriptor);
    }

    /** The chosen kernel of each pass, for messages. */
    String describe() {
        StringBuilder s = new StringBuilder();
        if (TransposedConv.spec(spec) != null) s.append("backward data: the forward of the transposed flipped weights");
        for (BackwardPass pass : BackwardPass.values()) {
            if (pass == BackwardPass.DATA && s.length() > 0) continue;
            BackwardDescriptor d = BackwardPlanner.choose(pass, spec, backend.facts());
            s.append(s.length() == 0 ? "" : "; ").append(d.describe(spec, d.defaults(spec)));
        }
        return s.toString();
    }

    private void run(BackwardPass pass, Shape input, boolean accumulate, Function<BackwardDescriptor.Operand, cl_mem> operands) {
        BackwardPlanner.BackwardPlan plan = plan(pass, input);
        BackwardDescriptor d = plan.descriptor();
        SortedMap<String, Integer> params = plan.params();
        SortedMap<String, Integer> defines = d.defines(spec, params, activation);
        for (BackwardDescriptor.Operand s : BackwardDescriptor.Operand.SCRATCHES) {
            long bytes = DataType.FLOAT32.bytes(d.scratchFloats(spec, input, params, s));
            if (bytes > 0) backend.ensureBuffer(scratches, s, bytes, () -> backend.createBuffer(bytes, s + " of the backward passes of " + spec));
        }
        for (BackwardDescriptor.Launch l : d.launches(spec, input, params, accumulate, backend.facts())) {
            ClKernel kernel = l.kernelFile() == null ? kernel(new KernelKey(d.kernelFile(), l.entryPoint(), defines))
                    : kernel(new KernelKey(l.kernelFile(), l.entryPoint(), l.defines()));
            KernelArgs args = KernelArgs.on(kernel.handle());
            for (Object a : l.args()) {
                if (a instanceof BackwardDescriptor.Operand op && BackwardDescriptor.Operand.SCRATCHES.contains(op)) args.buffer(scratches.get(op).mem());
                else if (a instanceof BackwardDescriptor.Operand op) args.buffer(operands.apply(op));
                else args.int32((Integer) a);
            }
            backend.launcher().launch(kernel, l.global(), withinKernelLimit(l.local(), kernel.workGroupSize()), false);
        }
    }

    /** {@code local} with its largest dimension halved until the work-group fits the kernel's own limit. */
    private static long[] withinKernelLimit(long[] local, long limit) {
        long[] l = local.clone();
        while (true) {
            long product = 1;
            int largest = 0;
            for (int i = 0; i < l.length; i++) {
                product *= l[i];
                if (l[i] > l[largest]) largest = i;
            }
            if (product <= limit || l[largest] == 1) return l;
            l[largest] /= 2;
        }
    }

    private ClKernel kernel(KernelKey key) {
        ClKernel k = kernels.get(key);
        if (k == null) {
            k = new ClKernel(backend.library().program(key.file(), key.defines()), key.entryPoint(), backend.deviceId(),
                    backend.kernelCounter());
            kernels.put(key, k);
        }
        return k;
    }

    private static IllegalStateException unbound(BackwardDescriptor.Operand op, BackwardPass pass) {
        return new IllegalStateException("the " + pass + " backward kernel names operand " + op + ", which that pass does not have");
    }

    /** Releases the kernels, the weight and scratch buffers, all of them even when one release fails (the first failure thrown). */
    void release(Closer closer) {
        closer.close(transposedForward);
        transposedForward = null;
        closer.closeAll(kernels.values());
        kernels.clear();
        if (weightBuffer != null) {
            ClBuffer b = weightBuffer;
            weightBuffer = null;
            closer.run(() -> backend.release(b));
        }
        for (ClBuffer b : scratches.values()) closer.run(() -> backend.release(b));
        scratches.clear();
    }
}
