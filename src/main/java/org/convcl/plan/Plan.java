package org.convcl.plan;

import java.util.Arrays;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * A kernel choice: the algorithm (kernel file and entry point), the {@code -D} defines that unroll loops
 * and size tiles, the local work size, and a one-line reason. {@link #globalSize(ConvSpec, Shape)} gives the grid for
 * an output shape, so one plan (and one compiled program) serves many image sizes.
 *
 * @param algorithm the algorithm, which names the kernel file and entry point
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

    /**
     * The number of work-items per dimension needed for {@code output} (before rounding up to the local size):
     * <ul>
     *   <li>DIRECT: {@code (OW, OH, N · groups · ceil(outChannelsPerGroup / TILE_OC))}</li>
     *   <li>IMPLICIT_GEMM: {@code (ceil(OW / VEC), OH, N · groups · ceil(outChannelsPerGroup / TILE_OC))}</li>
     *   <li>DEPTHWISE: {@code (ceil(OW / VEC), ceil(OH / TILE_Y), N · inChannels)}</li>
     *   <li>POINTWISE: {@code (ceil(OH·OW / VEC), ceil(outChannels / TILE_OC), N)}; for images smaller than VEC
     *       pixels without {@code WEI_BATCH}, {@code (ceil(N·OH·OW / VEC), ceil(outChannels / TILE_OC), 1)}: the
     *       lanes run across the batch</li>
     *   <li>WINOGRAD (its output transform): {@code (ceil(OH / 2) · ceil(OW / 2), outChannels, N)}</li>
     * </ul>
     */
    public long[] globalSize(ConvSpec spec, Shape output) {
        return switch (algorithm) {
            case DIRECT -> new long[] {output.w(), output.h(),
                    (long) output.n() * spec.groups() * ceilDiv(spec.outChannelsPerGroup(), define(TILE_OC))};
            case IMPLICIT_GEMM -> new long[] {ceilDiv(output.w(), define(VEC)), output.h(),
                    (long) output.n() * spec.groups() * ceilDiv(spec.outChannelsPerGroup(), define(TILE_OC))};
            case DEPTHWISE -> new long[] {ceilDiv(output.w(), define(VEC)), ceilDiv(output.h(), define(TILE_Y)),
                    (long) output.n() * spec.inChannels()};
            case POINTWISE -> {
                long pixels = (long) output.h() * output.w();
                boolean acrossBatch = pixels < define(VEC) && !defines.containsKey(Planner.WEI_BATCH);
                yield new long[] {ceilDiv(acrossBatch ? output.n() * pixels : pixels, define(VEC)),
                        ceilDiv(output.c(), define(TILE_OC)), acrossBatch ? 1 : output.n()};
            }
            case WINOGRAD -> new long[] {(long) Winograd.tilesY(output) * Winograd.tilesX(output), output.c(), output.n()};
        };
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
