package org.convcl.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SortedMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.junit.jupiter.api.Test;

/** The pointwise weight-gradient kernel's chunks of the depth and the launches they give. */
class BackwardFilterPointwiseDescriptorTest {
    private static final DeviceFacts CPU = new DeviceFacts("CPU", 2, 4096, new long[] {4096, 4096, 4096}, 512 * 1024);
    private static final BackwardFilterPointwiseDescriptor D = new BackwardFilterPointwiseDescriptor();

    private static List<BackwardDescriptor.Launch> launches(ConvSpec spec, Shape input, boolean accumulate) {
        return D.launches(spec, input, D.defaults(spec), accumulate, CPU);
    }

    @Test
    void pointwiseLayersTakeItAndOthersDoNot() {
        // one pixel per image: the GEMM declines the input and this kernel's flat entry point takes it
        assertInstanceOf(BackwardFilterPointwiseDescriptor.class,
                BackwardPlanner.choose(BackwardPass.FILTER, ConvSpec.pointwise(8, 4), new Shape(2, 8, 1, 1), CPU));
        assertTrue(D.declines(ConvSpec.full(8, 4, 1).stride(2).build(), CPU).isPresent());
        assertTrue(D.declines(ConvSpec.full(8, 4, 1).groups(2).build(), CPU).isPresent());
    }

    @Test
    void chunksAreAtLeastTheMinimumLongerForFewInputChannelsAndAMultipleOfTheVector() {
        // MobileNet-V1 at batch 8: 8·112·112 pixels over 32 input channels, in chunks of 4096
        ConvSpec pw1 = ConvSpec.pointwise(32, 64);
        Shape in1 = new Shape(8, 32, 112, 112);
        assertEquals(4096, BackwardFilterPointwiseDescriptor.chunkLength(pw1, in1, 16));
        assertEquals(25, BackwardFilterPointwiseDescriptor.chunks(pw1, in1, 16));
        // 7×7 planes, 1024 channels: one chunk, the whole depth
        ConvSpec pw13 = ConvSpec.pointwise(1024, 1024);
        assertEquals(392, BackwardFilterPointwiseDescriptor.chunkLength(pw13, new Shape(8, 1024, 7, 7), 16));
        assertEquals(0, D.scratchFloats(pw13, new Shape(8, 1024, 7, 7), D.defaults(pw13)));
        // many partial sums: the chunk grows so that chunks × weights stays within the bound
        ConvSpec wide = ConvSpec.pointwise(2048, 2048);
        Shape big = new Shape(8, 2048, 56, 56);
        int chunks = BackwardFilterPointwiseDescriptor.chunks(wide, big, 16);
        assertTrue(chunks >= 2 && (long) chunks * 2048 * 2048 <= BackwardFilterPointwiseDescriptor.MAX_PARTIALS, "chunks " + chunks);
        assertEquals(0, BackwardFilterPointwiseDescriptor.chunkLength(wide, big, 16) % 16);
    }

    @Test
    void severalChunksGoThroughScratchAndTheirSumWritesOrAddsToTheGradient() {
        ConvSpec spec = ConvSpec.pointwise(130, 7);
        Shape input = new Shape(2, 130, 23, 25); // 1150 pixels: chunks of 1024 and 126
        SortedMap<String, Integer> params = D.defaults(spec);
        assertEquals(2L * 7 * 130, D.scratchFloats(spec, input, params));
        List<BackwardDescriptor.Launch> l = launches(spec, input, true);
        assertEquals(List.of("conv2d_bwd_filter_pointwise", "conv2d_bwd_filter_chunks"), l.stream().map(BackwardDescriptor.Launch::entryPoint).toList());
        assertEquals(BackwardDescriptor.Operand.SCRATCH, l.get(0).args().get(2));
        assertEquals(0, l.get(0).args().get(l.get(0).args().size() - 1), "the chunks are written, not added");
        assertEquals(2, l.get(0).global()[2]);
        assertEquals(List.of(BackwardDescriptor.Operand.SCRATCH, BackwardDescriptor.Operand.GRAD_WEIGHTS, 2, 7 * 130, 1), l.get(1).args());
    }

    @Test
    void oneChunkWritesTheGradientDirectlyAndOnePixelPerImageTakesTheFlatKernel() {
        ConvSpec spec = ConvSpec.pointwise(64, 40);
        List<BackwardDescriptor.Launch> one = launches(spec, new Shape(2, 64, 9, 10), false);
        assertEquals(1, one.size());
        assertEquals(BackwardDescriptor.Operand.GRAD_WEIGHTS, one.get(0).args().get(2));
        List<BackwardDescriptor.Launch> flat = launches(spec, new Shape(8, 64, 1, 1), true);
        assertEquals("conv2d_bwd_filter_pointwise_flat", flat.get(0).entryPoint());
        assertEquals(1, flat.get(0).global()[0], "64 input channels: one group of 4 × 16 lanes");
        assertEquals(7, flat.get(0).global()[1], "40 output channels in tiles of 6");
        assertEquals(0, D.scratchFloats(spec, new Shape(8, 64, 1, 1), D.defaults(spec)));
    }
}
