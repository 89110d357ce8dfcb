package org.convcl.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.convcl.ArrayOps;
import org.convcl.Backend;
import org.convcl.DeviceTensor;
import org.convcl.PoolSpec;
import org.convcl.Pointwise;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorOps;
import org.convcl.TestBackends;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The network operators besides convolutions: the Java definition ({@link ArrayOps}) on hand-computed cases, then
 * every backend's {@link TensorOps} against it ({@link TensorOpsCases}), then the refusals.
 */
class TensorOpsTest {

    @Test
    void maxAndAverageInCeilModeByHand() {
        float[] ramp = new float[16];
        for (int i = 0; i < 16; i++) ramp[i] = i;
        Shape x = new Shape(1, 1, 4, 4);
        PoolSpec max = new PoolSpec(PoolSpec.Kind.MAX, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, true, false);
        assertEquals(new Shape(1, 1, 2, 2), max.outputShape(x)); // floor mode gives 1x1
        float[] out = new float[4];
        ArrayOps.pool(max, ramp, x, out, max.outputShape(x));
        assertArrayEquals(new float[] {10, 11, 14, 15}, out);
        PoolSpec avg = new PoolSpec(PoolSpec.Kind.AVERAGE, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, true, false);
        ArrayOps.pool(avg, ramp, x, out, avg.outputShape(x));
        // the window of (0, 1) reads rows 0-2, columns 2-3: {2, 3, 6, 7, 10, 11}
        assertArrayEquals(new float[] {5, 39f / 6, 11, 12.5f}, out, 1e-6f);
    }

    @Test
    void averageDivisorWithAndWithoutPaddingByHand() {
        float[] ramp = {0, 1, 2, 3, 4, 5, 6, 7, 8};
        Shape x = new Shape(1, 1, 3, 3);
        float[] out = new float[4];
        PoolSpec counted = new PoolSpec(PoolSpec.Kind.AVERAGE, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, true);
        ArrayOps.pool(counted, ramp, x, out, counted.outputShape(x));
        assertEquals(8f / 9, out[0], 1e-6f); // {0, 1, 3, 4} over the 9 places of the padded window
        PoolSpec taps = new PoolSpec(PoolSpec.Kind.AVERAGE, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, false);
        ArrayOps.pool(taps, ramp, x, out, taps.outputShape(x));
        assertEquals(2f, out[0], 1e-6f); // over the 4 taps read
    }

    @Test
    void insideColumnsByHand() {
        // ResNet's 3x3/2 pool, pad 1, on 112 columns: output 0 reads the left pad, outputs 1-55 only the input
        PoolSpec resnet = new PoolSpec(PoolSpec.Kind.MAX, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, false);
        assertEquals(1, resnet.firstInsideColumn(56));
        assertEquals(56, resnet.endInsideColumn(112, 56));
        // 113 columns: output 56 reads columns 111-113, 113 being the right pad
        assertEquals(56, resnet.endInsideColumn(113, 57));
        // a row 2 wide whose one window reaches into the right pad: none inside, an empty range
        PoolSpec narrow = new PoolSpec(PoolSpec.Kind.MAX, 3, 3, 2, 2, 0, 0, 0, 1, 1, 1, false, false);
        assertEquals(0, narrow.firstInsideColumn(1));
        assertEquals(0, narrow.endInsideColumn(2, 1));
        // dilation 2 spans 5 columns; pad 2 at stride 3 leaves output 0 reading it
        PoolSpec dilated = new PoolSpec(PoolSpec.Kind.MAX, 1, 3, 1, 3, 0, 2, 0, 2, 1, 2, false, false);
        assertEquals(1, dilated.firstInsideColumn(4));
        assertEquals(3, dilated.endInsideColumn(10, 4)); // output 2 reads columns 4-8, output 3 columns 7-11
    }

    @Test
    void broadcastingByHand() {
        float[] out = new float[6];
        ArrayOps.binary(TensorOps.Binary.ADD, new float[] {1, 2, 3}, new Shape(1, 1, 1, 3), new float[] {10, 20}, new Shape(1, 2, 1, 1),
                Pointwise.identity(), out, new Shape(1, 2, 1, 3));
        assertArrayEquals(new float[] {11, 12, 13, 21, 22, 23}, out);
        ArrayOps.binary(TensorOps.Binary.MUL, new float[] {1, -2, 3}, new Shape(1, 1, 1, 3), new float[] {10, 20}, new Shape(1, 2, 1, 1),
                Pointwise.relu(), out, new Shape(1, 2, 1, 3));
        assertArrayEquals(new float[] {10, 0, 30, 20, 0, 60}, out);
    }

    @Test
    void pointwiseFunctionsByHand() {
        assertTrue(Pointwise.hardSwish().apply(-3f) == 0f);
        assertEquals(4f, Pointwise.hardSwish().apply(4f));
        assertEquals(1f * (1f / 6 + 0.5f), Pointwise.hardSwish().apply(1f), 1e-7f);
        assertEquals(0.5f, Pointwise.sigmoid().apply(0f));
        assertEquals(0.7f, Pointwise.hardSigmoid(0.2f, 0.5f).apply(1f), 1e-7f);
        assertEquals(-0.5f, Pointwise.clip(-0.5f, 1f).apply(-9f));
        assertTrue(Float.isNaN(Pointwise.relu().apply(Float.NaN)));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(Pointwise.relu().apply(-0f)), "ReLU keeps -0 as PyTorch");
    }

    @TestFactory
    Stream<DynamicTest> everyBackendMatchesTheJavaDefinition() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend backend : TestBackends.all()) {
            for (TensorOpsCases.OpCase c : TensorOpsCases.all()) {
                tests.add(DynamicTest.dynamicTest(c + " on " + backend.device().describe(), () -> TensorOpsCases.check(backend, c)));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> badCallsAreRefusedNamingTheShapes() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Backend backend : TestBackends.all()) {
            tests.add(DynamicTest.dynamicTest("refusals on " + backend.device().describe(), () -> {
                TensorOps ops = backend.tensorOps().orElseThrow();
                try (DeviceTensor a = backend.upload(Tensor.zeros(new Shape(1, 2, 3, 4)));
                     DeviceTensor b = backend.upload(Tensor.zeros(new Shape(1, 3, 3, 4)));
                     DeviceTensor out = backend.allocate(new Shape(1, 2, 3, 5))) {
                    String m = assertThrows(IllegalArgumentException.class, () -> ops.pointwise(Pointwise.relu(), a, out)).getMessage();
                    assertTrue(m.contains("[1, 2, 3, 5]") && m.contains("[1, 2, 3, 4]"), m);
                    m = assertThrows(IllegalArgumentException.class, () -> ops.binary(TensorOps.Binary.ADD, a, b, Pointwise.identity(), out))
                            .getMessage();
                    assertTrue(m.contains("do not broadcast"), m);
                    m = assertThrows(IllegalArgumentException.class, () -> ops.pointwise(Pointwise.relu(), a, a)).getMessage();
                    assertTrue(m.contains("also an input"), m);
                    m = assertThrows(IllegalArgumentException.class, () -> ops.concatChannels(List.of(a, b), out)).getMessage();
                    assertTrue(m.contains("[1, 5, 3, 4]"), m);
                    m = assertThrows(IllegalArgumentException.class, () -> ops.copy(a, b)).getMessage();
                    assertTrue(m.contains("element counts differ"), m);
                    try (DeviceTensor w = backend.upload(Tensor.zeros(new Shape(24, 5, 1, 1)));
                         DeviceTensor bias = backend.upload(Tensor.zeros(new Shape(1, 4, 1, 1)));
                         DeviceTensor y = backend.allocate(new Shape(1, 5, 1, 1))) {
                        m = assertThrows(IllegalArgumentException.class, () -> ops.dense(a, b, null, Pointwise.identity(), y)).getMessage();
                        assertTrue(m.contains("dense weights [1, 3, 3, 4]") && m.contains("[24, O, 1, 1]"), m);
                        m = assertThrows(IllegalArgumentException.class, () -> ops.dense(a, w, bias, Pointwise.identity(), y)).getMessage();
                        assertTrue(m.contains("dense bias [1, 4, 1, 1]") && m.contains("[1, 5, 1, 1]"), m);
                        m = assertThrows(IllegalArgumentException.class, () -> ops.dense(a, w, null, Pointwise.identity(), out)).getMessage();
                        assertTrue(m.contains("[1, 2, 3, 5]") && m.contains("[1, 5, 1, 1]"), m);
                    }
                }
            }));
        }
        return tests.stream();
    }

    @Test
    void badParametersAreRefusedNamingTheField() {
        String m = assertThrows(IllegalArgumentException.class,
                () -> new PoolSpec(PoolSpec.Kind.MAX, 3, 3, 1, 1, 3, 0, 0, 0, 1, 1, false, false)).getMessage();
        assertTrue(m.contains("padTop") && m.contains("3"), m);
        m = assertThrows(IllegalArgumentException.class, () -> new PoolSpec(PoolSpec.Kind.AVERAGE, 3, 3, 1, 1, 0, 0, 0, 0, 2, 1, false, false))
                .getMessage();
        assertTrue(m.contains("dilation"), m);
        m = assertThrows(IllegalArgumentException.class, () -> Pointwise.clip(1f, 0f)).getMessage();
        assertTrue(m.contains("lower 1.0") && m.contains("upper 0.0"), m);
        m = assertThrows(IllegalArgumentException.class, () -> PoolSpec.globalAverage(3, 3).outputShape(new Shape(1, 1, 2, 2))).getMessage();
        assertTrue(m.contains("[1, 1, 2, 2]"), m);
    }
}
