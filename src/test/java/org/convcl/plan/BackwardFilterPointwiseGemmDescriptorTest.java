package org.convcl.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SortedMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.junit.jupiter.api.Test;

/** The pointwise weight gradient through the forward GEMM: its layout choice, scratch and launches. */
class BackwardFilterPointwiseGemmDescriptorTest {
    private static final DeviceFacts CPU = new DeviceFacts("CPU", 2, 4096, new long[] {4096, 4096, 4096}, 512 * 1024);
    private static final BackwardFilterPointwiseGemmDescriptor D = new BackwardFilterPointwiseGemmDescriptor(new BackwardFilterPointwiseDescriptor(), KernelFamily.CPU);
    private static final BackwardDescriptor.Operand SCRATCH = BackwardDescriptor.Operand.SCRATCH;

    private static List<String> entries(List<BackwardDescriptor.Launch> l) {
        return l.stream().map(BackwardDescriptor.Launch::entryPoint).toList();
    }

    @Test
    void thePlannerPicksItForPointwiseLayersWithMoreThanOnePixel() {
        assertInstanceOf(BackwardFilterPointwiseGemmDescriptor.class,
                BackwardPlanner.choose(BackwardPass.FILTER, ConvSpec.pointwise(32, 64), new Shape(8, 32, 112, 112), CPU));
        assertTrue(D.declines(ConvSpec.full(8, 4, 1).stride(2).build(), CPU).isPresent());
        assertTrue(D.declinesInput(ConvSpec.pointwise(8, 4), new Shape(3, 8, 1, 1)).isPresent());
    }

    @Test
    void largePlanesRunOneGemmPerImageOnDzInPlaceAndAddTheImagesInOrder() {
        ConvSpec pw3 = ConvSpec.pointwise(128, 128);
        Shape in = new Shape(8, 128, 56, 56);
        SortedMap<String, Integer> p = D.defaults(pw3);
        List<BackwardDescriptor.Launch> l = D.launches(pw3, in, p, false, CPU);
        assertEquals(List.of("conv2d_bwd_transpose", "conv2d_pointwise", "conv2d_bwd_filter_chunks"), entries(l));
        BackwardDescriptor.Launch gemm = l.get(1);
        assertEquals("conv2d_pointwise.cl", gemm.kernelFile());
        assertEquals(BackwardGemm.EVERY_GEMM_ITS_OWN, gemm.defines().get(PointwiseDescriptor.WEI_BATCH));
        assertEquals(List.of(BackwardDescriptor.Operand.SCRATCH_INPUT, BackwardDescriptor.Operand.GRAD_OUTPUT, BackwardDescriptor.Operand.GRAD_OUTPUT,
                SCRATCH, 8, 56 * 56, 1, 128, 128, 1, 128, 1, 0, 0), gemm.args());
        assertEquals(8, gemm.global()[2]);
        assertEquals(List.of(SCRATCH, BackwardDescriptor.Operand.GRAD_WEIGHTS, 8, 128 * 128, 0), l.get(2).args());
        assertEquals(8L * 128 * 128, D.scratchFloats(pw3, in, p, SCRATCH));
        assertEquals(8L * 56 * 56 * 128, D.scratchFloats(pw3, in, p, BackwardDescriptor.Operand.SCRATCH_INPUT));
        assertEquals(0, D.scratchFloats(pw3, in, p, BackwardDescriptor.Operand.SCRATCH_GRAD_OUTPUT));
    }

    @Test
    void smallPlanesGatherDzIntoOneGemmWrittenStraightToDwOrAddedThroughOneChunk() {
        ConvSpec pw13 = ConvSpec.pointwise(1024, 1024);
        Shape in = new Shape(8, 1024, 7, 7);
        SortedMap<String, Integer> p = D.defaults(pw13);
        List<BackwardDescriptor.Launch> l = D.launches(pw13, in, p, false, CPU);
        assertEquals(List.of("conv2d_bwd_transpose", "conv2d_bwd_gather_rows", "conv2d_pointwise"), entries(l));
        assertEquals(List.of(BackwardDescriptor.Operand.SCRATCH_INPUT, BackwardDescriptor.Operand.SCRATCH_GRAD_OUTPUT,
                BackwardDescriptor.Operand.SCRATCH_GRAD_OUTPUT, BackwardDescriptor.Operand.GRAD_WEIGHTS, 1, 8 * 49, 1, 1024, 1024, 1, 1024, 1, 0, 0),
                l.get(2).args());
        List<BackwardDescriptor.Launch> acc = D.launches(pw13, in, p, true, CPU);
        assertEquals(List.of("conv2d_bwd_transpose", "conv2d_bwd_gather_rows", "conv2d_pointwise", "conv2d_bwd_filter_chunks"), entries(acc));
        assertEquals(SCRATCH, acc.get(2).args().get(3));
        assertEquals(List.of(SCRATCH, BackwardDescriptor.Operand.GRAD_WEIGHTS, 1, 1024 * 1024, 1), acc.get(3).args());
        assertEquals(1024L * 1024, D.scratchFloats(pw13, in, p, SCRATCH), "room for the accumulated case");
        assertEquals(8L * 49 * 1024, D.scratchFloats(pw13, in, p, BackwardDescriptor.Operand.SCRATCH_GRAD_OUTPUT));
        // one image: one GEMM on dz in place, no gather, no sum
        assertEquals(List.of("conv2d_bwd_transpose", "conv2d_pointwise"), entries(D.launches(pw13, new Shape(1, 1024, 7, 7), p, false, CPU)));
    }
}
