package org.convcl.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.ConvSpec;
import org.convcl.DataType;
import org.convcl.Shape;

/**
 * The GPU family's pointwise GEMM ({@code kernels/conv2d_pointwise_gpu.cl}) for 1×1, stride-1, unpadded, groups-1
 * specs: a work-group of {@code L0 × L1} items computes a {@code TILE_M × TILE_N} block (output channels × pixels) of
 * {@code W·X} per image, staging {@code TILE_K}-channel slices of both operands in local memory; each item keeps a
 * {@code TILE_M/L1 × TILE_N/L0} register block. The local size is fixed by the defines (the kernel requires it), so a
 * plan whose work-group or local memory does not fit the device is refused by {@link #misfit} rather than shrunk.
 * Winograd's batched GEMMs run on it on the GPU family ({@link Algorithm#WINOGRAD_GPU}, with
 * {@link PointwiseDescriptor#WEI_BATCH}).
 */
public final class PointwiseGpuDescriptor implements AlgorithmDescriptor {
    /** Output channels per work-group. */
    public static final String TILE_M = "TILE_M";
    /** Pixels per work-group. */
    public static final String TILE_N = "TILE_N";
    /** Input channels per local-memory slice. */
    public static final String TILE_K = "TILE_K";
    /** Work-items along the pixels (local dimension 0). */
    public static final String L0 = "L0";
    /** Work-items along the output channels (local dimension 1). */
    public static final String L1 = "L1";
    /**
     * Defaults: 64 × 64 blocks, K slices of 16, 16 × 16 = 256 items with 4 × 4 outputs each: 8 256 bytes of local
     * memory, which fits the 16 KiB the smallest OpenCL devices offer. Not measured on a GPU yet (docs/tuning.md).
     */
    static final int DEFAULT_TILE_M = 64, DEFAULT_TILE_N = 64, DEFAULT_TILE_K = 16, DEFAULT_L0 = 16, DEFAULT_L1 = 16;
    /** Largest register block side (outputs per item along one dimension) the tiles may give. */
    static final int MAX_PER_ITEM = 8;

    PointwiseGpuDescriptor() {}

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        return spec.kind() == ConvSpec.Kind.POINTWISE ? Optional.empty()
                : Optional.of("the pointwise GPU kernel needs a 1x1 kernel, stride 1, no padding, groups 1");
    }

    @Override
    public String kernelFile() { return "conv2d_pointwise_gpu.cl"; }

    /** Its output-storing kernels add the residual ({@code HAS_RESIDUAL}). */
    @Override
    public boolean runsResidual() { return true; }

    @Override
    public String entryPoint() { return "conv2d_pointwise_gpu"; }

    /** TILE_M, TILE_N, TILE_K, L0, L1. */
    @Override
    public List<String> tunables() { return List.of(TILE_M, TILE_N, TILE_K, L0, L1); }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(tunables(), DEFAULT_TILE_M, DEFAULT_TILE_N, DEFAULT_TILE_K, DEFAULT_L0, DEFAULT_L1);
    }

    /** Deeper and shallower K slices, 128- and 64-item groups, larger and smaller blocks per item. */
    @Override
    public List<Map<String, Integer>> candidateChanges() {
        return List.of(
                Map.of(TILE_K, 8), Map.of(TILE_K, 32),
                Map.of(TILE_M, 32, L1, 8), Map.of(TILE_N, 32, L0, 8),
                Map.of(TILE_M, 128), Map.of(TILE_N, 128), Map.of(TILE_M, 128, TILE_N, 128, TILE_K, 8),
                Map.of(L0, 8, L1, 8), Map.of(TILE_M, 32, TILE_N, 32, L0, 8, L1, 8));
    }

    /** {@code cin<=B,hw<=B,nB}: input channels, output pixels per image, batch (as the CPU family's pointwise kernel). */
    @Override
    public String shapeClassKey(ConvSpec spec, Shape input) {
        return ShapeClass.channels(spec.inChannels()) + "," + ShapeClass.pixels(spec, input) + "," + ShapeClass.batch(input);
    }

    /**
     * Why the tiles of {@code params} do not fit {@code device}: an inconsistent tiling (the kernel's {@code #error}s),
     * more local memory than the device has, or a work-group beyond its limits.
     */
    @Override
    public Optional<String> misfit(ConvSpec spec, Map<String, Integer> params, DeviceFacts device) {
        int tm = params.get(TILE_M), tn = params.get(TILE_N), tk = params.get(TILE_K), l0 = params.get(L0), l1 = params.get(L1);
        long items = (long) l0 * l1;
        List<String> why = new ArrayList<>();
        if (tn % l0 != 0 || tm % l1 != 0) why.add("TILE_N " + tn + " / L0 " + l0 + " or TILE_M " + tm + " / L1 " + l1 + " is not whole");
        else if (tn / l0 > MAX_PER_ITEM || tm / l1 > MAX_PER_ITEM) {
            why.add("register block " + tm / l1 + "x" + tn / l0 + " per work-item exceeds " + MAX_PER_ITEM + "x" + MAX_PER_ITEM);
        }
        if ((long) tk * tn % items != 0 || (long) tk * tm % items != 0) {
            why.add("the " + items + " work-items do not divide the tiles TILE_K x TILE_N = " + tk + "x" + tn + " and TILE_K x TILE_M = " + tk + "x" + tm);
        }
        long bytes = localMemBytes(params);
        if (bytes > device.localMemBytes()) {
            why.add("local memory " + bytes + " bytes exceeds the device's " + device.localMemBytes());
        }
        if (items > device.maxWorkGroupSize()) {
            why.add("work-group of " + items + " items exceeds the device's limit of " + device.maxWorkGroupSize());
        }
        long[] perDim = device.maxWorkItemSizes();
        if (l0 > perDim[0] || l1 > perDim[1]) {
            why.add("local size " + l0 + "x" + l1 + " exceeds the device's per-dimension limits " + perDim[0] + "x" + perDim[1]);
        }
        return why.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", why));
    }

    /** The local memory a work-group of {@code params} uses: the input tile and the (row-padded) weight tile. */
    static long localMemBytes(Map<String, Integer> params) {
        long tk = params.get(TILE_K);
        return DataType.FLOAT32.bytes(tk * params.get(TILE_N) + tk * (params.get(TILE_M) + 1));
    }

    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, Map<String, Integer> params) {
        TreeMap<String, Integer> d = new TreeMap<>();
        for (String name : tunables()) d.put(name, params.get(name));
        return d;
    }

    /** Exactly {@code (L0, L1, 1)}, whatever the image: the kernel's tiles are sized by it. */
    @Override
    public long[] local(ConvSpec spec, Shape output, Map<String, Integer> params) {
        return new long[] {params.get(L0), params.get(L1), 1};
    }

    @Override
    public String describe(ConvSpec spec, Map<String, Integer> params, boolean forced) {
        int tm = params.get(TILE_M), tn = params.get(TILE_N), l0 = params.get(L0), l1 = params.get(L1);
        return "pointwise GPU: GEMM per image, work-groups of " + l0 * l1 + " items each computing " + tm + " channels x " + tn
                + " pixels (" + tm / l1 + "x" + tn / l0 + " per item), K slices of " + params.get(TILE_K) + " staged in "
                + localMemBytes(params) + " bytes of local memory";
    }

    /** {@code (ceil(OH·OW / TILE_N)·L0, ceil(outChannels / TILE_M)·L1, N)}: one work-group per block and image. */
    @Override
    public long[] globalSize(Plan plan, ConvSpec spec, Shape output) {
        long pixels = (long) output.h() * output.w();
        return new long[] {Plan.ceilDiv(pixels, plan.define(TILE_N)) * plan.define(L0),
                Plan.ceilDiv(output.c(), plan.define(TILE_M)) * plan.define(L1), output.n()};
    }

    /**
     * The default launch with the plan's local size as it is: the kernel requires it, so a compiled kernel whose own
     * limit ({@code CL_KERNEL_WORK_GROUP_SIZE}) is below it is an error rather than a smaller group.
     */
    @Override
    public List<Launch> launches(Plan plan, ConvSpec spec, Shape input, DeviceFacts device, long[] kernelLimits) {
        requireKernelLimit(plan, kernelLimits[0]);
        return AlgorithmDescriptor.super.launches(plan, spec, input, device, kernelLimits);
    }

    /** Throws {@link IllegalStateException} when {@code plan}'s fixed work-group exceeds its compiled kernel's limit. */
    static void requireKernelLimit(Plan plan, long kernelLimit) {
        long[] l = plan.local();
        if (l[0] * l[1] * l[2] > kernelLimit) {
            throw new IllegalStateException("the pointwise GPU kernel needs work-groups of " + l[0] * l[1] * l[2]
                    + " items, but its compiled kernel allows " + kernelLimit + " (CL_KERNEL_WORK_GROUP_SIZE); plan: " + plan);
        }
    }
}
