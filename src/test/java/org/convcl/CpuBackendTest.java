package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.convcl.cpu.CpuBackendProvider;
import org.junit.jupiter.api.Test;

/** The CPU backend's tensor life cycle, ownership checks, thread safety and chaining. */
class CpuBackendTest {
    private final Backend cpu = TestBackends.cpu();

    private static Tensor random(long seed, int n, int c, int h, int w) {
        return Tensor.of(ParitySweepTest.uniform(new SplittableRandom(seed), n * c * h * w, 1f), n, c, h, w);
    }

    @Test
    void deviceIsTheSingleJavaCpu() {
        CpuBackendProvider provider = new CpuBackendProvider();
        List<DeviceInfo> devices = provider.devices();
        assertEquals(1, devices.size());
        assertEquals("cpu", devices.get(0).id());
        assertEquals("CPU", cpu.device().type());
        assertTrue(cpu.device().name().matches("Java CPU \\(\\d+ threads\\)"), cpu.device().name());
        assertEquals("the CPU provider opens only device 'cpu', got OPENCL '1:0'", assertThrows(IllegalArgumentException.class,
                () -> provider.open(new DeviceInfo(DeviceInfo.BackendKind.OPENCL, "1:0", "p", "gpu", "GPU", "v", "1", "3",
                        1, 1, 1, 1, 1, 1))).getMessage());
    }

    @Test
    void closedTensorsRefuseUseAndCloseIsIdempotent() {
        DeviceTensor t = cpu.upload(random(1, 1, 2, 4, 4));
        assertFalse(t.isClosed());
        t.close();
        t.close();
        assertTrue(t.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, t::download);
        assertTrue(e.getMessage().matches("cpu tensor #\\d+ \\[1, 2, 4, 4\\] is closed"), e.getMessage());
        try (PreparedConv conv = cpu.prepare(ConvSpec.depthwise(2, 1, 3).build(), new float[18], Epilogue.none());
             DeviceTensor out = cpu.allocate(new Shape(1, 2, 2, 2))) {
            assertThrows(IllegalStateException.class, () -> conv.forward(t, out));
        }
    }

    @Test
    void tensorsOfAnotherBackendAreRejected() {
        try (Backend other = Backends.cpu();
             PreparedConv conv = cpu.prepare(ConvSpec.pointwise(2, 2), new float[4], Epilogue.none());
             DeviceTensor foreign = other.upload(random(2, 1, 2, 3, 3));
             DeviceTensor out = cpu.allocate(new Shape(1, 2, 3, 3))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.forward(foreign, out));
            assertTrue(e.getMessage().startsWith("input " + foreign + " belongs to another backend"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cpu.download(foreign));
            DeviceTensor fake = new DeviceTensor() {
                @Override public Shape shape() { return new Shape(1, 2, 3, 3); }
                @Override public Backend backend() { return cpu; }
                @Override public boolean isClosed() { return false; }
                @Override public void close() {}
            };
            assertThrows(IllegalArgumentException.class, () -> conv.forward(fake, out));
        }
    }

    @Test
    void forwardChecksShapesAndAliasing() {
        try (PreparedConv conv = cpu.prepare(ConvSpec.full(2, 3, 3).build(), new float[54], Epilogue.none());
             DeviceTensor in = cpu.allocate(new Shape(1, 2, 5, 5));
             DeviceTensor wrong = cpu.allocate(new Shape(1, 3, 5, 5));
             DeviceTensor same = cpu.allocate(new Shape(1, 2, 5, 5))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.forward(in, wrong));
            assertEquals("output shape [1, 3, 5, 5] does not match [1, 3, 3, 3] for input [1, 2, 5, 5] and "
                    + conv.spec(), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> conv.forward(same, same));
            assertEquals("input channels 3 do not match spec inChannels=2",
                    assertThrows(IllegalArgumentException.class, () -> conv.forward(wrong)).getMessage());
        }
    }

    @Test
    void prepareValidatesItsArguments() {
        ConvSpec spec = ConvSpec.pointwise(2, 3);
        assertEquals("spec must not be null", assertThrows(IllegalArgumentException.class,
                () -> cpu.prepare(null, new float[6], Epilogue.none())).getMessage());
        assertEquals("epilogue must not be null", assertThrows(IllegalArgumentException.class,
                () -> cpu.prepare(spec, new float[6], null)).getMessage());
        assertEquals("weights length 5 does not match spec 3x2x1x1 = 6", assertThrows(IllegalArgumentException.class,
                () -> cpu.prepare(spec, new float[5], Epilogue.none())).getMessage());
        assertEquals("bias length 2 does not match outChannels=3", assertThrows(IllegalArgumentException.class,
                () -> cpu.prepare(spec, new float[6], Epilogue.bias(new float[2]))).getMessage());
    }

    @Test
    void closedConvAndClosedBackendRefuseWork() {
        Backend own = Backends.cpu();
        PreparedConv conv = own.prepare(ConvSpec.pointwise(1, 1), new float[] {1}, Epilogue.none());
        conv.close();
        conv.close();
        assertThrows(IllegalStateException.class, () -> conv.forward(random(3, 1, 1, 2, 2)));
        own.close();
        own.close();
        assertEquals("the CPU backend is closed",
                assertThrows(IllegalStateException.class, () -> own.allocate(new Shape(1, 1, 1, 1))).getMessage());
    }

    @Test
    void planNamesTheAlgorithm() {
        try (PreparedConv pw = cpu.prepare(ConvSpec.pointwise(4, 4), new float[16], Epilogue.none());
             PreparedConv dw = cpu.prepare(ConvSpec.depthwise(4, 2, 3).build(), new float[72], Epilogue.none());
             PreparedConv shortFull = cpu.prepare(ConvSpec.full(4, 4, 3).stride(2).build(), new float[144], Epilogue.none());
             PreparedConv full = cpu.prepare(ConvSpec.full(8, 4, 3).stride(2).build(), new float[288], Epilogue.none())) {
            assertTrue(pw.plan().startsWith("pointwise"), pw.plan());
            assertTrue(dw.plan().startsWith("depthwise γ=2"), dw.plan());
            assertTrue(shortFull.plan().startsWith("row GEMM"), shortFull.plan()); // a 36-long reduction
            assertTrue(full.plan().startsWith("implicit GEMM"), full.plan());      // 72 long
        }
        float[] infinite = new float[36];
        infinite[4] = Float.POSITIVE_INFINITY;
        try (PreparedConv padded = cpu.prepare(ConvSpec.depthwise(4, 1, 3).padding(1).build(), infinite, Epilogue.none());
             PreparedConv unpadded = cpu.prepare(ConvSpec.depthwise(4, 1, 3).build(), infinite, Epilogue.none())) {
            assertTrue(padded.plan().startsWith("depthwise γ=1") && padded.plan().contains("row-wise tap accumulation"),
                    padded.plan());
            assertTrue(unpadded.plan().contains("SIMD along x"), unpadded.plan());
        }
    }

    @Test
    void concurrentForwardsGiveTheReferenceAnswers() throws Exception {
        ConvSpec[] specs = {ConvSpec.pointwise(12, 20), ConvSpec.depthwise(6, 2, 3).padding(1).build(),
            ConvSpec.full(5, 7, 3).stride(2).padding(1).build()};
        List<PreparedConv> convs = new ArrayList<>();
        List<float[]> weights = new ArrayList<>();
        Epilogue epilogue = Epilogue.activation(Activation.RELU);
        for (int i = 0; i < specs.length; i++) {
            weights.add(ParitySweepTest.uniform(new SplittableRandom(100 + i), specs[i].weightCount(), 1f));
            convs.add(cpu.prepare(specs[i], weights.get(i), epilogue));
        }
        ExecutorService callers = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < 24; t++) {
                int task = t;
                results.add(callers.submit((Callable<Void>) () -> {
                    int which = task % specs.length;
                    ConvSpec spec = specs[which];
                    Tensor input = random(1000 + task, 1 + task % 3, spec.inChannels(), 9 + task % 5, 11 + task % 4);
                    Tensor expected = Reference.conv2d(input, spec, weights.get(which), epilogue);
                    for (int repeat = 0; repeat < 3; repeat++) {
                        try (DeviceTensor in = cpu.upload(input); DeviceTensor out = convs.get(which).forward(in)) {
                            TensorAssert.assertClose(expected, out.download(), spec.reductionLength(),
                                    "thread task " + task + " " + spec);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : results) f.get();
        } finally {
            callers.shutdownNow();
            convs.forEach(PreparedConv::close);
        }
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().startsWith("convcl-cpu-")) assertTrue(thread.isDaemon(), thread.getName());
        }
    }

    @Test
    void chainedForwardStaysOnTheDevice() {
        ConvSpec dw = ConvSpec.depthwise(8, 1, 3).stride(2).samePadding(17, 16).build();
        ConvSpec pw = ConvSpec.pointwise(8, 16);
        SplittableRandom random = new SplittableRandom(5);
        float[] dwWeights = ParitySweepTest.uniform(random, dw.weightCount(), 1f);
        float[] pwWeights = ParitySweepTest.uniform(random, pw.weightCount(), 1f);
        Epilogue dwEp = Epilogue.builder().bias(ParitySweepTest.uniform(random, 8, 1f)).activation(Activation.RELU).build();
        Epilogue pwEp = Epilogue.activation(Activation.RELU6);
        Tensor input = random(6, 2, 8, 17, 16);
        Tensor expected = Reference.conv2d(Reference.conv2d(input, dw, dwWeights, dwEp), pw, pwWeights, pwEp);
        try (PreparedConv first = cpu.prepare(dw, dwWeights, dwEp);
             PreparedConv second = cpu.prepare(pw, pwWeights, pwEp);
             DeviceTensor in = cpu.upload(input);
             DeviceTensor mid = first.forward(in);
             DeviceTensor out = cpu.allocate(second.outputShape(mid.shape()))) {
            assertEquals(new Shape(2, 8, 9, 8), mid.shape());
            long nanos = second.forwardTimed(mid, out);
            assertTrue(nanos > 0, "forwardTimed returned " + nanos);
            cpu.finish();
            TensorAssert.assertClose(expected, out.download(), dw.reductionLength() + pw.reductionLength(), "dw → pw chain");
        }
    }
}
