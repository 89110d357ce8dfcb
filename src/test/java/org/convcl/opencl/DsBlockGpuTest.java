package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.convcl.Activation;
import org.convcl.BlockMode;
import org.convcl.Epilogue;
import org.convcl.PreparedBlock;
import org.convcl.Reference;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorAssert;
import org.convcl.plan.KernelFamily;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The GPU family's fused block kernel ({@code conv2d_dsblock_gpu}) on whatever OpenCL device the tests have (PoCL in
 * CI), with the GPU family forced: MobileNet blocks, stride 2, γ 2 and 3, odd and prime sizes, batch > 1, every
 * activation of both steps with bias and batch-norm, against the reference; the block is FUSED through that kernel.
 */
class DsBlockGpuTest {
    private static OpenClBackend backend;

    @BeforeAll
    static void open() {
        backend = FamilyBackends.open(KernelFamily.GPU);
    }

    @AfterAll
    static void close() {
        if (backend != null) backend.close();
    }

    static Stream<Arguments> blocks() {
        List<Arguments> cases = new ArrayList<>();
        cases.add(Arguments.of(SeparableBlock.mobilenet(32, 64, 1), new Shape(1, 32, 14, 14)));
        cases.add(Arguments.of(SeparableBlock.mobilenet(64, 128, 2), new Shape(2, 64, 13, 13)));
        cases.add(Arguments.of(SeparableBlock.mobilenet(24, 70, 2), new Shape(1, 24, 17, 23)));
        cases.add(Arguments.of(SeparableBlock.builder(7, 11).depthMultiplier(2).stride(2).padding(1).build(), new Shape(3, 7, 9, 11)));
        cases.add(Arguments.of(SeparableBlock.builder(5, 13).depthMultiplier(3).kernel(5, 3).dilation(2, 1).padding(3, 0, 1, 2)
                .build(), new Shape(2, 5, 12, 10)));
        cases.add(Arguments.of(SeparableBlock.builder(3, 2).kernel(1, 3).stride(1, 2).padding(0, 1, 0, 1).build(), new Shape(1, 3, 1, 67)));
        // every activation after each step, with bias or batch-norm
        SplittableRandom random = new SplittableRandom(12);
        for (Activation dwAct : Activation.values()) {
            for (Activation pwAct : Activation.values()) {
                SeparableBlock b = SeparableBlock.builder(6, 9).stride(2).padding(1)
                        .depthwise(norm(random, 6), dwAct)
                        .pointwiseEpilogue(Epilogue.builder().bias(uniform(random, 9)).activation(pwAct).build()).build();
                cases.add(Arguments.of(b, new Shape(2, 6, 11, 7)));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("blocks")
    void fusedGpuKernelMatchesTheReference(SeparableBlock block, Shape input) {
        SplittableRandom random = new SplittableRandom(block.hashCode() * 31L + input.hashCode());
        float[] dw = uniform(random, block.depthwise().weightCount());
        float[] pw = uniform(random, block.pointwise().weightCount());
        Tensor x = Tensor.of(uniform(random, input.count()), input);
        Tensor mid = Reference.conv2d(x, block.depthwise(), dw, block.depthwiseEpilogue());
        Tensor expected = Reference.conv2d(mid, block.pointwise(), pw, block.pointwiseEpilogue());
        try (PreparedBlock prepared = backend.prepareBlock(block, dw, pw, BlockMode.FUSED)) {
            assertEquals(BlockMode.FUSED, prepared.mode(), prepared.plan());
            assertTrue(prepared.plan().contains("conv2d_dsblock_gpu"), prepared.plan());
            int reduction = block.midChannels() * block.depthwise().kernelH() * block.depthwise().kernelW();
            TensorAssert.assertClose(expected, prepared.forward(x), reduction, block + ", input " + input + ", " + prepared.plan());
        }
    }

    @Test
    void autoTakesTheGpuKernelOnTheGpuFamily() {
        SeparableBlock block = SeparableBlock.mobilenet(8, 16, 1);
        SplittableRandom random = new SplittableRandom(3);
        try (PreparedBlock prepared = backend.prepareBlock(block, uniform(random, block.depthwise().weightCount()),
                uniform(random, block.pointwise().weightCount()), BlockMode.AUTO)) {
            assertEquals(BlockMode.FUSED, prepared.mode(), prepared.plan());
            assertTrue(prepared.plan().contains("conv2d_dsblock_gpu") && prepared.plan().contains("work-groups of 64 items"),
                    prepared.plan());
        }
    }

    private static Epilogue.BatchNorm norm(SplittableRandom random, int channels) {
        float[] mean = uniform(random, channels), var = new float[channels], gamma = uniform(random, channels), beta = uniform(random, channels);
        for (int i = 0; i < channels; i++) var[i] = 0.5f + (float) random.nextDouble();
        return new Epilogue.BatchNorm(mean, var, gamma, beta, 1e-5f);
    }

    private static float[] uniform(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (random.nextDouble() * 2 - 1);
        return a;
    }
}
