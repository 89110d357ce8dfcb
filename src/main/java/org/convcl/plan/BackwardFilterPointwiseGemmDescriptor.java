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
public final class BackwardFilterPointwiseGemmDescriptor implements BackwardDescriptor {
    /**
     * Output channels per work-item: 16 accumulators plus {@link #KSTEP} input vectors (the forward kernel uses 12); 16
     * was 0-25% faster than 12 over MobileNet-V1's pointwise layers at batch 8 in two alternating runs under load 6.
     */
    public static final int TILE_OC = 16;
    /** Input channels per work-item (the forward kernel's pixels), and the side of a transposed block. */
    public static final int VEC = PointwiseDescriptor.VEC;
    /** Steps of the depth per iteration of the forward kernel. */
    public static final int KSTEP = PointwiseDescriptor.KSTEP;
    /** A {@code WEI_BATCH} above any batch: image {@code n} of the batched GEMM multiplies weight matrix {@code n}. */
    static final int EVERY_IMAGE_ITS_OWN = 1 << 30;
    /** VEC × VEC blocks per work-item of the transpose. */
    public static final int TRANSPOSE_BLOCKS = 8;
    /** Work-items per work-group of the layout kernels (each moves a few KiB: one alone would cost its group's overhead). */
    static final int LAYOUT_GROUP = 8;

    private final BackwardFilterPointwiseDescriptor chunkSum;

    BackwardFilterPointwiseGemmDescriptor(BackwardFilterPointwiseDescriptor chunkSum) {
        this.chunkSum = chunkSum;
    }

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        return spec.kind() == ConvSpec.Kind.POINTWISE ? Optional.empty() : Optional.of("needs a pointwise convolution");
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

    /** TILE_OC, VEC, KSTEP, L0 and L1 (the forward kernel's local size), TRANSPOSE_BLOCKS. */
    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(List.of(Plan.TILE_OC, Plan.VEC, Plan.KSTEP, "L0", "L1", "TRANSPOSE_BLOCKS"), TILE_OC, VEC, KSTEP,
                PointwiseDescriptor.L0, PointwiseDescriptor.L1, TRANSPOSE_BLOCKS);
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

    /** The forward GEMM's program: its block parameters, no epilogue, every image with its own weight matrix. */
    static SortedMap<String, Integer> gemmDefines(ConvSpec spec, SortedMap<String, Integer> params) {
        return gemmDefines(spec.outChannels(), params);
    }

    /** {@link #gemmDefines(ConvSpec, SortedMap)} for GEMMs of {@code rows} output rows ({@code TILE_OC} trimmed to them). */
    static SortedMap<String, Integer> gemmDefines(int rows, SortedMap<String, Integer> params) {
        TreeMap<String, Integer> d = new TreeMap<>();
        d.put(Plan.TILE_OC, Math.min(params.get(Plan.TILE_OC), rows));
        d.put(Plan.VEC, params.get(Plan.VEC));
        d.put(Plan.KSTEP, params.get(Plan.KSTEP));
        d.put(PointwiseDescriptor.WEI_BATCH, EVERY_IMAGE_ITS_OWN);
        d.put("HAS_BIAS", 0);
        d.put("ACTIVATION", Activation.NONE.code());
        return d;
    }

    private static int tileOc(ConvSpec spec, SortedMap<String, Integer> params) {
        return Math.min(params.get(Plan.TILE_OC), spec.outChannels());
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
        l.add(gemm(Operand.SCRATCH_INPUT, weights, partials > 0 ? Operand.SCRATCH : Operand.GRAD_WEIGHTS, gemms, depth, cout, cin, params, device));
        if (partials > 0) l.add(chunkSum(chunkSum, spec, partials, (long) cout * cin, accumulate, device));
        return l;
    }

    /**
     * The forward pointwise GEMM as {@code gemms} products {@code dst[g] = a[g] · b[g]} of {@code a} rows × {@code depth}
     * ({@code a[g]} at {@code g·rows·depth}: {@code WEI_BATCH} past any batch) by {@code b} {@code depth} × {@code cols}:
     * the kernel's weights are {@code a}, its input {@code b} with {@code depth} channels of {@code cols} "pixels"; bias
     * unread.
     */
    static Launch gemm(Operand b, Operand a, Operand dst, int gemms, int depth, int rows, int cols, SortedMap<String, Integer> params,
                       DeviceFacts device) {
        SortedMap<String, Integer> defines = gemmDefines(rows, params);
        long colBlocks = Plan.ceilDiv(cols, params.get(Plan.VEC)), rowBlocks = Plan.ceilDiv(rows, defines.get(Plan.TILE_OC));
        return new Launch(Algorithm.POINTWISE.entryPoint(), new long[] {colBlocks, rowBlocks, gemms},
                BackwardDescriptor.local(device, Planner.fit(colBlocks, params.get("L0")), Planner.fit(rowBlocks, params.get("L1")), 1),
                BackwardDescriptor.args(List.of(b, a, a, dst), gemms, depth, 1, cols, rows, 1, cols, 1, 0, 0),
                Algorithm.POINTWISE.kernelFile(), defines);
    }

    /** The in-order sum of {@code partials} partial gradients of {@code count} elements ({@link Operand#SCRATCH}) into {@code dw}. */
    static Launch chunkSum(BackwardFilterPointwiseDescriptor chunkSum, ConvSpec spec, int partials, long count, boolean accumulate,
                           DeviceFacts device) {
        long items = Plan.ceilDiv(count, BackwardFilterPointwiseDescriptor.REDUCE_VEC);
        return new Launch("conv2d_bwd_filter_chunks", new long[] {items, 1, 1}, BackwardDescriptor.local(device, Planner.fit(items, 8), 1, 1),
                BackwardDescriptor.args(List.of(Operand.SCRATCH, Operand.GRAD_WEIGHTS), partials, (int) count, accumulate ? 1 : 0),
                chunkSum.kernelFile(), chunkSum.defines(spec, chunkSum.defaults(spec), Activation.NONE));
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        return "backward filter pointwise GEMM: the forward pointwise kernel (" + tileOc(spec, params) + " output x "
                + params.get(Plan.VEC) + " input channels per work-item) on the transposed input, per image or over the gathered batch";
    }
}
