package org.convcl.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.Stream;
import org.convcl.Activation;
import org.convcl.Backend;
import org.convcl.ConvSpec;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Reference;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorAssert;
import org.convcl.TestBackends;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The thread-safety contract of {@link Backend}: 8 threads × 500 mixed operations on one backend at once,
 * sharing prepared convolutions, each result checked against the reference. Operations: host forward on a
 * shared conv; upload/forward/download; forwardTimed; two shared convs chained on the device; a private
 * prepare/forward/close; a plain upload/download round trip.
 */
class ConcurrencyTest {
    static final int THREADS = 8;
    static final int OPERATIONS = 500;
    static final String[] OPS = {"host forward", "device forward", "forwardTimed", "chain", "private prepare", "round trip"};

    /** A layer: spec, weights and epilogue, with the reference at hand. */
    record Layer(ConvSpec spec, float[] weights, Epilogue epilogue) {
        Tensor reference(Tensor x) {
            return Reference.conv2d(x, spec, weights, epilogue);
        }

        void check(Tensor x, Tensor actual, String what) {
            TensorAssert.assertClose(reference(x), actual, spec.reductionLength(), what + " " + spec + " on " + x.shape());
        }
    }

    static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextFloat() * 2 - 1;
        return a;
    }

    static List<Layer> layers() {
        Random rnd = new Random(88);
        List<Layer> layers = new ArrayList<>();
        ConvSpec depthwise = ConvSpec.depthwise(4, 2, 3).padding(1).build();
        layers.add(new Layer(depthwise, random(rnd, depthwise.weightCount()),
                Epilogue.builder().bias(random(rnd, 8)).activation(Activation.RELU6).build()));
        ConvSpec pointwise = ConvSpec.pointwise(8, 4);
        layers.add(new Layer(pointwise, random(rnd, pointwise.weightCount()), Epilogue.bias(random(rnd, 4))));
        ConvSpec grouped = ConvSpec.full(4, 6, 3).groups(2).stride(2).padding(1, 0, 1, 1).build();
        float[] ones = {1, 1, 1, 1, 1, 1};
        layers.add(new Layer(grouped, random(rnd, grouped.weightCount()), Epilogue.builder()
                .batchNorm(random(rnd, 6), ones, random(rnd, 6), random(rnd, 6), 1e-3f).activation(Activation.RELU).build()));
        return layers;
    }

    @TestFactory
    Stream<DynamicTest> eightThreadsTimesFiveHundredMixedOperations() {
        return TestBackends.all().stream().map(b -> DynamicTest.dynamicTest(b.device().id(), () -> run(b)));
    }

    private static void run(Backend backend) throws Exception {
        List<Layer> layers = layers();
        List<PreparedConv> shared = new ArrayList<>();
        for (Layer l : layers) shared.add(backend.prepare(l.spec(), l.weights(), l.epilogue()));
        AtomicIntegerArray done = new AtomicIntegerArray(OPS.length);
        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        long t0 = System.nanoTime();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    Random rnd = new Random(1000 + thread);
                    start.await();
                    for (int i = 0; i < OPERATIONS; i++) {
                        int op = rnd.nextInt(OPS.length);
                        operation(backend, layers, shared, op, rnd, "thread " + thread + " op " + i + " (" + OPS[op] + ")");
                        done.incrementAndGet(op);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get(5, TimeUnit.MINUTES);
        } finally {
            pool.shutdownNow();
            shared.forEach(PreparedConv::close);
        }
        int total = 0;
        StringBuilder mix = new StringBuilder();
        for (int op = 0; op < OPS.length; op++) {
            total += done.get(op);
            mix.append(OPS[op]).append('=').append(done.get(op)).append(' ');
            assertTrue(done.get(op) > 0, OPS[op] + " never ran");
        }
        assertEquals(THREADS * OPERATIONS, total);
        System.out.printf("[ConcurrencyTest] %s: %d threads x %d operations in %.1f s: %s%n", backend.device().id(),
                THREADS, OPERATIONS, (System.nanoTime() - t0) / 1e9, mix.toString().trim());
    }

    /** One checked operation; {@code what} names it in a failure. */
    private static void operation(Backend backend, List<Layer> layers, List<PreparedConv> shared, int op, Random rnd,
            String what) {
        int k = rnd.nextInt(layers.size());
        Layer layer = layers.get(k);
        Shape shape = new Shape(1 + rnd.nextInt(2), layer.spec().inChannels(), 3 + rnd.nextInt(10), 3 + rnd.nextInt(10));
        Tensor x = Tensor.of(random(rnd, shape.count()), shape);
        switch (op) {
            case 0 -> layer.check(x, shared.get(k).forward(x), what);
            case 1, 2 -> {
                try (DeviceTensor in = backend.upload(x); DeviceTensor out = backend.allocate(layer.spec().outputShape(shape))) {
                    if (op == 1) shared.get(k).forward(in, out);
                    else assertTrue(shared.get(k).forwardTimed(in, out) >= 0, what);
                    layer.check(x, out.download(), what);
                }
            }
            case 3 -> { // depthwise then pointwise, the output of one feeding the other on the device
                Layer dw = layers.get(0), pw = layers.get(1);
                Tensor x4 = Tensor.of(random(rnd, shape.n() * 4 * shape.h() * shape.w()),
                        new Shape(shape.n(), 4, shape.h(), shape.w()));
                try (DeviceTensor in = backend.upload(x4); DeviceTensor mid = shared.get(0).forward(in);
                     DeviceTensor out = shared.get(1).forward(mid)) {
                    Tensor expected = pw.reference(dw.reference(x4));
                    TensorAssert.assertClose(expected, out.download(), dw.spec().reductionLength() * pw.spec().reductionLength(),
                            what);
                }
            }
            case 4 -> {
                try (PreparedConv own = backend.prepare(layer.spec(), layer.weights(), layer.epilogue())) {
                    layer.check(x, own.forward(x), what);
                }
            }
            case 5 -> {
                try (DeviceTensor t = backend.upload(x)) {
                    assertEquals(x, t.download(), what);
                }
            }
            default -> throw new AssertionError(op);
        }
    }
}
