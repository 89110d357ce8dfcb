package org.convcl.plan;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.ConvSpec;
import org.convcl.DataType;
import org.convcl.Shape;

/**
 * The GPU family's weight gradient of depthwise convolutions, any γ ({@code kernels/conv2d_bwd_filter_depthwise_gpu.cl}):
 * a work-group of {@code GROUP} items per output channel, each item summing a strided share of the channel's output
 * gradients per tap, the group's partial sums added by a fixed tree in local memory (the same bits on every run).
 */
public final class BackwardFilterDepthwiseGpuDescriptor extends SingleKernelBackward {
    /** Work-items per output channel: the group that reduces over the batch's output pixels. */
    public static final int GROUP = 256;

    BackwardFilterDepthwiseGpuDescriptor() {
        super(BackwardPass.FILTER, "conv2d_bwd_filter_depthwise_gpu", true);
    }

    @Override
    public KernelFamily family() { return KernelFamily.GPU; }

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        if (spec.kind() != ConvSpec.Kind.DEPTHWISE) return Optional.of("needs groups == inChannels");
        return otherFamily(device).or(() -> misfit(spec, defaults(spec), device).map(why -> "its default work-group does not fit: " + why));
    }

    /** A {@code GROUP} beyond the device's work-group limits, or its local memory. */
    @Override
    public Optional<String> misfit(ConvSpec spec, Map<String, Integer> params, DeviceFacts device) {
        int group = params.get("GROUP");
        if (group > device.maxWorkGroupSize() || group > device.maxWorkItemSizes()[0]) {
            return Optional.of("GROUP " + group + " exceeds the device's work-group limit " + Math.min(device.maxWorkGroupSize(), device.maxWorkItemSizes()[0]));
        }
        long bytes = DataType.FLOAT32.bytes(group);
        return bytes > device.localMemBytes() ? Optional.of("local memory " + bytes + " bytes exceeds the device's " + device.localMemBytes()) : Optional.empty();
    }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(List.of("GROUP"), GROUP);
    }

    @Override
    public List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean accumulate, DeviceFacts device) {
        Shape out = spec.outputShape(input);
        int group = params.get("GROUP");
        return List.of(launch(new long[] {group, out.c(), 1}, new long[] {group, 1, 1},
                BackwardDescriptor.args(List.of(Operand.INPUT, Operand.GRAD_OUTPUT, Operand.GRAD_WEIGHTS),
                        input.n(), input.c(), input.h(), input.w(), out.h(), out.w(), spec.padTop(), spec.padLeft(), accumulate ? 1 : 0)));
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        return "backward filter depthwise GPU: γ=" + spec.depthMultiplier() + ", a work-group of " + params.get("GROUP")
                + " items per output channel, partial sums per tap added by a fixed tree in local memory";
    }
}
