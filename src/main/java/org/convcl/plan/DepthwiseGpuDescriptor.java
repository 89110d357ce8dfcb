package org.convcl.plan;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The GPU family's depthwise kernel ({@code kernels/conv2d_depthwise_gpu.cl}) for groups == inChannels with depth
 * multiplier γ: a work-group of {@code WG_X × WG_Y × WG_C} items stages the input tile (with its halo) of
 * {@code WG_C} planes in local memory and computes a tile of {@code WG_Y·RY × WG_X·RX} outputs of each plane's γ
 * output channels, each work-item a register block of γ × {@code RY} × {@code RX} outputs. The work-group is fixed by
 * the defines: {@link #misfit} says when it or its tile does not fit a device.
 */
public final class DepthwiseGpuDescriptor implements AlgorithmDescriptor {
    /** Work-items along x (outputs along x of a row, strided by this count). */
    public static final String WG_X = "WG_X";
    /** Work-items along y. */
    public static final String WG_Y = "WG_Y";
    /** (image, input channel) planes per work-group. */
    public static final String WG_C = "WG_C";
    /** Outputs along x per work-item. */
    public static final String RX = "RX";
    /** Consecutive output rows per work-item. */
    public static final String RY = "RY";
    /** Defaults: 16 × 8 work-items on one plane, 2 × 2 outputs each, a 32 × 16 output tile (128 items). */
    static final int DEFAULT_WG_X = 16, DEFAULT_WG_Y = 8, DEFAULT_WG_C = 1, DEFAULT_RX = 2, DEFAULT_RY = 2;

    DepthwiseGpuDescriptor() {}

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        return spec.kind() == ConvSpec.Kind.DEPTHWISE ? Optional.empty()
                : Optional.of("the GPU depthwise kernel needs groups == inChannels");
    }

    @Override
    public String kernelFile() { return "conv2d_depthwise_gpu.cl"; }

    @Override
    public String entryPoint() { return "conv2d_depthwise_gpu"; }

    /** RX, RY (register block), WG_C, WG_X, WG_Y (work-group shape). */
    @Override
    public List<String> tunables() { return List.of(RX, RY, WG_C, WG_X, WG_Y); }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(tunables(), DEFAULT_RX, DEFAULT_RY, DEFAULT_WG_C, DEFAULT_WG_X, DEFAULT_WG_Y);
    }

    /** Each keeps the work-group at 64 to 256 items and a 3×3 stride-2 tile within 16 KiB of local memory. */
    @Override
    public List<Map<String, Integer>> candidateChanges() {
        return List.of(
                Map.of(RY, 1), Map.of(RY, 4, WG_Y, 4), Map.of(WG_Y, 16, RY, 1), Map.of(RX, 1, WG_X, 32),
                Map.of(WG_X, 32, WG_Y, 4), Map.of(RX, 4, WG_X, 8),
                // several planes per work-group, for 14×14 and 7×7 planes
                Map.of(WG_X, 8, WG_Y, 8, WG_C, 2), Map.of(WG_X, 4, WG_Y, 4, WG_C, 8),
                Map.of(WG_X, 8, WG_Y, 8, WG_C, 2, RX, 1, RY, 1));
    }

    /** {@code kKHxKW,sSHxSW,hw<=B,nB}: kernel, stride, output pixels per image, batch (as the CPU depthwise kernel's). */
    @Override
    public String shapeClassKey(ConvSpec spec, Shape input) {
        return ShapeClass.window(spec) + "," + ShapeClass.pixels(spec, input) + "," + ShapeClass.batch(input);
    }

    /** Bytes of the staged input tiles: {@code WG_C · IN_TH · IN_TW} elements. */
    static long localBytes(ConvSpec spec, Map<String, Integer> params) {
        long tileW = (long) params.get(WG_X) * params.get(RX), tileH = (long) params.get(WG_Y) * params.get(RY);
        long inW = (tileW - 1) * spec.strideW() + (long) (spec.kernelW() - 1) * spec.dilationW() + 1;
        long inH = (tileH - 1) * spec.strideH() + (long) (spec.kernelH() - 1) * spec.dilationH() + 1;
        return params.get(WG_C) * inH * inW * GpuWorkGroup.ELEMENT_BYTES;
    }

    @Override
    public Optional<String> misfit(ConvSpec spec, Map<String, Integer> params, DeviceFacts device) {
        return GpuWorkGroup.misfit(local(spec, null, params), localBytes(spec, params), device);
    }

    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, Map<String, Integer> params) {
        TreeMap<String, Integer> d = new TreeMap<>();
        Planner.putWindow(d, spec);
        d.put("DEPTH_MULT", spec.depthMultiplier());
        for (String name : tunables()) d.put(name, params.get(name));
        return d;
    }

    /** {@code (WG_X, WG_Y, WG_C)}, whatever the output: the kernel's tiles are sized from it. */
    @Override
    public long[] local(ConvSpec spec, Shape output, Map<String, Integer> params) {
        return new long[] {params.get(WG_X), params.get(WG_Y), params.get(WG_C)};
    }

    @Override
    public String describe(ConvSpec spec, Map<String, Integer> params, boolean forced) {
        return "depthwise (GPU family): γ=" + spec.depthMultiplier() + ", " + Planner.window(spec) + ", work-groups of "
                + GpuWorkGroup.shape(local(spec, null, params)) + " items on output tiles of " + params.get(WG_Y) * params.get(RY) + " rows x "
                + params.get(WG_X) * params.get(RX) + " columns (" + localBytes(spec, params) + " B of local memory), "
                + params.get(RY) + "x" + params.get(RX) + " outputs per work-item";
    }

    /** {@code (ceil(OW / TILE_W)·WG_X, ceil(OH / TILE_H)·WG_Y, ceil(N·inChannels / WG_C)·WG_C)}: whole work-groups. */
    @Override
    public long[] globalSize(Plan plan, ConvSpec spec, Shape output) {
        int wgX = plan.define(WG_X), wgY = plan.define(WG_Y), wgC = plan.define(WG_C);
        return new long[] {Plan.ceilDiv(output.w(), (long) wgX * plan.define(RX)) * wgX,
                Plan.ceilDiv(output.h(), (long) wgY * plan.define(RY)) * wgY,
                Plan.ceilDiv((long) output.n() * spec.inChannels(), wgC) * wgC};
    }

    /** The default launch, after checking that the fixed work-group fits the device and the compiled kernel. */
    @Override
    public List<Launch> launches(Plan plan, ConvSpec spec, Shape input, DeviceFacts device, long[] kernelLimits) {
        return GpuWorkGroup.launches(this, plan, spec, input, device, kernelLimits,
                () -> AlgorithmDescriptor.super.launches(plan, spec, input, device, kernelLimits));
    }
}
