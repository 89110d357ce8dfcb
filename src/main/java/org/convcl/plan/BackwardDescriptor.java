package org.convcl.plan;

import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * Everything about one backward kernel of a convolution, in one place (as {@link AlgorithmDescriptor} for the forward
 * ones): which specs it runs ({@link #declines}), its pass, kernel file and entry point, its {@code -D}s (tunable
 * parameters with defaults), and the launches of one call with their arguments. Pure: no OpenCL.
 * {@link BackwardPlanner} chooses among the descriptors of a pass's registry.
 */
public interface BackwardDescriptor extends KernelDescriptor<ConvSpec> {

    /** The tensors a backward launch binds, by what they are to the convolution. */
    enum Operand {
        /** The forward input {@code x}. */
        INPUT,
        /** The forward output {@code y} (the activation's mask). */
        OUTPUT,
        /** The gradient of the output, {@code dz} (or {@code dy} for the activation's backward). */
        GRAD_OUTPUT,
        /** The layer's weights as given to prepare (OIHW). */
        WEIGHTS,
        /** The input gradient {@code dx}. */
        GRAD_INPUT,
        /** The weight gradient {@code dw} (OIHW). */
        GRAD_WEIGHTS,
        /** The bias gradient {@code db}. */
        GRAD_BIAS,
        /** The activation's result {@code dz}. */
        GRAD_PRE_ACTIVATION,
        /** A gradient computed apart, to be added ({@link BackwardPass#ACCUMULATE}). */
        PARTIAL,
        /** Working memory of {@link #scratchFloats} elements, held by the backend between calls. */
        SCRATCH
    }

    /**
     * One launch: an entry point of {@link #kernelFile()}, the global size (before rounding up to the local size), the
     * local size, and the arguments in declaration order, each an {@link Operand} or an {@link Integer}.
     */
    record Launch(String entryPoint, long[] global, long[] local, List<Object> args) {
        public Launch {
            if (global.length != local.length) throw new IllegalArgumentException("global and local sizes differ in rank");
            for (Object a : args) {
                if (!(a instanceof Operand) && !(a instanceof Integer)) throw new IllegalArgumentException("argument " + a);
            }
            global = global.clone();
            local = local.clone();
            args = List.copyOf(args);
        }

        @Override
        public long[] global() { return global.clone(); }

        @Override
        public long[] local() { return local.clone(); }
    }

    /** What this kernel computes. */
    BackwardPass pass();

    /** The {@code __kernel} functions its launches name. */
    List<String> entryPoints();

    /** Its untuned parameters for {@code spec} (the {@code -D}s a tuner may change). */
    SortedMap<String, Integer> defaults(ConvSpec spec);

    /**
     * The program's defines for {@code spec} and {@code params}: the window, the parameters, and the common header's
     * {@code HAS_BIAS} 0 and {@code ACTIVATION} ({@code activation}'s code where the kernel applies it, else 0).
     */
    SortedMap<String, Integer> defines(ConvSpec spec, SortedMap<String, Integer> params, Activation activation);

    /**
     * The launches of one call for a forward input of shape {@code input} (the activation pass: {@code input} is the
     * output shape), with {@code params} and the {@code accumulate} flag, local sizes within {@code device}'s limits.
     */
    List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean accumulate, DeviceFacts device);

    /**
     * The elements of {@link Operand#SCRATCH} the launches for a forward input of shape {@code input} need; 0 (the
     * default) when they bind none.
     */
    default long scratchFloats(ConvSpec spec, Shape input, SortedMap<String, Integer> params) {
        return 0;
    }

    /** What the kernel does, for plans and messages. */
    String describe(ConvSpec spec, SortedMap<String, Integer> params);

    /** The defines every windowed backward kernel takes, plus {@code HAS_BIAS} 0 and {@code ACTIVATION} 0. */
    static TreeMap<String, Integer> windowDefines(ConvSpec spec, SortedMap<String, Integer> params) {
        TreeMap<String, Integer> d = new TreeMap<>(params);
        Planner.putWindow(d, spec);
        d.put("HAS_BIAS", 0);
        d.put("ACTIVATION", Activation.NONE.code());
        return d;
    }

    /** {@code local} (three dimensions) clamped to the device's limits. */
    static long[] local(DeviceFacts device, long... local) {
        return Planner.clamp(local, device);
    }

    /** The standard integer arguments of the gemm-shaped kernels: sizes, groups and leading pads, then {@code accumulate}. */
    static List<Object> args(List<Operand> operands, int... ints) {
        List<Object> list = new java.util.ArrayList<>(operands);
        for (int v : ints) list.add(v);
        return list;
    }
}
