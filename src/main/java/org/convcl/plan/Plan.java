package org.convcl.plan;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * A kernel choice: the algorithm (whose {@link AlgorithmDescriptor} says the rest), the {@code -D} defines that unroll
 * loops and size tiles, the local work size, and a one-line reason. {@link #globalSize}, {@link #kernels} and
 * {@link #launches} give the grid, the kernels to build and the launches for an input shape, so one plan (and one
 * compiled program) serves many image sizes.
 *
 * @param algorithm the algorithm
 * @param defines   kernel defines by name (sorted); the epilogue switches are added by the backend
 * @param local     local work size, three dimensions
 * @param reason    why this choice, e.g. {@code "direct: groups=2, stride 2"}
 */
public record Plan(Algorithm algorithm, SortedMap<String, Integer> defines, long[] local, String reason) {

    /** Output rows per work-item in the depthwise kernel. */
    public static final String TILE_Y = "TILE_Y";
    /** Output channels per work-item in the direct, implicit-GEMM and pointwise kernels. */
    public static final String TILE_OC = "TILE_OC";
    /** Vector width: consecutive pixels (pointwise) or outputs along x (depthwise, implicit GEMM) per work-item. */
    public static final String VEC = "VEC";
    /** Input channels per step of the reduction loop (pointwise). */
    public static final String KSTEP = "KSTEP";

    public Plan {
        if (algorithm == null) throw new IllegalArgumentException("algorithm must not be null");
        if (local == null || local.length != 3) {
            throw new IllegalArgumentException("local size must have 3 entries, got " + Arrays.toString(local));
        }
        defines = Collections.unmodifiableSortedMap(new TreeMap<>(defines));
        local = local.clone();
    }

    /** The local work size (a copy). */
    @Override
    public long[] local() { return local.clone(); }

    /** One define's value; throws naming the define when the plan lacks it. */
    public int define(String name) {
        Integer v = defines.get(name);
        if (v == null) throw new IllegalStateException("plan for " + algorithm + " has no define " + name + ": " + defines);
        return v;
    }

    /** What the algorithm runs and how. */
    public AlgorithmDescriptor descriptor() { return algorithm.descriptor(); }

    /**
     * The number of work-items per dimension of the main kernel for {@code output}, before rounding up to the local
     * size ({@link AlgorithmDescriptor#globalSize}).
     */
    public long[] globalSize(ConvSpec spec, Shape output) {
        return algorithm.descriptor().globalSize(this, spec, output);
    }

    /** The kernels one forward launches ({@link AlgorithmDescriptor#kernels}). */
    public List<Launch.Kernel> kernels(ConvSpec spec) {
        return algorithm.descriptor().kernels(this, spec);
    }

    /**
     * The launches of one forward of {@code input} ({@link AlgorithmDescriptor#launches}), each local size within the
     * device and its kernel's {@code kernelLimits} entry.
     */
    public List<Launch> launches(ConvSpec spec, Shape input, DeviceFacts device, long[] kernelLimits) {
        return algorithm.descriptor().launches(this, spec, input, device, kernelLimits);
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** A compact form for logs: algorithm, defines, local size and reason. */
    @Override
    public String toString() {
        return algorithm + " " + defines + " local=" + Arrays.toString(local) + " (" + reason + ")";
    }

    /** Plans are equal when they would launch the same kernel the same way. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Plan p && algorithm == p.algorithm && defines.equals(p.defines)
                && Arrays.equals(local, p.local) && reason.equals(p.reason);
    }

    @Override
    public int hashCode() {
        return (algorithm.hashCode() * 31 + defines.hashCode()) * 31 + Arrays.hashCode(local);
    }
}
