package org.convcl.plan;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
        SCRATCH,
        /** A second working buffer, for a copy of the input in another layout ({@link #scratchFloats(ConvSpec, Shape, SortedMap, Operand)}). */
        SCRATCH_INPUT,
        /** A third working buffer, for a copy of the output gradient in another layout. */
        SCRATCH_GRAD_OUTPUT;

        /** The working buffers, each held by the backend between calls. */
        public static final Set<Operand> SCRATCHES = EnumSet.of(SCRATCH, SCRATCH_INPUT, SCRATCH_GRAD_OUTPUT);
    }

    /**
     * One launch: an entry point, the global size (before rounding up to the local size), the local size, the arguments
     * in declaration order, each an {@link Operand} or an {@link Integer}, and the program: {@code kernelFile} built with
     * {@code defines}, both null for the descriptor's own ({@link #kernelFile()}, {@link #defines}).
     */
    record Launch(String entryPoint, long[] global, long[] local, List<Object> args, String kernelFile,
                  SortedMap<String, Integer> defines) {
        public Launch {
            if (global.length != local.length) throw new IllegalArgumentException("global and local sizes differ in rank");
            for (Object a : args) {
                if (!(a instanceof Operand) && !(a instanceof Integer)) throw new IllegalArgumentException("argument " + a);
            }
            if ((kernelFile == null) != (defines == null)) throw new IllegalArgumentException("a kernel file needs its defines");
            global = global.clone();
            local = local.clone();
            args = List.copyOf(args);
            defines = defines == null ? null : Collections.unmodifiableSortedMap(new TreeMap<>(defines));
        }

        /** A launch of the descriptor's own program. */
        public Launch(String entryPoint, long[] global, long[] local, List<Object> args) {
            this(entryPoint, global, local, args, null, null);
        }

        @Override
        public long[] global() { return global.clone(); }

        @Override
        public long[] local() { return local.clone(); }
    }

    /** What this kernel computes. */
    BackwardPass pass();

    /**
     * The device family the kernel is shaped for: the CPU family's (the default) run on every device (the GPU family's
     * registries fall back to them), the GPU family's decline other families' devices.
     */
    default KernelFamily family() {
        return KernelFamily.CPU;
    }

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

    /**
     * The elements of the working buffer {@code scratch} (one of {@link Operand#SCRATCHES}) the launches for a forward
     * input of shape {@code input} need; by default {@link #scratchFloats(ConvSpec, Shape, SortedMap)} for
     * {@link Operand#SCRATCH} and 0 for the others.
     */
    default long scratchFloats(ConvSpec spec, Shape input, SortedMap<String, Integer> params, Operand scratch) {
        return scratch == Operand.SCRATCH ? scratchFloats(spec, input, params) : 0;
    }

    /**
     * Why this kernel does not run {@code spec} on a forward input of shape {@code input}, though it takes the spec
     * ({@link #declines(Object, DeviceFacts)} is empty); empty when it does (the default).
     */
    default Optional<String> declinesInput(ConvSpec spec, Shape input) {
        return Optional.empty();
    }

    /**
     * Why the launches of {@code spec} with {@code params} do not fit {@code device} (its local memory, its work-group
     * limits); empty when they fit (the default). {@link BackwardPlanner#plan} gives a tuned entry that does not fit
     * way to the defaults.
     */
    default Optional<String> misfit(ConvSpec spec, java.util.Map<String, Integer> params, DeviceFacts device) {
        return Optional.empty();
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
