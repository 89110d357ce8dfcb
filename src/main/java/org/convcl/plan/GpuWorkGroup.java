package org.convcl.plan;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.convcl.ConvSpec;
import org.convcl.DataType;
import org.convcl.Shape;

/**
 * The work-group checks of the GPU-family descriptors, whose local size is fixed by their defines (the kernels
 * declare it with {@code reqd_work_group_size} and size their local-memory tiles from it): it must fit the device and
 * the compiled kernel as it is, never shrunk.
 */
final class GpuWorkGroup {
    /** Bytes of one staged element (the kernels compute in {@code real}, fp32). */
    static final int ELEMENT_BYTES = DataType.FLOAT32.bytes();

    private GpuWorkGroup() {}

    /**
     * Why a work-group of {@code local} items staging {@code localBytes} of local memory does not fit {@code device}
     * (its work-group limit, its per-dimension limits, its local memory); empty when it fits.
     */
    static Optional<String> misfit(long[] local, long localBytes, DeviceFacts device) {
        long items = local[0] * local[1] * local[2];
        if (items > device.maxWorkGroupSize()) {
            return Optional.of("a work-group of " + items + " items (" + shape(local) + ") exceeds the device's limit of "
                    + device.maxWorkGroupSize());
        }
        long[] perDim = device.maxWorkItemSizes();
        for (int i = 0; i < 3; i++) {
            if (local[i] > perDim[i]) {
                return Optional.of("a work-group of " + shape(local) + " items exceeds the device's per-dimension limits "
                        + Arrays.toString(perDim) + " in dimension " + i);
            }
        }
        if (localBytes > device.localMemBytes()) {
            return Optional.of(localBytes + " bytes of local memory exceed the device's " + device.localMemBytes());
        }
        return Optional.empty();
    }

    /**
     * The launches of {@code descriptor}'s plan (its default single launch) after checking that the plan's fixed work-group
     * fits {@code device} and the compiled kernel's own limit {@code kernelLimits[0]}; throws
     * {@link IllegalStateException} naming the limit otherwise (a plan that does not fit is never launched).
     */
    static List<Launch> launches(AlgorithmDescriptor descriptor, Plan plan, ConvSpec spec, Shape input, DeviceFacts device,
                                 long[] kernelLimits, DefaultLaunches defaults) {
        Map<String, Integer> params = plan.defines();
        long[] local = descriptor.local(spec, null, params);
        descriptor.misfit(spec, params, device).ifPresent(why -> {
            throw new IllegalStateException(descriptor.entryPoint() + " for " + spec + " does not fit the device: " + why);
        });
        long items = local[0] * local[1] * local[2];
        if (items > kernelLimits[0]) {
            throw new IllegalStateException(descriptor.entryPoint() + " for " + spec + ": its work-group of " + items + " items ("
                    + shape(local) + ") exceeds the compiled kernel's limit of " + kernelLimits[0]);
        }
        if (!Arrays.equals(local, plan.local())) {
            throw new IllegalStateException(descriptor.entryPoint() + " for " + spec + ": the plan's local size "
                    + Arrays.toString(plan.local()) + " is not the work-group its defines fix, " + Arrays.toString(local));
        }
        return defaults.launches();
    }

    /** The descriptor's default launches ({@code AlgorithmDescriptor.super.launches}), made once the checks passed. */
    @FunctionalInterface
    interface DefaultLaunches {
        List<Launch> launches();
    }

    /** {@code 16x8x1}. */
    static String shape(long[] local) {
        return local[0] + "x" + local[1] + "x" + local[2];
    }
}
