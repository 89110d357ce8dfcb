package org.convcl.plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One kernel launch of a forward, as plain data that the OpenCL launcher binds: which of the plan's kernels
 * ({@link Kernel}, an index into {@link AlgorithmDescriptor#kernels}), the global size (before rounding up to the
 * local size), the local size, and the arguments in declaration order.
 *
 * @param kernel index of the kernel in the plan's kernel list
 * @param global work-items per dimension needed
 * @param local  local work size
 * @param args   the kernel arguments, in order
 */
public record Launch(int kernel, long[] global, long[] local, List<Arg> args) {
    public Launch {
        if (global.length != local.length) {
            throw new IllegalArgumentException("global and local sizes must have as many dimensions, got " + global.length
                    + " and " + local.length);
        }
        global = global.clone();
        local = local.clone();
        args = List.copyOf(args);
    }

    @Override
    public long[] global() { return global.clone(); }

    @Override
    public long[] local() { return local.clone(); }

    /**
     * A kernel to build: source file, entry point and defines.
     *
     * @param file       source under {@code /kernels}
     * @param entryPoint the {@code __kernel} function
     * @param defines    the plan's {@code -D}s
     * @param epilogue   whether the layer's epilogue defines (bias, activation) are added; false: none (no bias, no activation)
     */
    public record Kernel(String file, String entryPoint, SortedMap<String, Integer> defines, boolean epilogue) {
        public Kernel {
            defines = Collections.unmodifiableSortedMap(new TreeMap<>(defines));
        }
    }

    /** The buffers a kernel argument may name; the launcher binds each to a device buffer. */
    public enum Role {
        /** The input tensor. */
        INPUT,
        /** The output tensor. */
        OUTPUT,
        /** The folded weights as the layer gives them (a fused block: the packed pointwise weights). */
        WEIGHTS,
        /** The folded bias, or a placeholder the kernel does not read when it has none ({@code HAS_BIAS} 0). */
        BIAS,
        /** Always the placeholder: a kernel launched without bias. */
        NO_BIAS,
        /** Weights transformed at prepare time (Winograd's {@code U}). */
        TRANSFORMED_WEIGHTS,
        /** Scratch: the transformed input (Winograd's {@code V}). */
        TRANSFORMED_INPUT,
        /** Scratch: the batched products (Winograd's {@code M}). */
        PRODUCTS,
        /** Scratch, all zero: per-tile flags (Winograd's non-finite tiles). */
        TILE_FLAGS,
        /** A fused block's depthwise weights. */
        DEPTHWISE_WEIGHTS,
        /** A fused block's depthwise bias (zeros when it has none). */
        DEPTHWISE_BIAS,
        /**
         * The residual tensor of a layer prepared with one ({@code HAS_RESIDUAL} 1): the last argument of each launch that
         * stores the output ({@link #withResidual}).
         */
        RESIDUAL
    }

    /**
     * This launch with the residual appended as its last argument when it stores the output (its arguments name
     * {@link Role#OUTPUT}): the kernels that support the residual take it so ({@code CONVCL_RESIDUAL_ARG}).
     */
    public Launch withResidual() {
        if (!args.contains(new Buffer(Role.OUTPUT))) return this;
        List<Arg> more = new ArrayList<>(args);
        more.add(new Buffer(Role.RESIDUAL));
        return new Launch(kernel, global, local, more);
    }

    /** One kernel argument: a buffer by role or an {@code int}. */
    public sealed interface Arg permits Buffer, Int {}

    /** A buffer argument. */
    public record Buffer(Role role) implements Arg {}

    /** An {@code int} argument. */
    public record Int(int value) implements Arg {}

    /** Buffers, then ints, in order: {@code args(List.of(INPUT, OUTPUT), n, c)}. */
    public static List<Arg> args(List<Role> buffers, int... ints) {
        List<Arg> list = new ArrayList<>();
        for (Role r : buffers) list.add(new Buffer(r));
        for (int v : ints) list.add(new Int(v));
        return list;
    }

    /**
     * A buffer uploaded once at prepare time.
     *
     * @param role what kernel arguments call it
     * @param name for messages, e.g. {@code "weights"} (the backend adds {@code " of <spec>"})
     * @param data the floats
     */
    public record Upload(Role role, String name, float[] data) {}

    /**
     * A scratch buffer for one output shape, grown to the largest shape seen.
     *
     * @param role   what kernel arguments call it
     * @param name   for messages (the backend adds {@code " of <spec>"})
     * @param bytes  its size for the shape
     * @param zeroed whether it must start all zero (the kernels leave it so)
     */
    public record Scratch(Role role, String name, long bytes, boolean zeroed) {}
}
