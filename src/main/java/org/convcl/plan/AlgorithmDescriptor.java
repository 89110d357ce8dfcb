package org.convcl.plan;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * Everything about one convolution algorithm, in one place: which specs it runs ({@link #declines}) and which the
 * planner picks it for ({@link #passesOver}), its tunable parameters with their defaults and the tuner's candidates,
 * the shape class a tuning entry serves, its kernels and their defines, its work sizes, the buffers it uploads and
 * the scratch it needs, and the arguments of each launch. Pure: no OpenCL; {@link Planner} chooses among the
 * descriptors of {@link Planner#registry} and the OpenCL backend builds and launches what the chosen one describes.
 *
 * <p>Tunable parameters are the kernel {@code -D}s ({@code TILE_OC}, {@code VEC}, ...) and preferred local sizes
 * ({@code L0}, {@code L1}, ...); their allowed values are {@link Tunables}'s.
 */
public interface AlgorithmDescriptor extends KernelDescriptor<ConvSpec> {
    /** The main {@code __kernel} function in {@link #kernelFile()}. */
    String entryPoint();

    /** The names of its tunable parameters; empty when it is not tuned. */
    default List<String> tunables() {
        return List.of();
    }

    /** Its untuned parameters for {@code spec} (one value per {@link #tunables()} name). */
    default SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Collections.emptySortedMap();
    }

    /** The tuner's changes to the defaults, each a few parameters (a short fixed list around the defaults). */
    default List<Map<String, Integer>> candidateChanges() {
        return List.of();
    }

    /**
     * The key of the {@link ShapeClass} of {@code spec} on {@code input} (only asked when {@link #tunables()} is not empty).
     */
    default String shapeClassKey(ConvSpec spec, Shape input) {
        throw new IllegalArgumentException(getClass().getSimpleName() + " is not tuned: it has no shape class");
    }

    /**
     * Why a plan of {@code spec} with {@code params} does not fit {@code device} (its local memory, its work-group
     * limits); empty when it fits. A plan that does not fit is never launched: the planner falls back (tuned
     * parameters to the defaults, then to the next algorithm of the registry) and says why in the plan's reason.
     */
    default Optional<String> misfit(ConvSpec spec, Map<String, Integer> params, DeviceFacts device) {
        return Optional.empty();
    }

    /** The kernel defines for {@code spec} and {@code params} (without the epilogue's, which the backend adds). */
    SortedMap<String, Integer> defines(ConvSpec spec, Map<String, Integer> params);

    /**
     * The preferred local size, before the device limits: for {@code output}, or for a large image when
     * {@code output} is null (prepare time, shape unknown).
     */
    long[] local(ConvSpec spec, Shape output, Map<String, Integer> params);

    /** What the plan does, for its reason, e.g. {@code "direct: groups=2, ..."}; {@code forced}: not the planner's pick. */
    String describe(ConvSpec spec, Map<String, Integer> params, boolean forced);

    /** The work-items per dimension of the main kernel for {@code output}, before rounding up to the local size. */
    long[] globalSize(Plan plan, ConvSpec spec, Shape output);

    /** The kernels one forward launches (built once per plan): by default the main entry point with the plan's defines. */
    default List<Launch.Kernel> kernels(Plan plan, ConvSpec spec) {
        return List.of(new Launch.Kernel(kernelFile(), entryPoint(), plan.defines(), true));
    }

    /**
     * The launches of one forward of {@code input}, in order. {@code kernelLimits[i]} is kernel i's own work-group
     * limit ({@code CL_KERNEL_WORK_GROUP_SIZE}); local sizes stay within it. By default one launch of kernel 0 with the
     * standard arguments: {@code src, wei, bia, dst, N, C, H, W, OC, OH, OW, groups, padTop, padLeft}.
     */
    default List<Launch> launches(Plan plan, ConvSpec spec, Shape input, DeviceFacts device, long[] kernelLimits) {
        Shape out = spec.outputShape(input);
        long[] local = plan.local();
        if (local[0] * local[1] * local[2] > kernelLimits[0]) {
            local = Planner.clamp(local, device.withMaxWorkGroupSize(kernelLimits[0]));
        }
        return List.of(new Launch(0, globalSize(plan, spec, out), local, Launch.args(
                List.of(Launch.Role.INPUT, Launch.Role.WEIGHTS, Launch.Role.BIAS, Launch.Role.OUTPUT),
                input.n(), input.c(), input.h(), input.w(), out.c(), out.h(), out.w(), spec.groups(), spec.padTop(), spec.padLeft())));
    }

    /**
     * Whether its kernels that store the output add a residual tensor under {@code HAS_RESIDUAL} (taking it as their
     * last argument, {@link Launch#withResidual}); the planner passes over the others for a layer with a residual.
     */
    default boolean runsResidual() {
        return false;
    }

    /** The buffers uploaded at prepare time from the folded weights: by default the weights as they are. */
    default List<Launch.Upload> uploads(ConvSpec spec, float[] foldedWeights) {
        return List.of(new Launch.Upload(Launch.Role.WEIGHTS, "weights", foldedWeights));
    }

    /** The scratch buffers a forward producing {@code output} needs: by default none. */
    default List<Launch.Scratch> scratch(ConvSpec spec, Shape output) {
        return List.of();
    }
}
