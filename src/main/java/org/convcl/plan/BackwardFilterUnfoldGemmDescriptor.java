package org.convcl.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The weight gradient of full and grouped convolutions as a GEMM on the forward pointwise kernel ({@link Algorithm#POINTWISE},
 * {@code kernels/conv2d_pointwise.cl}): {@code dw[g][o][i·KH·KW + tap] = Σ_{n,p} dz[n][g][o][p] · u[n][g][p][i·KH·KW + tap]},
 * where {@code u} is the input unfolded by {@code kernels/conv2d_bwd_unfold.cl} into {@link Operand#SCRATCH_INPUT}, one row
 * of {@code (c_in/groups)·KH·KW} window values per output pixel. Each (image, group) is one GEMM of the batched kernel
 * ({@code dz[n][g]} in place as its weights), its partial sums in {@link Operand#SCRATCH}, added in image order by
 * {@code conv2d_bwd_filter_chunks}: the same bits on every run. With one image and no {@code accumulate} the GEMM writes
 * {@code dw} directly.
 *
 * <p>It declines inputs whose unfolded copy would exceed {@link #MAX_UNFOLDED_FLOATS} elements and those whose output
 * planes are large next to a window ({@link #MAX_PLANE_PER_WINDOW}, measured); pointwise and depthwise layers have kernels
 * of their own.
 */
public final class BackwardFilterUnfoldGemmDescriptor extends GemmFilterDescriptor {
    /** The largest unfolded input, in elements (256 MiB of floats): beyond it the direct kernel runs, with no scratch. */
    public static final long MAX_UNFOLDED_FLOATS = 1L << 26;
    /**
     * The GEMM runs layers whose output planes hold at most this many times a window's values ({@code (c_in/groups)·KH·KW}):
     * on PoCL (2 cores, load 3.3, alternating runs in one process) it took 0.59x and 0.53x the direct kernel's time at
     * ResNet's 128@28 and 256@14 at batch 8 and 0.27x and 0.07x at 256@14 and 512@7 at batch 1, but 1.16x at MobileNet-V1's
     * conv1 at batch 8 (27 values, 12544 pixels) and 1.02x at ResNet's 64@56 at batch 8 (576, 3136): larger planes keep
     * the direct kernel.
     */
    static final int MAX_PLANE_PER_WINDOW = 4;
    /** Work-items per work-group of the CPU family's unfold (output rows). */
    static final int UNFOLD_GROUP = 8;
    /** Work-items per work-group of the GPU family's unfold (consecutive elements of the unfolded rows: coalesced stores). */
    static final int GPU_UNFOLD_GROUP = 256;

    /** The GEMM on {@code family}'s forward pointwise kernel ({@link BackwardGemm}), the unfold in {@code family}'s shape. */
    BackwardFilterUnfoldGemmDescriptor(BackwardFilterPointwiseDescriptor chunkSum, KernelFamily family) {
        super(chunkSum, family);
    }

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        return switch (spec.kind()) {
            case POINTWISE -> Optional.of("pointwise: the transposed-input GEMM");
            case DEPTHWISE -> Optional.of("depthwise: its own kernel");
            default -> declinesGemm(spec, device);
        };
    }

    /**
     * Inputs whose unfolded copy exceeds {@link #MAX_UNFOLDED_FLOATS}, or on the CPU family whose planes exceed
     * {@link #MAX_PLANE_PER_WINDOW} windows (the GPU family's alternative is the direct kernel's one work-item per block).
     */
    @Override
    public Optional<String> declinesInput(ConvSpec spec, Shape input) {
        long unfolded = unfoldedFloats(spec, input);
        if (unfolded > MAX_UNFOLDED_FLOATS) return Optional.of("the unfolded input would take " + unfolded + " elements, above " + MAX_UNFOLDED_FLOATS);
        Shape out = spec.outputShape(input);
        long window = (long) spec.inChannelsPerGroup() * spec.kernelH() * spec.kernelW(), plane = (long) out.h() * out.w();
        return family() == KernelFamily.CPU && plane > MAX_PLANE_PER_WINDOW * window ? Optional.of("output planes of " + plane + " pixels, above " + MAX_PLANE_PER_WINDOW
                + " windows of " + window + " values: the direct kernel is as fast there") : Optional.empty();
    }

    private static long unfoldedFloats(ConvSpec spec, Shape input) {
        Shape out = spec.outputShape(input);
        return (long) input.n() * out.h() * out.w() * spec.inChannels() * spec.kernelH() * spec.kernelW();
    }

    @Override
    public String kernelFile() { return "conv2d_bwd_unfold.cl"; }

    @Override
    public BackwardPass pass() { return BackwardPass.FILTER; }

    /** The unfold (a row of windows per work-item, or one element per work-item on the GPU family); the GEMM and sum are others'. */
    @Override
    public List<String> entryPoints() { return List.of(unfoldEntry()); }

    private String unfoldEntry() {
        return family() == KernelFamily.GPU ? "conv2d_bwd_unfold_elements" : "conv2d_bwd_unfold";
    }

    /** The GEMM's ({@link BackwardGemm#defaults}). */
    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return BackwardGemm.defaults(family());
    }

    /** The unfold's program: the window, {@code HAS_BIAS} 0, {@code ACTIVATION} 0 (the parameters are the GEMM's). */
    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, SortedMap<String, Integer> params, Activation activation) {
        return BackwardDescriptor.windowDefines(spec, new java.util.TreeMap<>());
    }

    /** The GEMMs' partial sums: one per image, none for one image written straight into {@code dw}. */
    private static int partials(Shape input, boolean accumulate) {
        return input.n() > 1 || accumulate ? input.n() : 0;
    }

    @Override
    public long scratchFloats(ConvSpec spec, Shape input, SortedMap<String, Integer> params, Operand scratch) {
        return switch (scratch) {
            case SCRATCH -> (long) partials(input, true) * spec.weightCount();
            case SCRATCH_INPUT -> unfoldedFloats(spec, input);
            default -> 0;
        };
    }

    @Override
    public List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean accumulate, DeviceFacts device) {
        Shape out = spec.outputShape(input);
        int groups = spec.groups(), n = input.n(), pixels = out.h() * out.w();
        int cols = spec.inChannelsPerGroup() * spec.kernelH() * spec.kernelW();
        int partials = partials(input, accumulate);
        List<Launch> l = new ArrayList<>();
        List<Object> unfoldArgs = BackwardDescriptor.args(List.of(Operand.INPUT, Operand.SCRATCH_INPUT), n, input.c(), input.h(), input.w(),
                out.h(), out.w(), groups, spec.padTop(), spec.padLeft());
        if (family() == KernelFamily.GPU) {
            long elements = (long) pixels * cols;
            l.add(new Launch(unfoldEntry(), new long[] {elements, (long) n * groups, 1},
                    BackwardDescriptor.local(device, Planner.fit(elements, GPU_UNFOLD_GROUP), 1, 1), unfoldArgs));
        } else {
            l.add(new Launch(unfoldEntry(), new long[] {out.h(), (long) n * groups, 1}, BackwardDescriptor.local(device, Planner.fit(out.h(), UNFOLD_GROUP), 1, 1),
                    unfoldArgs));
        }
        // GEMM n·groups + g: dz[n][g] (out/groups rows × pixels) times u[n][g] (pixels × cols) into dw[g] or its partial n
        l.add(BackwardGemm.launch(family(), Operand.SCRATCH_INPUT, Operand.GRAD_OUTPUT, partials > 0 ? Operand.SCRATCH : Operand.GRAD_WEIGHTS,
                n * groups, pixels, spec.outChannelsPerGroup(), cols, params, device));
        if (partials > 0) l.add(BackwardGemm.chunkSum(chunkSum, spec, partials, spec.weightCount(), accumulate, device));
        return l;
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        String gemm = gemmDescription(params, spec.outChannelsPerGroup(), "output channels", "window values");
        return "backward filter unfold GEMM: the input's windows unfolded per output pixel, then " + gemm
                + " per image and group, images summed in order";
    }
}
