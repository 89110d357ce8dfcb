package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The weight gradient of depthwise convolutions, any γ ({@code kernels/conv2d_bwd_filter_depthwise.cl}): one work-item
 * per kernel row of one output channel, or per channel (all its rows) when there are {@link #WHOLE_CHANNEL_FROM} output
 * channels or more, its taps sharing each dz value, reduced in a fixed order.
 */
public final class BackwardFilterDepthwiseDescriptor extends SingleKernelBackward {
    /** Columns per step (partial sums per tap). */
    public static final int VEC = 8;
    /**
     * The output channels from which one work-item takes all the kernel rows of a channel (each dz vector loaded once,
     * not once per row); fewer channels keep a row per work-item, for enough work-items.
     */
    static final int WHOLE_CHANNEL_FROM = 128;

    BackwardFilterDepthwiseDescriptor() {
        super(BackwardPass.FILTER, "conv2d_bwd_filter_depthwise", true);
    }

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        return spec.kind() == ConvSpec.Kind.DEPTHWISE ? Optional.empty() : Optional.of("needs groups == inChannels");
    }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(List.of(Plan.VEC), VEC);
    }

    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, SortedMap<String, Integer> params, Activation activation) {
        SortedMap<String, Integer> d = super.defines(spec, params, activation);
        d.put("KROWS", kernelRows(spec));
        return d;
    }

    @Override
    public List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean accumulate, DeviceFacts device) {
        Shape out = spec.outputShape(input);
        return List.of(launch(new long[] {spec.kernelH() / kernelRows(spec), out.c(), 1},
                BackwardDescriptor.local(device, 1, Planner.fit(out.c(), 8), 1),
                BackwardDescriptor.args(List.of(Operand.INPUT, Operand.GRAD_OUTPUT, Operand.GRAD_WEIGHTS),
                        input.n(), input.c(), input.h(), input.w(), out.h(), out.w(), spec.padTop(), spec.padLeft(),
                        accumulate ? 1 : 0)));
    }

    private static int kernelRows(ConvSpec spec) {
        return spec.outChannels() >= WHOLE_CHANNEL_FROM ? spec.kernelH() : 1;
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        return "backward filter depthwise: γ=" + spec.depthMultiplier() + ", " + (kernelRows(spec) == 1 ? "one kernel row" : "one channel") + " per work-item, "
                + params.get(Plan.VEC) + " lanes, fixed order";
    }
}
