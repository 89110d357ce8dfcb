package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import org.convcl.Activation;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * The weight gradient of pointwise convolutions ({@code kernels/conv2d_bwd_filter_pointwise.cl}): a register-blocked
 * dot-product GEMM over the batch's pixels, {@code TILE_OC} × {@code TILE_IC} channels per work-item, pixels in
 * {@code VEC} lanes. The depth (images × pixels) is cut into {@link #chunkLength chunks} that are reduced apart (their
 * input rows stay in cache across the work-items of a chunk) and then added in chunk order by a second launch, through
 * {@link Operand#SCRATCH}. Inputs of one pixel per image (a classifier as a 1×1 convolution) take the
 * {@code _flat} entry point instead: {@code VEC} × {@code TILE_IC} input channels in lanes, images summed in order.
 * The chunks depend on the shape only, so the result is the same bits on every run and device. The planner prefers
 * {@link BackwardFilterPointwiseGemmDescriptor} (1.5-4x faster on MobileNet-V1's layers) and gives this kernel the inputs
 * that one declines, one pixel per image; its chunked path runs when forced.
 */
public final class BackwardFilterPointwiseDescriptor implements BackwardDescriptor {
    /** Output channels per work-item (6 × 4 vector accumulators: 24 of the 32 AVX-512 registers). */
    public static final int TILE_OC = 6;
    /** Input channels per work-item (the flat entry point: groups of {@code VEC}). */
    public static final int TILE_IC = 4;
    /** Pixels per step. */
    public static final int VEC = 16;
    /** The shortest chunk of the depth, in pixels, for layers of 128 input channels or more. */
    static final int MIN_CHUNK = 1024;
    /** Input rows of a chunk that fit the cache a work-item's neighbours share: chunk length × input channels. */
    static final int CHUNK_FOOTPRINT = 128 * MIN_CHUNK;
    /** The most partial sums of one {@code dw} element, and of all of them together. */
    static final int MAX_CHUNKS = 64;
    static final long MAX_PARTIALS = 1L << 24;
    /** Elements of {@code dw} per work-item of the chunk sum ({@code REDUCE_VEC} in the kernel). */
    static final int REDUCE_VEC = 16;

    BackwardFilterPointwiseDescriptor() {}

    @Override
    public Optional<String> declines(ConvSpec spec, DeviceFacts device) {
        return spec.kind() == ConvSpec.Kind.POINTWISE ? Optional.empty() : Optional.of("needs a pointwise convolution");
    }

    @Override
    public String kernelFile() { return "conv2d_bwd_filter_pointwise.cl"; }

    @Override
    public BackwardPass pass() { return BackwardPass.FILTER; }

    @Override
    public List<String> entryPoints() {
        return List.of("conv2d_bwd_filter_pointwise", "conv2d_bwd_filter_pointwise_flat", "conv2d_bwd_filter_chunks");
    }

    @Override
    public SortedMap<String, Integer> defaults(ConvSpec spec) {
        return Tunables.params(List.of("TILE_OC", "TILE_IC", Plan.VEC), TILE_OC, TILE_IC, VEC);
    }

    @Override
    public SortedMap<String, Integer> defines(ConvSpec spec, SortedMap<String, Integer> params, Activation activation) {
        return BackwardDescriptor.windowDefines(spec, params);
    }

    /**
     * The chunk length of the depth {@code n·h·w} for {@code spec} and {@code input}, in pixels: at least
     * {@link #MIN_CHUNK} (more for fewer input channels, so a chunk's input rows stay about {@link #CHUNK_FOOTPRINT}
     * elements), long enough for at most {@link #MAX_CHUNKS} chunks and {@link #MAX_PARTIALS} partial sums, a multiple
     * of {@code vec}; the whole depth when that is one chunk.
     */
    static int chunkLength(ConvSpec spec, Shape input, int vec) {
        long depth = (long) input.n() * input.h() * input.w();
        long weights = (long) spec.outChannels() * spec.inChannels();
        long maxChunks = Math.max(1, Math.min(MAX_CHUNKS, MAX_PARTIALS / weights));
        long chunk = Math.max(Math.max(MIN_CHUNK, CHUNK_FOOTPRINT / spec.inChannels()), Plan.ceilDiv(depth, maxChunks));
        chunk = Plan.ceilDiv(chunk, vec) * vec;
        return (int) Math.min(chunk, depth);
    }

    /** The number of chunks of the depth. */
    static int chunks(ConvSpec spec, Shape input, int vec) {
        return (int) Plan.ceilDiv((long) input.n() * input.h() * input.w(), chunkLength(spec, input, vec));
    }

    @Override
    public long scratchFloats(ConvSpec spec, Shape input, SortedMap<String, Integer> params) {
        int chunks = input.h() * input.w() == 1 ? 1 : chunks(spec, input, params.get(Plan.VEC));
        return chunks == 1 ? 0 : (long) chunks * spec.outChannels() * spec.inChannels();
    }

    @Override
    public List<Launch> launches(ConvSpec spec, Shape input, SortedMap<String, Integer> params, boolean accumulate, DeviceFacts device) {
        int tileOc = params.get("TILE_OC"), tileIc = params.get("TILE_IC"), vec = params.get(Plan.VEC);
        int cin = spec.inChannels(), cout = spec.outChannels(), pixels = input.h() * input.w();
        long outBlocks = Plan.ceilDiv(cout, tileOc);
        int acc = accumulate ? 1 : 0;
        long[] one = BackwardDescriptor.local(device, 1, 1, 1); // one work-item alone: its realv accumulators are the SIMD
        if (pixels == 1) {
            return List.of(new Launch("conv2d_bwd_filter_pointwise_flat",
                    new long[] {Plan.ceilDiv(cin, (long) tileIc * vec), outBlocks, 1}, one,
                    BackwardDescriptor.args(List.of(Operand.INPUT, Operand.GRAD_OUTPUT, Operand.GRAD_WEIGHTS), input.n(), cin, cout,
                            acc)));
        }
        int chunk = chunkLength(spec, input, vec), chunks = chunks(spec, input, vec);
        long[] global = {Plan.ceilDiv(cin, tileIc), outBlocks, chunks};
        if (chunks == 1) {
            return List.of(new Launch("conv2d_bwd_filter_pointwise", global, one,
                    BackwardDescriptor.args(List.of(Operand.INPUT, Operand.GRAD_OUTPUT, Operand.GRAD_WEIGHTS), input.n(), cin, cout,
                            pixels, chunk, acc)));
        }
        long count = (long) cout * cin;
        return List.of(
                new Launch("conv2d_bwd_filter_pointwise", global, one,
                        BackwardDescriptor.args(List.of(Operand.INPUT, Operand.GRAD_OUTPUT, Operand.SCRATCH), input.n(), cin, cout,
                                pixels, chunk, 0)),
                new Launch("conv2d_bwd_filter_chunks", new long[] {Plan.ceilDiv(count, REDUCE_VEC), 1, 1},
                        BackwardDescriptor.local(device, Planner.fit(Plan.ceilDiv(count, REDUCE_VEC), 8), 1, 1),
                        BackwardDescriptor.args(List.of(Operand.SCRATCH, Operand.GRAD_WEIGHTS), chunks, (int) count, acc)));
    }

    @Override
    public String describe(ConvSpec spec, SortedMap<String, Integer> params) {
        return "backward filter pointwise: " + params.get("TILE_OC") + " output x " + params.get("TILE_IC")
                + " input channels per work-item, pixels in " + params.get(Plan.VEC) + " lanes, chunks of the depth added in order";
    }
}
