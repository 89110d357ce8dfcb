package org.convcl;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Small convolutions whose answers were worked out on paper (the arithmetic is in the comments), run on every
 * backend. These pin the semantics independently of {@link Reference}.
 */
class HandComputedTest {

    /** One case: spec, input, weights, epilogue and the answer computed by hand. */
    record Hand(String name, ConvSpec spec, Tensor input, float[] weights, Epilogue epilogue, Tensor expected) {}

    private static final float NAN = Float.NaN, INF = Float.POSITIVE_INFINITY;

    static List<Hand> cases() {
        return List.of(
            // 4×4 input 1..16, 3×3 ones, stride 2, pad 1 → 2×2: windows {1,2,5,6}=14, {2,3,4,6,7,8}=30,
            // {5,6,9,10,13,14}=57, {6,7,8,10,11,12,14,15,16}=99.
            new Hand("stride 2, pad 1", ConvSpec.full(1, 1, 3).stride(2).padding(1).build(),
                    t(1, 1, 4, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16), ones(9), Epilogue.none(),
                    t(1, 1, 2, 2, 14, 30, 57, 99)),
            // 5×6 input v = 6r + c, 3×3 kernel dilated by 2 with weights 1 at (0,0), 2 at (1,1), 1 at (2,2):
            // x=0 reads (0,0)=0, (2,2)=14, (4,4)=28 → 0 + 28 + 28 = 56; x=1 reads 1, 15, 29 → 1 + 30 + 29 = 60.
            new Hand("dilation 2", ConvSpec.full(1, 1, 3).dilation(2).build(),
                    t(1, 1, 5, 6, ramp(30)), new float[] {1, 0, 0, 0, 2, 0, 0, 0, 1}, Epilogue.none(),
                    t(1, 1, 1, 2, 56, 60)),
            // groups 2, 1×1: o0 = 1·c0 + 10·c1 = [1+30, 2+40]; o1 = 100·c2 − c3 = [500−7, 600−8].
            new Hand("groups 2", ConvSpec.full(4, 2, 1).groups(2).build(),
                    t(1, 4, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8), new float[] {1, 10, 100, -1}, Epilogue.none(),
                    t(1, 2, 1, 2, 31, 42, 493, 592)),
            // depthwise γ = 2 with a 1×2 kernel: o0,o1 read c0 = [1,2,3], o2,o3 read c1 = [4,5,6].
            // o0 [1,1]: [3,5]; o1 [1,−1]: [−1,−1]; o2 [2,0]: [8,10]; o3 [0,3]: [15,18].
            new Hand("depthwise γ=2, 1x2 kernel", ConvSpec.builder(2, 4, 1, 2).groups(2).build(),
                    t(1, 2, 1, 3, 1, 2, 3, 4, 5, 6), new float[] {1, 1, 1, -1, 2, 0, 0, 3}, Epilogue.none(),
                    t(1, 4, 1, 2, 3, 5, -1, -1, 8, 10, 15, 18)),
            // [[1,2],[3,4]] padded top 1, right 2 → rows [0 0 0 0],[1 2 0 0],[3 4 0 0]; 2×2 ones → 2×3:
            // [0+0+1+2, 0+0+2+0, 0], [1+2+3+4, 2+0+4+0, 0].
            new Hand("asymmetric padding", ConvSpec.full(1, 1, 2).padding(1, 0, 0, 2).build(),
                    t(1, 1, 2, 2, 1, 2, 3, 4), ones(4), Epilogue.none(),
                    t(1, 1, 2, 3, 3, 2, 0, 10, 6, 0)),
            // 3×1 kernel [1,2,3], pad 1 top and bottom, out[y] = in[y−1] + 2·in[y] + 3·in[y+1], two images
            // (the second is the first negated): column 0: 0+2+9, 1+6+15, 3+10+0; column 1: 0+4+12, 2+8+18, 4+12+0.
            new Hand("3x1 kernel, batch 2", ConvSpec.builder(1, 1, 3, 1).padding(1, 0).build(),
                    t(2, 1, 3, 2, 1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6), new float[] {1, 2, 3}, Epilogue.none(),
                    t(2, 1, 3, 2, 11, 16, 22, 28, 13, 16, -11, -16, -22, -28, -13, -16)),
            // 2·[−3, −0.5, 1, 4] = [−6, −1, 2, 8], no activation.
            new Hand("activation none", ConvSpec.pointwise(1, 1), t(1, 1, 1, 4, -3, -0.5f, 1, 4), new float[] {2},
                    Epilogue.none(), t(1, 1, 1, 4, -6, -1, 2, 8)),
            // + bias 0.5 → [−5.5, −0.5, 2.5, 8.5]; ReLU → [0, 0, 2.5, 8.5].
            new Hand("bias + relu", ConvSpec.pointwise(1, 1), t(1, 1, 1, 4, -3, -0.5f, 1, 4), new float[] {2},
                    Epilogue.builder().bias(new float[] {0.5f}).activation(Activation.RELU).build(),
                    t(1, 1, 1, 4, 0, 0, 2.5f, 8.5f)),
            // ReLU6 of the same → [0, 0, 2.5, 6].
            new Hand("bias + relu6", ConvSpec.pointwise(1, 1), t(1, 1, 1, 4, -3, -0.5f, 1, 4), new float[] {2},
                    Epilogue.builder().bias(new float[] {0.5f}).activation(Activation.RELU6).build(),
                    t(1, 1, 1, 4, 0, 0, 2.5f, 6)),
            // o0 = c0 + c1 + 10 = [14, 16]; o1 = c0 − c1 − 10 = [−12, −12].
            new Hand("bias", ConvSpec.pointwise(2, 2), t(1, 2, 1, 2, 1, 2, 3, 4), new float[] {1, 1, 1, -1},
                    Epilogue.bias(new float[] {10, -10}), t(1, 2, 1, 2, 14, 16, -12, -12)),
            // ch0: [1,3] + 1 = [2,4]; (acc − 2)·2/√4 + 0.5 = [0.5, 2.5].
            // ch1: 2·[1,3] = [2,6]; (acc − 1)·1/√0.25 − 1 = [1, 9].
            new Hand("bias + batch-norm", ConvSpec.pointwise(1, 2), t(1, 1, 1, 2, 1, 3), new float[] {1, 2},
                    Epilogue.builder().bias(new float[] {1, 0}).batchNorm(new float[] {2, 1}, new float[] {4, 0.25f},
                            new float[] {2, 1}, new float[] {0.5f, -1}, 0f).build(),
                    t(1, 2, 1, 2, 0.5f, 2.5f, 1, 9)),
            // relu(NaN) = NaN, relu(−Inf) = 0, relu(+Inf) = +Inf, relu(−1) = 0.
            new Hand("relu of NaN and ±Inf", ConvSpec.pointwise(1, 1), t(1, 1, 1, 4, NAN, -INF, INF, -1),
                    new float[] {1}, Epilogue.activation(Activation.RELU), t(1, 1, 1, 4, NAN, 0, INF, 0)),
            // 3×3 depthwise (γ = 1), pad 1, on a 2×2 channel [[1,2],[3,4]] with a single centre-right weight
            // w(1,2) = 1: out(y,x) = in(y, x+1) → [[2,0],[4,0]]; channel 2 has weight w(0,1) = −1: out(y,x) = −in(y−1, x)
            // on [[5,6],[7,8]] → [[0,0],[−5,−6]].
            new Hand("depthwise 3x3 pad 1", ConvSpec.depthwise(2, 1, 3).padding(1).build(),
                    t(1, 2, 2, 2, 1, 2, 3, 4, 5, 6, 7, 8),
                    new float[] {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0}, Epilogue.none(),
                    t(1, 2, 2, 2, 2, 0, 4, 0, 0, 0, -5, -6)));
    }

    @TestFactory
    Stream<DynamicTest> handComputed() {
        return PerBackend.tests(cases(), Hand::name, (backend, h) -> {
            Tensor actual = backend.conv2d(h.input, h.spec, h.weights, h.epilogue);
            TensorAssert.assertClose(h.expected, actual, 1e-5, 1e-6, backend.device().id() + " " + h.name + " " + h.spec);
        });
    }

    private static Tensor t(int n, int c, int h, int w, float... data) {
        return Tensor.of(data, n, c, h, w);
    }

    private static float[] ones(int count) {
        float[] a = new float[count];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    private static float[] ramp(int count) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) a[i] = i;
        return a;
    }
}
