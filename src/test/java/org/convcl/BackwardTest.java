package org.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The backward passes: hand-computed cases, the reference against finite differences, every backend against the
 * reference for every kind (full, grouped, depthwise γ 1–3, pointwise; stride, dilation, asymmetric padding, K×1 and
 * 1×K, batch &gt; 1, strides that do not divide the input), accumulation, the activation backward, and the same bits on
 * every run.
 */
class BackwardTest {
    /** The criterion: {@code |a − e| ≤ 1e-4 · max|e|}. */
    static final double REL = 1e-4;

    /** A named layer and its input shape. */
    record Case(String name, ConvSpec spec, Shape input) {
        @Override
        public String toString() { return name + " " + spec + " on " + input; }
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("full 3x3 pad 1", ConvSpec.full(3, 5, 3).padding(1).build(), new Shape(2, 3, 7, 6)));
        c.add(new Case("full 3x3 stride 2 pad 1 odd input", ConvSpec.full(4, 6, 3).stride(2).padding(1).build(), new Shape(2, 4, 9, 8)));
        c.add(new Case("full 5x5 stride 3 no pad (stride does not divide)", ConvSpec.full(2, 3, 5).stride(3).build(), new Shape(1, 2, 12, 13)));
        c.add(new Case("full dilation 2 asymmetric pad", ConvSpec.full(3, 4, 3).dilation(2).padding(2, 1, 0, 3).build(), new Shape(1, 3, 9, 10)));
        c.add(new Case("full stride 1 pad larger than the kernel", ConvSpec.full(2, 3, 2).padding(2, 3, 1, 2).build(), new Shape(1, 2, 5, 5)));
        c.add(new Case("grouped g2", ConvSpec.full(4, 6, 3).groups(2).padding(1).build(), new Shape(2, 4, 6, 7)));
        c.add(new Case("grouped g3 5x1 stride 2,1", ConvSpec.builder(6, 6, 5, 1).groups(3).stride(2, 1).padding(2, 0, 2, 0).build(),
                new Shape(1, 6, 13, 5)));
        c.add(new Case("1x5 asymmetric", ConvSpec.builder(2, 3, 1, 5).padding(0, 2, 0, 1).build(), new Shape(2, 2, 4, 11)));
        c.add(new Case("depthwise γ1 3x3", ConvSpec.depthwise(5, 1, 3).padding(1).build(), new Shape(2, 5, 9, 8)));
        c.add(new Case("depthwise γ2 stride 2", ConvSpec.depthwise(3, 2, 3).stride(2).padding(1).build(), new Shape(2, 3, 8, 9)));
        c.add(new Case("depthwise γ3 dilation 2 asymmetric", ConvSpec.depthwise(2, 3, 3).dilation(2).padding(1, 2, 2, 0).build(),
                new Shape(1, 2, 10, 9)));
        c.add(new Case("depthwise γ1 5x5 stride 2 (odd input)", ConvSpec.depthwise(4, 1, 5).stride(2).padding(2).build(), new Shape(1, 4, 11, 10)));
        c.add(new Case("pointwise", ConvSpec.pointwise(6, 7), new Shape(2, 6, 5, 4)));
        c.add(new Case("1x1 stride 2", ConvSpec.full(5, 4, 1).stride(2).build(), new Shape(1, 5, 7, 6)));
        // the pointwise filter kernel: depth cut into chunks (a chunk ends inside an image), channels not a multiple of
        // its tiles, images shorter than a vector, and one pixel per image (its flat entry point)
        c.add(new Case("pointwise 2 chunks", ConvSpec.pointwise(130, 7), new Shape(2, 130, 23, 25)));
        c.add(new Case("pointwise 3x5 images, 2 chunks", ConvSpec.pointwise(129, 6), new Shape(70, 129, 3, 5)));
        c.add(new Case("pointwise 1x1 images", ConvSpec.pointwise(70, 9), new Shape(3, 70, 1, 1)));
        // the depthwise data kernel (stride 1, pads past the kernel: not a transposed forward)
        c.add(new Case("depthwise γ2 pad larger than the kernel", ConvSpec.depthwise(3, 2, 3).padding(3, 1, 2, 4).build(), new Shape(2, 3, 6, 7)));
        // the depthwise filter kernel's rows of several vectors whose last step overlaps the one before
        c.add(new Case("depthwise γ1 3x3 stride 2, rows of 22", ConvSpec.depthwise(3, 1, 3).stride(2).padding(1).build(), new Shape(2, 3, 6, 43)));
        // the strided data kernel's whole-vector stores: stride 2's two phases interleaved (rows of several blocks, the
        // last one partial), stride 1 (pads past the kernel: not a transposed forward)
        c.add(new Case("full 3x3 stride 2, rows of 37", ConvSpec.full(5, 3, 3).stride(2).padding(1).build(), new Shape(2, 5, 5, 37)));
        c.add(new Case("full stride 1 pad larger than the kernel, rows of 19", ConvSpec.full(2, 3, 2).padding(2, 3, 1, 2).build(),
                new Shape(2, 2, 5, 19)));
        // the depthwise filter kernel with all kernel rows of a channel per work-item (128 output channels or more)
        c.add(new Case("depthwise γ1 128 channels 3x3", ConvSpec.depthwise(128, 1, 3).padding(1).build(), new Shape(2, 128, 5, 11)));
        c.add(new Case("depthwise γ2 stride 2 128 channels 3x5", ConvSpec.builder(64, 128, 3, 5).groups(64).stride(2).padding(1, 2, 0, 1).build(),
                new Shape(1, 64, 7, 12)));
        return c;
    }

    static float[] random(Random r, int count) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) a[i] = r.nextFloat() * 2 - 1;
        return a;
    }

    /** The backends under test. */
    static List<Backend> backends() {
        return TestBackends.all();
    }

    private static Stream<DynamicTest> perBackend(List<Case> cases, PerBackend.CaseCheck<Case> check) {
        return backends().stream().flatMap(b -> cases.stream().map(c -> DynamicTest.dynamicTest(b.device().id() + " " + c,
                () -> check.run(b, c))));
    }

    // ---- hand-computed ----

    @Test
    void handComputedFull2x2() {
        ConvSpec spec = ConvSpec.full(1, 1, 2).build();
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] w = {1, 2, 3, 4};
        float[] ones = {1, 1, 1, 1};
        for (Backend b : backends()) {
            try (PreparedConv conv = b.prepare(spec, w, Epilogue.bias(new float[] {0.5f}))) {
                Tensor dx = conv.backwardData(Tensor.of(ones, 1, 1, 2, 2), new Shape(1, 1, 3, 3));
                assertArrayEquals(new float[] {1, 3, 2, 4, 10, 6, 3, 7, 4}, dx.data(), b.device().id());
                ConvGradients.Filter f = conv.backwardFilter(Tensor.of(x, 1, 1, 3, 3), Tensor.of(ones, 1, 1, 2, 2), true);
                assertArrayEquals(new float[] {12, 16, 24, 28}, f.weights(), b.device().id());
                assertArrayEquals(new float[] {4}, f.bias(), b.device().id());
            }
        }
    }

    @Test
    void handComputedStride2ThatDoesNotDivideTheInput() {
        ConvSpec spec = ConvSpec.full(1, 1, 1).stride(2).build(); // 3x3 -> 2x2, reading (0,0) (0,2) (2,0) (2,2)
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] dz = {1, 2, 3, 4};
        for (Backend b : backends()) {
            try (PreparedConv conv = b.prepare(spec, new float[] {5}, Epilogue.none())) {
                Tensor dx = conv.backwardData(Tensor.of(dz, 1, 1, 2, 2), new Shape(1, 1, 3, 3));
                assertArrayEquals(new float[] {5, 0, 10, 0, 0, 0, 15, 0, 20}, dx.data(), b.device().id());
                ConvGradients.Filter f = conv.backwardFilter(Tensor.of(x, 1, 1, 3, 3), Tensor.of(dz, 1, 1, 2, 2), true);
                assertArrayEquals(new float[] {1 + 6 + 21 + 36}, f.weights(), b.device().id());
                assertArrayEquals(new float[] {10}, f.bias(), b.device().id());
                // a 4x4 input gives the same 2x2 output: its last row and column get no gradient
                Tensor dx4 = conv.backwardData(Tensor.of(dz, 1, 1, 2, 2), new Shape(1, 1, 4, 4));
                assertArrayEquals(new float[] {5, 0, 10, 0, 0, 0, 0, 0, 15, 0, 20, 0, 0, 0, 0, 0}, dx4.data(), b.device().id());
            }
        }
    }

    @Test
    void handComputedDepthwiseGamma2() {
        ConvSpec spec = ConvSpec.depthwise(1, 2, 1).build();
        float[] x = {1, 2, 3, 4};
        float[] dz = {1, 1, 1, 1, 1, 0, 0, 1}; // channel 0 all ones, channel 1 the diagonal
        for (Backend b : backends()) {
            try (PreparedConv conv = b.prepare(spec, new float[] {2, -1}, Epilogue.none())) {
                Tensor dx = conv.backwardData(Tensor.of(dz, 1, 2, 2, 2), new Shape(1, 1, 2, 2));
                assertArrayEquals(new float[] {1, 2, 2, 1}, dx.data(), b.device().id());
                ConvGradients.Filter f = conv.backwardFilter(Tensor.of(x, 1, 1, 2, 2), Tensor.of(dz, 1, 2, 2, 2), true);
                assertArrayEquals(new float[] {10, 5}, f.weights(), b.device().id());
                assertArrayEquals(new float[] {4, 2}, f.bias(), b.device().id());
            }
        }
    }

    @Test
    void activationBackwardMasksFromTheForwardOutput() {
        Tensor y = Tensor.of(new float[] {0, 3, 6, Float.NaN, -0f, 7}, 1, 1, 1, 6);
        Tensor dy = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 1, 1, 1, 6);
        assertArrayEquals(new float[] {0, 2, 3, 4, 0, 6}, ConvGradients.activationBackward(Activation.RELU, y, dy).data());
        assertArrayEquals(new float[] {0, 2, 0, 4, 0, 0}, ConvGradients.activationBackward(Activation.RELU6, y, dy).data());
        assertArrayEquals(dy.data(), ConvGradients.activationBackward(Activation.NONE, y, dy).data());
        for (Backend b : backends()) {
            for (Activation a : Activation.values()) {
                try (PreparedConv conv = b.prepare(ConvSpec.pointwise(1, 1), new float[] {1}, Epilogue.activation(a))) {
                    if (a.isClamp()) {
                        assertArrayEquals(ConvGradients.activationBackward(a, y, dy).data(), conv.activationBackward(y, dy).data(),
                                a + " on " + b.device().id());
                    } else { // HardSwish: its input is not known from its output
                        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                                () -> conv.activationBackward(y, dy), a + " on " + b.device().id());
                        assertTrue(e.getMessage().contains("hardswish"), e.getMessage());
                        assertThrows(UnsupportedOperationException.class, () -> ConvGradients.activationBackward(a, y, dy));
                    }
                }
            }
        }
    }

    // ---- the reference against finite differences ----

    /**
     * {@code L = Σ r·z} is linear in {@code x}, {@code w} and {@code b}, so central differences of the double forward are
     * exact up to rounding: every reference gradient must match them.
     */
    @Test
    void referenceMatchesFiniteDifferences() {
        Random r = new Random(15);
        for (Case c : cases()) {
            ConvSpec s = c.spec();
            Shape out = Reference.outputShape(c.input(), s);
            Tensor x = Tensor.of(random(r, c.input().count()), c.input());
            float[] w = random(r, s.weightCount());
            float[] bias = random(r, s.outChannels());
            Tensor dz = Tensor.of(random(r, out.count()), out);
            ReferenceGradients.Grads g = ReferenceGradients.gradients(x, s, w, dz);
            double[] xd = ReferenceGradients.widen(x.data()), wd = ReferenceGradients.widen(w), bd = ReferenceGradients.widen(bias);
            double[] rd = ReferenceGradients.widen(dz.data());
            double h = 0.5;
            for (int k = 0; k < 12; k++) {
                int i = r.nextInt(xd.length), j = r.nextInt(wd.length), o = r.nextInt(bd.length);
                assertEquals(g.dx()[i], difference(xd, i, h, () -> loss(rd, ReferenceGradients.forward64(xd, c.input(), s, wd, bd))), 1e-9, c + " dx[" + i + "]");
                assertEquals(g.dw()[j], difference(wd, j, h, () -> loss(rd, ReferenceGradients.forward64(xd, c.input(), s, wd, bd))), 1e-9, c + " dw[" + j + "]");
                assertEquals(g.db()[o], difference(bd, o, h, () -> loss(rd, ReferenceGradients.forward64(xd, c.input(), s, wd, bd))), 1e-9, c + " db[" + o + "]");
            }
        }
    }

    private static double loss(double[] r, double[] z) {
        double l = 0;
        for (int i = 0; i < z.length; i++) l += r[i] * z[i];
        return l;
    }

    private static double difference(double[] v, int i, double h, java.util.function.DoubleSupplier f) {
        double keep = v[i];
        v[i] = keep + h;
        double plus = f.getAsDouble();
        v[i] = keep - h;
        double minus = f.getAsDouble();
        v[i] = keep;
        return (plus - minus) / (2 * h);
    }

    // ---- every backend against the reference ----

    @TestFactory
    Stream<DynamicTest> everyBackendMatchesTheReference() {
        return perBackend(cases(), (backend, c) -> {
            Random r = new Random(c.name().hashCode());
            ConvSpec s = c.spec();
            Shape out = s.outputShape(c.input());
            Tensor x = Tensor.of(random(r, c.input().count()), c.input());
            float[] w = random(r, s.weightCount());
            Tensor dz = Tensor.of(random(r, out.count()), out);
            ReferenceGradients.Grads g = ReferenceGradients.gradients(x, s, w, dz);
            try (PreparedConv conv = backend.prepare(s, w, Epilogue.bias(random(r, s.outChannels())), c.input())) {
                String where = c + " on " + backend.device().describe();
                ReferenceGradients.assertClose(g.dx(), conv.backwardData(dz, c.input()).data(), c.input(), REL, "dx " + where);
                ConvGradients.Filter f = conv.backwardFilter(x, dz, true);
                ReferenceGradients.assertClose(g.dw(), f.weights(), ConvGradients.weightShape(s), REL, "dw " + where);
                ReferenceGradients.assertClose(g.db(), f.bias(), ConvGradients.biasShape(s), REL, "db " + where);
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> accumulateAddsToTheGradientsGiven() {
        return perBackend(List.of(cases().get(0), cases().get(1), cases().get(8), cases().get(9), cases().get(12),
                cases().get(14), cases().get(15), cases().get(16), cases().get(18), cases().get(19), cases().get(20)), (backend, c) -> {
            Random r = new Random(7);
            ConvSpec s = c.spec();
            Shape out = s.outputShape(c.input());
            Tensor x = Tensor.of(random(r, c.input().count()), c.input());
            float[] w = random(r, s.weightCount());
            Tensor dz = Tensor.of(random(r, out.count()), out);
            ReferenceGradients.Grads g = ReferenceGradients.gradients(x, s, w, dz);
            float[] dx0 = random(r, c.input().count()), dw0 = random(r, w.length), db0 = random(r, s.outChannels());
            try (PreparedConv conv = backend.prepare(s, w, Epilogue.none())) {
                Tensor dx = Tensor.of(dx0.clone(), c.input());
                conv.backwardData(dz, dx, true);
                float[] dw = dw0.clone(), db = db0.clone();
                conv.backwardFilter(x, dz, dw, db, true);
                ReferenceGradients.assertClose(plus(g.dx(), dx0), dx.data(), c.input(), REL, "accumulated dx " + c);
                ReferenceGradients.assertClose(plus(g.dw(), dw0), dw, ConvGradients.weightShape(s), REL, "accumulated dw " + c);
                ReferenceGradients.assertClose(plus(g.db(), db0), db, ConvGradients.biasShape(s), REL, "accumulated db " + c);
                conv.backwardData(dz, dx, false); // replaces
                ReferenceGradients.assertClose(g.dx(), dx.data(), c.input(), REL, "replaced dx " + c);
            }
        });
    }

    private static double[] plus(double[] a, float[] b) {
        double[] s = a.clone();
        for (int i = 0; i < s.length; i++) s[i] += b[i];
        return s;
    }

    /** Backward filter and data give the same bits on 10 runs, on device tensors. */
    @TestFactory
    Stream<DynamicTest> tenRunsGiveTheSameBits() {
        List<Case> big = List.of(
                new Case("full 3x3 stride 2 batch 4", ConvSpec.full(16, 24, 3).stride(2).padding(1).build(), new Shape(4, 16, 23, 21)),
                new Case("depthwise γ2 batch 4", ConvSpec.depthwise(16, 2, 3).padding(1).build(), new Shape(4, 16, 29, 31)),
                new Case("pointwise batch 4", ConvSpec.pointwise(32, 48), new Shape(4, 32, 17, 19)),
                new Case("pointwise batch 4, 3 chunks", ConvSpec.pointwise(128, 40), new Shape(4, 128, 20, 30)));
        return perBackend(big, (backend, c) -> {
            Random r = new Random(3);
            ConvSpec s = c.spec();
            Shape out = s.outputShape(c.input());
            try (PreparedConv conv = backend.prepare(s, random(r, s.weightCount()), Epilogue.none());
                 DeviceTensor x = backend.upload(Tensor.of(random(r, c.input().count()), c.input()));
                 DeviceTensor dz = backend.upload(Tensor.of(random(r, out.count()), out));
                 DeviceTensor dx = backend.allocate(c.input());
                 DeviceTensor dw = backend.allocate(ConvGradients.weightShape(s));
                 DeviceTensor db = backend.allocate(ConvGradients.biasShape(s))) {
                float[] firstW = null, firstB = null, firstX = null;
                for (int run = 0; run < 10; run++) {
                    conv.backwardFilter(x, dz, dw, db, false);
                    conv.backwardData(dz, dx, false);
                    float[] w = dw.download().data(), b = db.download().data(), xd = dx.download().data();
                    if (firstW == null) {
                        firstW = w;
                        firstB = b;
                        firstX = xd;
                    } else {
                        assertTrue(java.util.Arrays.equals(firstW, w), c + " dw run " + run + " differs from run 0");
                        assertTrue(java.util.Arrays.equals(firstB, b), c + " db run " + run + " differs from run 0");
                        assertTrue(java.util.Arrays.equals(firstX, xd), c + " dx run " + run + " differs from run 0");
                    }
                }
            }
        });
    }

    // ---- bad input ----

    @TestFactory
    Stream<DynamicTest> badInputIsRefusedNamingTheFieldAndNothingIsWritten() {
        return backends().stream().map(backend -> DynamicTest.dynamicTest(backend.device().id(), () -> {
            ConvSpec s = ConvSpec.full(2, 3, 3).stride(2).padding(1).build();
            Shape in = new Shape(1, 2, 7, 7), out = s.outputShape(in);
            float[] w = random(new Random(1), s.weightCount());
            Epilogue bn = Epilogue.builder().batchNorm(new float[3], new float[] {1, 1, 1}, new float[] {1, 1, 1}, new float[3], 1e-5f).build();
            try (PreparedConv folded = backend.prepare(s, w, bn)) {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> folded.backwardData(Tensor.zeros(out), in));
                assertTrue(e.getMessage().contains("batch-norm"), e.getMessage());
            }
            try (PreparedConv conv = backend.prepare(s, w, Epilogue.none());
                 DeviceTensor dz = backend.allocate(out); DeviceTensor dx = backend.allocate(in);
                 DeviceTensor wrongDx = backend.allocate(new Shape(1, 2, 9, 9));
                 DeviceTensor dw = backend.allocate(ConvGradients.weightShape(s));
                 DeviceTensor wrongDw = backend.allocate(new Shape(3, 2, 3, 2))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.backwardData(dz, wrongDx, false));
                assertTrue(e.getMessage().contains("gradOutput shape " + out), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> conv.backwardFilter(dx, dz, wrongDw, null, false));
                assertTrue(e.getMessage().contains("gradWeights shape [3, 2, 3, 2]"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> conv.backwardData(dz, dz, false));
                assertTrue(e.getMessage().contains("gradOutput"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> conv.backwardFilter(dx, dz, dw, dw, false));
                assertTrue(e.getMessage().contains("gradBias"), e.getMessage());
                float[] keep = {1, 2, 3};
                float[] db = keep.clone();
                float[] badDw = new float[5];
                e = assertThrows(IllegalArgumentException.class,
                        () -> conv.backwardFilter(Tensor.zeros(in), Tensor.zeros(out), badDw, db, true));
                assertTrue(e.getMessage().contains("gradWeights length 5"), e.getMessage());
                assertArrayEquals(keep, db, "nothing written");
                Tensor hostDx = Tensor.of(new float[new Shape(1, 2, 9, 9).count()], new Shape(1, 2, 9, 9));
                assertThrows(IllegalArgumentException.class, () -> conv.backwardData(Tensor.zeros(out), hostDx, true));
                assertTrue(java.util.Arrays.equals(new float[hostDx.shape().count()], hostDx.data()), "nothing written");
                Backend other = backend == TestBackends.cpu() ? null : TestBackends.cpu();
                if (other != null) {
                    try (DeviceTensor foreign = other.allocate(in)) {
                        e = assertThrows(IllegalArgumentException.class, () -> conv.backwardData(dz, foreign, false));
                        assertTrue(e.getMessage().contains("gradInput"), e.getMessage());
                    }
                }
                dx.close();
                IllegalStateException closed = assertThrows(IllegalStateException.class, () -> conv.backwardData(dz, dx, false));
                assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
                conv.close();
                closed = assertThrows(IllegalStateException.class, () -> conv.backwardData(Tensor.zeros(out), in));
                assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
            }
        }));
    }
}
