package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.DataType;
import org.convcl.Epilogue;
import org.convcl.SeparableBlock;
import org.convcl.Shape;

/**
 * The GPU family's fused depthwise-separable kernel ({@code kernels/conv2d_dsblock_gpu.cl}) and its tiling.
 *
 * <p>A work-group of 64–256 work-items computes a tile of {@link #TILE_PIX} output pixels × {@code ocBlock} output
 * channels: for each chunk of {@link #MID_CHUNK} intermediate channels it computes their depthwise outputs for the tile
 * into local memory and stages the chunk's pointwise weights beside them (a barrier), then each work-item accumulates a
 * register block of {@link #OC_PER_ITEM} × {@link #PIX_PER_ITEM} outputs from local memory (a barrier). Global reads are
 * coalesced (neighbouring work-items read neighbouring input pixels and neighbouring weights) and each output is
 * written once. The depthwise outputs never go to global memory, which is what fusing saves on a GPU: the intermediate
 * tensor's round trip through memory.
 *
 * <p>It declines a device whose local memory or work-group limits the tiling does not fit, with the reason, and the
 * block then runs unfused.
 */
public final class DsBlockGpuDescriptor implements BlockDescriptor {
    /** Output pixels of a work-group's tile. */
    public static final int TILE_PIX = 64;
    /** Intermediate channels per chunk of the local tiles. */
    public static final int MID_CHUNK = 16;
    /** Output channels of a work-item's register block. */
    public static final int OC_PER_ITEM = 4;
    /** Output pixels of a work-item's register block ({@link #TILE_PIX} / this work-items along the pixels). */
    public static final int PIX_PER_ITEM = 4;
    /** Output channels per work-group, largest first: the smallest that covers the block's outputs, else the largest. */
    static final int[] OC_BLOCKS = {64, 32, 16};

    DsBlockGpuDescriptor() {}

    /**
     * The tiling of a block: output channels per work-group and the work-group size
     * ({@code ocBlock / OC_PER_ITEM · TILE_PIX / PIX_PER_ITEM}: 64, 128 or 256).
     */
    public record Tiling(int ocBlock, int localSize) {
        /** Bytes of local memory a work-group uses: the depthwise tile and the weight tile of one chunk. */
        public long localBytes() {
            return DataType.FLOAT32.bytes((long) MID_CHUNK * (TILE_PIX + ocBlock));
        }
    }

    /** The preferred tiling of {@code block}: the fewest output channels per work-group that cover its outputs (at most 64). */
    public static Tiling tiling(SeparableBlock block) {
        if (block == null) throw new IllegalArgumentException("block must not be null");
        int ocBlock = OC_BLOCKS[0];
        for (int b : OC_BLOCKS) if (b >= block.outChannels()) ocBlock = b;
        return new Tiling(ocBlock, ocBlock / OC_PER_ITEM * (TILE_PIX / PIX_PER_ITEM));
    }

    /** Declines a device whose local memory or work-group limits do not hold the tiling. */
    @Override
    public Optional<String> declines(SeparableBlock block, DeviceFacts device) {
        if (device == null) throw new IllegalArgumentException("device facts must not be null");
        Tiling t = tiling(block);
        if (t.localBytes() > device.localMemBytes()) {
            return Optional.of("the GPU block kernel's tiles need " + t.localBytes() + " bytes of local memory, the device has "
                    + device.localMemBytes());
        }
        long limit = Math.min(device.maxWorkGroupSize(), device.maxWorkItemSizes()[0]);
        if (t.localSize() > limit) {
            return Optional.of("the GPU block kernel's work-groups of " + t.localSize() + " items exceed the device's limit of "
                    + limit);
        }
        return Optional.empty();
    }

    @Override
    public String chosenBecause(SeparableBlock block) {
        return "fused: the GPU family's block kernel keeps the depthwise output in local memory (not measured on a GPU yet)";
    }

    @Override
    public String kernelFile() { return "conv2d_dsblock_gpu.cl"; }

    @Override
    public String entryPoint() { return "conv2d_dsblock_gpu"; }

    @Override
    public SortedMap<String, Integer> defines(SeparableBlock block, DeviceFacts device) {
        requireFits(block, device);
        Tiling t = tiling(block);
        var d = block.depthwise();
        TreeMap<String, Integer> defines = new TreeMap<>();
        Planner.putWindow(defines, d);
        defines.put("DEPTH_MULT", d.depthMultiplier());
        defines.put("MID", block.midChannels());
        defines.put("TILE_PIX", TILE_PIX);
        defines.put("OC_BLOCK", t.ocBlock());
        defines.put("MID_CHUNK", MID_CHUNK);
        defines.put("OC_PER_ITEM", OC_PER_ITEM);
        defines.put("PIX_PER_ITEM", PIX_PER_ITEM);
        defines.put("LOCAL_SIZE", t.localSize());
        return defines;
    }

    /** The depthwise weights, the depthwise bias (zeros when the step has none), and the pointwise weights as they are. */
    @Override
    public List<Launch.Upload> uploads(SeparableBlock block, DeviceFacts device, Epilogue.Folded depthwise, Epilogue.Folded pointwise) {
        requireFits(block, device);
        return List.of(new Launch.Upload(Launch.Role.DEPTHWISE_WEIGHTS, "depthwise weights", depthwise.weights()),
                new Launch.Upload(Launch.Role.DEPTHWISE_BIAS, "depthwise bias",
                        depthwise.bias() != null ? depthwise.bias() : new float[block.midChannels()]),
                new Launch.Upload(Launch.Role.WEIGHTS, "pointwise weights", pointwise.weights()));
    }

    /**
     * One work-group per tile of {@link #TILE_PIX} pixels × {@code ocBlock} channels of each image, with arguments
     * {@code src, dw weights, dw bias, pw weights, pw bias, dst, N, C, H, W, OC, OH, OW, padTop, padLeft}.
     */
    @Override
    public Launch launch(SeparableBlock block, DeviceFacts device, Shape in) {
        requireFits(block, device);
        Tiling t = tiling(block);
        Shape out = block.outputShape(in);
        long tiles = ((long) out.h() * out.w() + TILE_PIX - 1) / TILE_PIX;
        long channelBlocks = (out.c() + t.ocBlock() - 1) / t.ocBlock();
        return new Launch(0, new long[] {tiles * t.localSize(), channelBlocks, out.n()}, new long[] {t.localSize(), 1, 1},
                Launch.args(List.of(Launch.Role.INPUT, Launch.Role.DEPTHWISE_WEIGHTS, Launch.Role.DEPTHWISE_BIAS,
                                Launch.Role.WEIGHTS, Launch.Role.BIAS, Launch.Role.OUTPUT),
                        in.n(), in.c(), in.h(), in.w(), out.c(), out.h(), out.w(), block.depthwise().padTop(),
                        block.depthwise().padLeft()));
    }

    @Override
    public String describe(SeparableBlock block, DeviceFacts device, String reason) {
        Tiling t = tiling(block);
        return "fused (" + reason + "): " + entryPoint() + ", work-groups of " + t.localSize() + " items, each a tile of "
                + TILE_PIX + " pixels x " + t.ocBlock() + " output channels, the depthwise output " + MID_CHUNK
                + " intermediate channels at a time in local memory (" + t.localBytes() + " bytes with the weights), "
                + OC_PER_ITEM + "x" + PIX_PER_ITEM + " outputs per work-item";
    }

    private void requireFits(SeparableBlock block, DeviceFacts device) {
        Optional<String> no = declines(block, device);
        if (no.isPresent()) throw new IllegalArgumentException(no.get() + " (" + block + ")");
    }
}
