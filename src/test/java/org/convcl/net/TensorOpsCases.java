package org.convcl.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.convcl.ArrayOps;
import org.convcl.Backend;
import org.convcl.DeviceTensor;
import org.convcl.PoolSpec;
import org.convcl.Pointwise;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorOps;

/**
 * Small cases of every {@link TensorOps} operator (each elementwise function, broadcasting both ways, every pooling
 * edge: ceil mode, pads counted and not, dilation, asymmetric pads, a global average, NaN in a max window; concat;
 * copy), each checked on a backend against {@link ArrayOps}, the Java definition. Sizes stay small and leave tails
 * (counts not multiples of the kernels' 64 work-items): the memory-checker tier runs them on Oclgrind too.
 */
public final class TensorOpsCases {
    private TensorOpsCases() {}

    /** Runs one operator on a backend's tensors, and the same through {@link ArrayOps}. */
    interface Op {
        void device(TensorOps ops, List<DeviceTensor> in, DeviceTensor out);

        void java(List<float[]> in, List<Shape> shapes, float[] out, Shape outShape);
    }

    /** One case: its inputs' shapes, its output's, the operator, and whether inputs hold NaN, ±Inf and −0. */
    public record OpCase(String name, List<Shape> inputs, Shape output, Op op, boolean specials) {
        @Override
        public String toString() {
            return name + " " + inputs + " -> " + output;
        }
    }

    /** Every case. */
    public static List<OpCase> all() {
        List<OpCase> cases = new ArrayList<>();
        Shape s = new Shape(1, 2, 5, 7); // 70 elements: one full work-group of 64 and a tail
        for (Pointwise f : List.of(Pointwise.identity(), Pointwise.relu(), Pointwise.clip(-0.5f, 0.75f), Pointwise.clip(0f, 6f),
                Pointwise.hardSigmoid(0.2f, 0.5f), Pointwise.hardSwish(), Pointwise.sigmoid())) {
            cases.add(pointwise(f, s));
        }
        Shape full = new Shape(2, 3, 4, 5);
        cases.add(binary(TensorOps.Binary.ADD, full, full, Pointwise.relu())); // h·w = 20: 4 elements per work-item
        cases.add(binary(TensorOps.Binary.ADD, s, s, Pointwise.hardSwish())); // h·w = 35: one element per work-item
        cases.add(binary(TensorOps.Binary.MUL, s, new Shape(1, 2, 1, 1), Pointwise.sigmoid()));
        cases.add(binary(TensorOps.Binary.MUL, full, new Shape(2, 3, 1, 1), Pointwise.identity())); // squeeze-excitation
        cases.add(binary(TensorOps.Binary.MUL, new Shape(2, 3, 1, 1), full, Pointwise.identity()));
        cases.add(binary(TensorOps.Binary.ADD, new Shape(1, 3, 1, 5), new Shape(2, 1, 4, 1), Pointwise.clip(-0.5f, 0.5f)));
        cases.add(binary(TensorOps.Binary.MUL, full, new Shape(1, 1, 1, 1), Pointwise.hardSigmoid(0.2f, 0.5f)));
        cases.add(pool(new PoolSpec(PoolSpec.Kind.MAX, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, false), new Shape(2, 3, 9, 11), true));
        cases.add(pool(new PoolSpec(PoolSpec.Kind.MAX, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, true, false), new Shape(1, 2, 9, 11), false));
        // w_out 16, no tail; its middle quads read each tap's four values with one vector load (stride 2, then 1)
        cases.add(pool(new PoolSpec(PoolSpec.Kind.MAX, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, false), new Shape(1, 3, 8, 32), true));
        cases.add(pool(new PoolSpec(PoolSpec.Kind.AVERAGE, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, true), new Shape(1, 2, 5, 13), true));
        // net_max_pool_w3s2: 35 outputs a row, 0 and 34 on the edge path, 33 inside: two vectors and a last one moved back
        // to end at 34 that stores its last lane only; NaN and infinities in both paths
        cases.add(pool(new PoolSpec(PoolSpec.Kind.MAX, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, false), new Shape(1, 2, 5, 69), true));
        // ... no left pad, ceil mode: the 20th output reads past the row (edge path); window 2 high at stride 1
        cases.add(pool(new PoolSpec(PoolSpec.Kind.MAX, 2, 3, 1, 2, 1, 0, 0, 1, 1, 1, true, false), new Shape(1, 1, 4, 40), true));
        // ... a row 2 wide, its one window reaching into the right pad: no output has its 3 columns inside
        cases.add(pool(new PoolSpec(PoolSpec.Kind.MAX, 3, 3, 2, 2, 0, 0, 0, 1, 1, 1, false, false), new Shape(1, 2, 3, 2), false));
        cases.add(pool(new PoolSpec(PoolSpec.Kind.AVERAGE, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false, true), new Shape(1, 2, 3, 3), false)); // w_out 3: one per work-item
        cases.add(pool(new PoolSpec(PoolSpec.Kind.MAX, 2, 3, 1, 2, 1, 0, 0, 2, 2, 2, false, false), new Shape(1, 2, 7, 9), false));
        cases.add(pool(new PoolSpec(PoolSpec.Kind.AVERAGE, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, true, false), new Shape(1, 2, 9, 11), false));
        cases.add(pool(new PoolSpec(PoolSpec.Kind.AVERAGE, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, false, false), new Shape(1, 2, 7, 8), false));
        cases.add(pool(new PoolSpec(PoolSpec.Kind.AVERAGE, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true, true), new Shape(1, 2, 7, 8), false));
        cases.add(pool(PoolSpec.globalAverage(5, 7), new Shape(2, 3, 5, 7), false));
        // net_global_average: 70 planes (a tail past the work-groups), NaN and infinities inside them
        cases.add(pool(PoolSpec.globalAverage(7, 7), new Shape(2, 35, 7, 7), true));
        List<Shape> parts = List.of(new Shape(2, 1, 3, 4), new Shape(2, 3, 3, 4), new Shape(2, 2, 3, 4));
        cases.add(new OpCase("concat", parts, ArrayOps.concatShape(parts), new Op() {
            public void device(TensorOps ops, List<DeviceTensor> in, DeviceTensor out) { ops.concatChannels(in, out); }

            public void java(List<float[]> in, List<Shape> shapes, float[] out, Shape so) { ArrayOps.concatChannels(in, shapes, out, so); }
        }, false));
        // dense: one row; two and three rows (a part group); five (a full group of four and one); outputs in groups of 16
        // with a tail of 6 (70), none (32), a tail of 8 (24: vector loads) and 13 (29: 8 of them vector, 5 one by one),
        // and only a tail (5)
        cases.add(dense(new Shape(1, 37, 1, 1), 70, true, Pointwise.identity()));
        cases.add(dense(new Shape(2, 9, 1, 1), 5, false, Pointwise.hardSwish()));
        cases.add(dense(new Shape(3, 2, 3, 2), 70, true, Pointwise.relu()));
        cases.add(dense(new Shape(5, 16, 1, 1), 24, true, Pointwise.clip(-1f, 1f)));
        cases.add(dense(new Shape(4, 11, 1, 1), 32, true, Pointwise.identity()));
        cases.add(dense(new Shape(2, 7, 1, 1), 29, false, Pointwise.relu()));
        cases.add(new OpCase("copy", List.of(new Shape(2, 3, 2, 5)), new Shape(2, 30, 1, 1), new Op() {
            public void device(TensorOps ops, List<DeviceTensor> in, DeviceTensor out) { ops.copy(in.get(0), out); }

            public void java(List<float[]> in, List<Shape> shapes, float[] out, Shape so) { System.arraycopy(in.get(0), 0, out, 0, out.length); }
        }, true));
        return cases;
    }

    private static OpCase dense(Shape x, int outputs, boolean bias, Pointwise then) {
        int k = x.c() * x.h() * x.w();
        List<Shape> in = bias ? List.of(x, new Shape(k, outputs, 1, 1), new Shape(1, outputs, 1, 1)) : List.of(x, new Shape(k, outputs, 1, 1));
        return new OpCase("dense then " + then + (bias ? " with bias" : ""), in, new Shape(x.n(), outputs, 1, 1), new Op() {
            public void device(TensorOps ops, List<DeviceTensor> t, DeviceTensor out) {
                ops.dense(t.get(0), t.get(1), bias ? t.get(2) : null, then, out);
            }

            public void java(List<float[]> t, List<Shape> shapes, float[] out, Shape so) {
                ArrayOps.dense(t.get(0), shapes.get(0), t.get(1), shapes.get(1), bias ? t.get(2) : null, then, out);
            }
        }, true);
    }

    private static OpCase pointwise(Pointwise f, Shape s) {
        return new OpCase("pointwise " + f, List.of(s), s, new Op() {
            public void device(TensorOps ops, List<DeviceTensor> in, DeviceTensor out) { ops.pointwise(f, in.get(0), out); }

            public void java(List<float[]> in, List<Shape> shapes, float[] out, Shape so) { ArrayOps.pointwise(f, in.get(0), out); }
        }, true);
    }

    private static OpCase binary(TensorOps.Binary op, Shape a, Shape b, Pointwise then) {
        return new OpCase(op + " then " + then, List.of(a, b), ArrayOps.broadcastShape(a, b), new Op() {
            public void device(TensorOps ops, List<DeviceTensor> in, DeviceTensor out) { ops.binary(op, in.get(0), in.get(1), then, out); }

            public void java(List<float[]> in, List<Shape> shapes, float[] out, Shape so) {
                ArrayOps.binary(op, in.get(0), shapes.get(0), in.get(1), shapes.get(1), then, out, so);
            }
        }, true);
    }

    private static OpCase pool(PoolSpec spec, Shape x, boolean specials) {
        return new OpCase("pool " + spec, List.of(x), spec.outputShape(x), new Op() {
            public void device(TensorOps ops, List<DeviceTensor> in, DeviceTensor out) { ops.pool(spec, in.get(0), out); }

            public void java(List<float[]> in, List<Shape> shapes, float[] out, Shape so) { ArrayOps.pool(spec, in.get(0), shapes.get(0), out, so); }
        }, specials);
    }

    /**
     * Runs {@code c} on {@code backend} and throws an {@link AssertionError} naming the case, the flat index and both
     * values unless every output is within {@code 1e-6 + 1e-5·|expected|} of the Java definition's (NaN where it has
     * NaN, the same infinity where it has one).
     */
    public static void check(Backend backend, OpCase c) {
        Random random = new Random(c.name().hashCode());
        List<float[]> inputs = new ArrayList<>();
        for (Shape s : c.inputs()) {
            float[] v = new float[s.count()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (random.nextGaussian() * 4);
            if (c.specials() && v.length > 8) {
                v[1] = Float.NaN;
                v[3] = Float.POSITIVE_INFINITY;
                v[5] = Float.NEGATIVE_INFINITY;
                v[7] = -0f;
            }
            inputs.add(v);
        }
        float[] expected = new float[c.output().count()];
        c.op().java(inputs, c.inputs(), expected, c.output());
        TensorOps ops = backend.tensorOps().orElseThrow(() -> new AssertionError(backend + " has no TensorOps"));
        List<DeviceTensor> in = new ArrayList<>();
        try (DeviceTensor out = backend.allocate(c.output())) {
            for (int i = 0; i < inputs.size(); i++) in.add(backend.upload(Tensor.of(inputs.get(i), c.inputs().get(i))));
            c.op().device(ops, in, out);
            float[] actual = backend.download(out).data();
            for (int i = 0; i < expected.length; i++) {
                float e = expected[i], a = actual[i];
                boolean ok = Float.isNaN(e) ? Float.isNaN(a) : Float.isInfinite(e) ? a == e : Math.abs(a - e) <= 1e-6f + 1e-5f * Math.abs(e);
                if (!ok) {
                    throw new AssertionError(c + " on " + backend.device().describe() + ": at flat index " + i + " expected " + e
                            + ", got " + a);
                }
            }
        } finally {
            for (DeviceTensor t : in) t.close();
        }
    }
}
