package org.convcl.plan;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The GPU family's implicit GEMM ({@code kernels/conv2d_igemm_gpu.cl}) for full and grouped specs (any stride,
 * dilation, padding): per group, M = output channels, N = output pixels of every image, K = input channels · KH · KW.
 * A work-group of {@code TN/RN × TM/RM} items computes a {@code TM × TN} output tile, staging {@code TK}-deep slices
 * of the weights and of the implicitly gathered input in local memory; each work-item keeps a register block of
 * {@code RM × RN} outputs. The planner picks it for full and grouped specs with at least
 * {@link ImplicitGemmDescriptor#MIN_OUT_PER_GROUP} output channels per group; the work-group is fixed by the defines
 * ({@link #misfit} says when it or its tiles do not fit a device).
 */
public final class ImplicitGemmGpuDescriptor implements AlgorithmDescriptor {
    /** Output channels per work-group tile. */
    public static final String TM = "TM";
    /** Output pixels per work-group tile. */
    public static final String TN = "TN";
    /** Depth of a staged K slice. */
    public static final String TK = "TK";
    /** Output channels per work-item (strided by TM/RM). */
    public static final String RM = "RM";
    /** Output pixels per work-item (strided by TN/RN). */
    public static final String RN = "RN";
    /** Default pixel tile and its register block: 64 pixels, 4 per work-item (16 work-items along pixels). */
    static final int DEFAULT_TN = 64, DEFAULT_RN = 4;
    /** Default K slice. */
    static final int DEFAULT_TK = 16;

    ImplicitGemmGpuDescriptor() {}

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        return Optional.empty();
    }

    @Override
    public Optional<String> passesOver(ConvSpec spec, DeviceFacts device) {
        if (spec.kind() == ConvSpec.Kind.POINTWISE) return Optional.of("pointwise layers run on a pointwise kernel");
        return spec.outChannelsPerGroup() >= ImplicitGemmDescriptor.MIN_OUT_PER_GROUP ? Optional.empty()
                : Optional.of(spec.outChannelsPerGroup() + " output channels per group, fewer than "
                        + ImplicitGemmDescriptor.MIN_OUT_PER_GROUP);
    }

    @Override
    public String kernelFile() { return "conv2d_igemm_gpu.cl"; }

    /** Its output-storing kernels add the residual ({@code HAS_RESIDUAL}). */
    @Override
    public boolean runsResidual() { return true; }

    @Override
    public String entryPoint() { return "conv2d_igemm_gpu"; }

    /** RM, RN (register block), TK, TM, TN (tile). */
    @Override
    public List<String> tunables() { return List.of(RM, RN, TK, TM, TN); }

    /**
     * 64 pixels × 64 channels in 16 × 16 work-items of 4 × 4 outputs; for 32 or fewer output channels per group 32 or
     * 16 channels (2 or 1 per work-item), so small layers do not compute empty rows.
     */
    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        int m = spec.outChannelsPerGroup();
        int tm = m > 32 ? 64 : m > 16 ? 32 : 16;
        return Tunables.params(tunables(), tm / 16, DEFAULT_RN, DEFAULT_TK, tm, DEFAULT_TN);
    }

    /** Each keeps the work-group at 128 or 256 items, a multiple of TN, and the tiles within 16 KiB of local memory. */
    @Override
    public List<Map<String, Integer>> candidateChanges() {
        return List.of(
                Map.of(TK, 8), Map.of(TK, 32, TM, 32, RM, 2), Map.of(TM, 128, RM, 8), Map.of(TM, 32, RM, 2),
                Map.of(TM, 32, RM, 4), Map.of(TN, 128, RN, 8), Map.of(TN, 32, RN, 2), Map.of(TN, 64, RN, 8),
                Map.of(TM, 64, RM, 8, TN, 128, RN, 8));
    }

    /** {@code kKHxKW,sSHxSW,cin<=B,hw<=B,nB}: as the CPU implicit GEMM's. */
    @Override
    public String shapeClassKey(ConvSpec spec, Shape input) {
        return ShapeClass.window(spec) + "," + ShapeClass.channels(spec.inChannels() / spec.groups()) + ","
                + ShapeClass.pixels(spec, input) + "," + ShapeClass.batch(input);
    }

    /** Bytes of the staged slices: {@code TK·(TM + 1) + TK·TN} elements and the kernel's flag. */
    static long localBytes(Map<String, Integer> params) {
        long tk = params.get(TK);
        return (tk * (params.get(TM) + 1) + tk * params.get(TN)) * GpuWorkGroup.ELEMENT_BYTES + Integer.BYTES;
    }

    @Override
    public Optional<String> misfit(ConvSpec spec, Map<String, Integer> params, DeviceFacts device) {
        int tm = params.get(TM), tn = params.get(TN), rm = params.get(RM), rn = params.get(RN);
        if (tm % rm != 0 || tn % rn != 0) {
            return Optional.of("RM " + rm + " must divide TM " + tm + " and RN " + rn + " must divide TN " + tn);
        }
        if ((long) (tm / rm) * (tn / rn) % tn != 0) {
            return Optional.of("the work-group of " + (tm / rm) * (tn / rn) + " items must be a multiple of TN " + tn);
        }
        return GpuWorkGroup.misfit(local(spec, null, params), localBytes(params), device);
    }

    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, Map<String, Integer> params) {
        TreeMap<String, Integer> d = new TreeMap<>();
        Planner.putWindow(d, spec);
        for (String name : tunables()) d.put(name, params.get(name));
        return d;
    }

    /** {@code (TN/RN, TM/RM, 1)}, whatever the output: the kernel's tiles are sized from it. */
    @Override
    public long[] local(ConvSpec spec, Shape output, Map<String, Integer> params) {
        return new long[] {params.get(TN) / params.get(RN), params.get(TM) / params.get(RM), 1};
    }

    @Override
    public String describe(ConvSpec spec, Map<String, Integer> params, boolean forced) {
        return "implicit GEMM (GPU family): groups=" + spec.groups() + ", " + Planner.window(spec) + ", work-groups of "
                + GpuWorkGroup.shape(local(spec, null, params)) + " items on " + params.get(TM) + " channels x " + params.get(TN)
                + " pixels, K slices of " + params.get(TK) + " (" + localBytes(params) + " B of local memory), " + params.get(RM)
                + "x" + params.get(RN) + " outputs per work-item";
    }

    /** {@code (ceil(N·OH·OW / TN)·TN/RN, ceil(outChannelsPerGroup / TM)·TM/RM, groups)}: whole work-groups. */
    @Override
    public long[] globalSize(Plan plan, ConvSpec spec, Shape output) {
        int tm = plan.define(TM), tn = plan.define(TN);
        long pixels = (long) output.n() * output.h() * output.w();
        return new long[] {Plan.ceilDiv(pixels, tn) * (tn / plan.define(RN)),
                Plan.ceilDiv(spec.outChannelsPerGroup(), tm) * (tm / plan.define(RM)), spec.groups()};
    }

    /** The default launch, after checking that the fixed work-group fits the device and the compiled kernel. */
    @Override
    public List<Launch> launches(Plan plan, ConvSpec spec, Shape input, DeviceFacts device, long[] kernelLimits) {
        return GpuWorkGroup.launches(this, plan, spec, input, device, kernelLimits,
                () -> AlgorithmDescriptor.super.launches(plan, spec, input, device, kernelLimits));
    }
}
