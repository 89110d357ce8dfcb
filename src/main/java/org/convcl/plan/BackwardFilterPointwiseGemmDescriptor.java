package org.convcl.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The weight gradient of pointwise convolutions run through the forward pointwise GEMM ({@link Algorithm#POINTWISE},
 * {@code kernels/conv2d_pointwise.cl}): {@code dw[o][i] = Σ_k dz[o][k] · xᵀ[k][i]} over the depth {@code k} (images ×
 * pixels) is that kernel's {@code out = W · X} with {@code W} the output gradient (rows {@code o}, depth {@code k}) and
 * {@code X} the input transposed to {@code [k][i]} ({@code kernels/conv2d_bwd_transpose.cl}); the GEMM's "pixels" are the
 * input channels. Two layouts of the depth:
 * <ul>
 * <li><b>per image</b> (planes larger than the input channels, or one image): each image is one GEMM of the batched
 * kernel ({@code WEI_BATCH} past any batch, so image {@code n} multiplies {@code dz[n]} in place), its partial sums in
 * {@link Operand#SCRATCH}, added in image order by {@code conv2d_bwd_filter_chunks};</li>
 * <li><b>gathered</b> (small planes): {@code dz} copied to {@code [c_out][n·pixels]} and one GEMM over the whole depth,
 * straight into {@code dw}.</li>
 * </ul>
 * Each element's reduction order depends on the shape only: the same bits on every run. With {@code accumulate} a
 * single GEMM's result goes through {@link Operand#SCRATCH} too, and the chunk sum (of one chunk) adds it. Inputs of one
 * pixel per image are left to {@link BackwardFilterPointwiseDescriptor}'s flat kernel.
 */
public final class BackwardFilterPointwiseGemmDescriptor extends GemmFilterDescriptor {
    /**
     * Output channels per work-item: 16 accumulators plus {@link #KSTEP} input vectors (the forward kernel uses 12); 16
     * was 0-25% faster than 12 over MobileNet-V1's pointwise layers at batch 8 in two alternating runs under load 6.
     */
    public static final int TILE_OC = BackwardGemm.CPU_TILE_OC;
    /** Input channels per work-item (the forward kernel's pixels), and the side of a transposed block. */
    public static final int VEC = PointwiseDescriptor.VEC;
    /** Steps of the depth per iteration of the forward kernel. */
    public static final int KSTEP = PointwiseDescriptor.KSTEP;
    /** VEC × VEC blocks per work-item of the transpose. */
    public static final int TRANSPOSE_BLOCKS = 8;
    /** Work-items per work-group of the layout kernels (each moves a few KiB: one alone would cost its group's overhead). */
    static final int LAYOUT_GROUP = 8;

    /** The GEMM on {@code family}'s forward pointwise kernel ({@link BackwardGemm}). */
    BackwardFilterPointwiseGemmDescriptor(BackwardFilterPointwiseDescriptor chunkSum, KernelFamily family) {
        super(chunkSum, family);
    }

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        if (spec.kind() != ConvSpec.Kind.POINTWISE) return Optional.of("needs a pointwise convolution");
        return declinesGemm(spec, device);
    }

    @Override
    public Optional<String> declinesInput(ConvSpec spec, Shape input) {
        return input.h() * input.w() == 1 ? Optional.of("one pixel per image: the flat dot-product kernel") : Optional.empty();
    }

    @Override
    public String kernelFile() { return "conv2d_bwd_transpose.cl"; }

    @Override
    public BackwardPass pass() { return BackwardPass.FILTER; }

    /** The layout kernels; the GEMM is {@link Algorithm#POINTWISE}'s entry point and the sum {@code conv2d_bwd_filter_chunks}. */
    @Override
    public List<String> entryPoints() { return List.of("conv2d_bwd_transpose", "conv2d_bwd_gather_rows"); }

    /**
     * The GEMM's ({@link BackwardGemm#defaults}: on the CPU family TILE_OC, VEC, KSTEP, L0, L1; on the GPU family TILE_M,
     * TILE_N, TILE_K, L0, L1), the layout kernels' VEC and TRANSPOSE_BLOCKS.
     */
    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        TreeMap<String, Integer> d = new TreeMap<>(BackwardGemm.defaults(family()));
        d.put(Plan.VEC, VEC);
        d.put("TRANSPOSE_BLOCKS", TRANSPOSE_BLOCKS);
        return java.util.Collections.unmodifiableSortedMap(d);
    }

    /** The layout kernels' program: {@code VEC}, {@code TRANSPOSE_BLOCKS}, {@code HAS_BIAS} 0, {@code ACTIVATION} 0. */
    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, SortedMap<String, Integer> params, Activation activation) {
        TreeMap<String, Integer> d = new TreeMap<>();
        d.put(Plan.VEC, params.get(Plan.VEC));
        d.put("TRANSPOSE_BLOCKS", params.get("TRANSPOSE_BLOCKS"));
        d.put("HAS_BIAS", 0);
        d.put("ACTIVATION", Activation.NONE.code());
        return d;
    }


    /** Whether {@code dz} is gathered into one GEMM over the whole depth: more than one image, planes no larger than the input channels. */
    static boolean gathered(ConvSpec spec, Shape input) {
        return input.n() > 1 && input.h() * input.w() <= spec.inChannels();
    }

    /** The GEMMs' partial sums: one per image, or one when a single GEMM's result is to be added to {@code dw}. */
    private static int partials(ConvSpec spec, Shape input, boolean accumulate) {
        int gemms = gathered(spec, input) ? 1 : input.n();
        return gemms > 1 || accumulate ? gemms : 0;
    }

    /** The larger scratch either value of {@code accumulate} needs (the backend keeps its largest). */
    @Override
    public long scratchFloats(ConvSpec spec, Shape input, SortedMap<String, Integer> params, Operand scratch) {
        long depth = (long) input.n() * input.h() * input.w();
        return switch (scratch) {
            case SCRATCH -> (long) partials(spec, input, true) * spec.outChannels() * spec.inChannels();
            case SCRATCH_INPUT -> depth * spec.inChannels();
            case SCRATCH_GRAD_OUTPUT -> gathered(spec, input) ? depth * spec.outChannels() : 0;
            default -> 0;
        };
    }

    @Override
    public List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean accumulate, DeviceFacts device) {
        int vec = params.get(Plan.VEC), n = input.n(), cin = spec.inChannels(), cout = spec.outChannels();
        int pixels = input.h() * input.w();
        boolean gathered = gathered(spec, input);
        int partials = partials(spec, input, accumulate);
        List<Launch> l = new ArrayList<>();
        long colGroups = Plan.ceilDiv(pixels, (long) vec * params.get("TRANSPOSE_BLOCKS")), rowGroups = Plan.ceilDiv(cin, vec);
        l.add(new Launch("conv2d_bwd_transpose", new long[] {colGroups, rowGroups, n},
                BackwardDescriptor.local(device, Planner.fit(colGroups, LAYOUT_GROUP), 1, 1),
                BackwardDescriptor.args(List.of(Operand.INPUT, Operand.SCRATCH_INPUT), n, cin, pixels)));
        Operand weights = Operand.GRAD_OUTPUT;
        if (gathered) {
            weights = Operand.SCRATCH_GRAD_OUTPUT;
            l.add(new Launch("conv2d_bwd_gather_rows", new long[] {cout, n, 1}, BackwardDescriptor.local(device, Planner.fit(cout, LAYOUT_GROUP), 1, 1),
                    BackwardDescriptor.args(List.of(Operand.GRAD_OUTPUT, Operand.SCRATCH_GRAD_OUTPUT), n, cout, pixels)));
        }
        int gemms = gathered ? 1 : n, depth = gathered ? n * pixels : pixels;
        // src = xᵀ [gemm][depth][cin], wei = dz [gemm][cout][depth], dst [gemm][cout][cin]
        l.add(BackwardGemm.launch(family(), Operand.SCRATCH_INPUT, weights, partials > 0 ? Operand.SCRATCH : Operand.GRAD_WEIGHTS, gemms, depth,
                cout, cin, params, device));
        if (partials > 0) l.add(BackwardGemm.chunkSum(chunkSum, spec, partials, (long) cout * cin, accumulate, device));
        return l;
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        String gemm = gemmDescription(params, spec.outChannels(), "output", "input channels");
        return "backward filter pointwise GEMM: " + gemm + " on the transposed input, per image or over the gathered batch";
    }
}
