package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.convcl.Backend;
import org.convcl.Backends;
import org.convcl.ConvSpec;
import org.convcl.DeviceInfo;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.Reference;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorAssert;
import org.convcl.TestBackends;
import org.convcl.plan.Algorithm;
import org.convcl.plan.Planner;
import org.convcl.plan.TuningTable;
import org.junit.jupiter.api.Test;

class OpenClBackendTest {
    private static final ConvSpec POINTWISE = ConvSpec.pointwise(5, 3);

    private static OpenClBackend shared() {
        return (OpenClBackend) TestBackends.opencl();
    }

    @Test
    void devicesCarryIdsTypesVersionsAndLimits() {
        shared();
        List<DeviceInfo> devices = new OpenClBackendProvider().devices();
        assertFalse(devices.isEmpty());
        for (DeviceInfo d : devices) {
            assertEquals(DeviceInfo.BackendKind.OPENCL, d.backend());
            assertTrue(d.id().matches("\\d+:\\d+"), d.id());
            assertTrue(Set.of("GPU", "CPU", "ACCELERATOR").contains(d.type()), d.type());
            assertFalse(d.driverVersion().isBlank(), d.describe());
            assertTrue(d.openclVersion().startsWith("OpenCL "), d.openclVersion());
            assertTrue(d.computeUnits() > 0 && d.maxWorkGroupSize() > 0 && d.globalMemBytes() > 0
                    && d.maxAllocBytes() > 0, d.toString());
        }
        assertTrue(devices.contains(shared().device()), "the shared backend's device is listed");
    }

    @Test
    void closedTensorIsNamedInTheError() {
        Backend backend = shared();
        DeviceTensor t = backend.allocate(new Shape(1, 2, 3, 4));
        t.close();
        t.close(); // idempotent
        assertTrue(t.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> backend.download(t));
        assertTrue(e.getMessage().contains("opencl tensor #") && e.getMessage().contains("[1, 2, 3, 4]")
                && e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void foreignTensorsAreRejected() {
        OpenClBackend backend = shared();
        DeviceTensor fake = new DeviceTensor() {
            public Shape shape() { return new Shape(1, 5, 2, 2); }
            public Backend backend() { return backend; }
            public boolean isClosed() { return false; }
            public void close() {}
        };
        try (PreparedConv conv = backend.prepare(POINTWISE, new float[15], Epilogue.none());
             DeviceTensor out = backend.allocate(new Shape(1, 3, 2, 2));
             OpenClBackend other = (OpenClBackend) Backends.open(backend.device());
             DeviceTensor theirs = other.allocate(new Shape(1, 5, 2, 2))) {
            IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class, () -> conv.forward(fake, out));
            assertTrue(e1.getMessage().startsWith("input tensor"), e1.getMessage());
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> conv.forward(theirs, out));
            assertTrue(e2.getMessage().contains("not to this one"), e2.getMessage());
            assertThrows(IllegalArgumentException.class, () -> backend.download(theirs));
        }
    }

    @Test
    void shapesAreValidatedNamingTheField() {
        Backend backend = shared();
        try (PreparedConv conv = backend.prepare(POINTWISE, new float[15], Epilogue.none());
             DeviceTensor in = backend.allocate(new Shape(2, 5, 3, 3));
             DeviceTensor wrongOut = backend.allocate(new Shape(2, 3, 3, 4));
             DeviceTensor wrongIn = backend.allocate(new Shape(2, 4, 3, 3))) {
            IllegalArgumentException out = assertThrows(IllegalArgumentException.class, () -> conv.forward(in, wrongOut));
            assertTrue(out.getMessage().contains("output shape [2, 3, 3, 4]") && out.getMessage().contains("[2, 3, 3, 3]"),
                    out.getMessage());
            IllegalArgumentException channels = assertThrows(IllegalArgumentException.class, () -> conv.forward(wrongIn));
            assertTrue(channels.getMessage().contains("inChannels=5"), channels.getMessage());
            IllegalArgumentException weights = assertThrows(IllegalArgumentException.class,
                    () -> backend.prepare(POINTWISE, new float[14], Epilogue.none()));
            assertTrue(weights.getMessage().contains("weights length 14"), weights.getMessage());
        }
    }

    @Test
    void closeReleasesEverythingTheBackendMade() {
        shared();
        OpenClBackend backend = (OpenClBackend) Backends.open(shared().device());
        PreparedConv kept = backend.prepare(POINTWISE, new float[15], Epilogue.bias(new float[3]));
        PreparedConv closed = backend.prepare(ConvSpec.depthwise(5, 1, 3).build(), new float[45], Epilogue.none());
        DeviceTensor leftOpen = backend.upload(Tensor.zeros(new Shape(1, 5, 4, 4)));
        DeviceTensor out = kept.forward(leftOpen);
        closed.close();
        assertTrue(backend.liveBufferCount() >= 4, "tensors, weights and bias are tracked: " + backend.liveBufferCount());
        assertTrue(backend.liveKernelCount() >= 1 && backend.liveProgramCount() >= 1);

        backend.close();
        backend.close(); // idempotent
        assertEquals(0, backend.liveBufferCount());
        assertEquals(0, backend.liveKernelCount());
        assertEquals(0, backend.liveProgramCount());
        assertEquals(0, backend.livePreparedCount());
        assertTrue(leftOpen.isClosed() && out.isClosed());
        out.close();
        kept.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> backend.allocate(new Shape(1, 1, 1, 1)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void launcherValidatesLocalSizesAndRoundsGlobalUp() {
        OpenClBackend backend = shared();
        assertArrayEquals(new long[] {16, 8, 3}, Launcher.roundUp(new long[] {13, 8, 3}, new long[] {8, 4, 1}));
        var program = backend.library().program(Algorithm.POINTWISE.kernelFile(),
                KernelLibrary.merge(Planner.plan(POINTWISE, null, backend.facts(), TuningTable.EMPTY, Algorithm.POINTWISE).defines(),
                        OpenClConv.epilogueDefines(Epilogue.none().fold(POINTWISE, new float[15]))));
        try (ClKernel kernel = new ClKernel(program, "conv2d_pointwise", backend.deviceId(), backend.kernelCounter())) {
            long max = backend.device().maxWorkGroupSize();
            IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class,
                    () -> backend.launcher().validate(kernel, new long[] {1, 1, 1}, new long[] {max + 1, 1, 1}));
            assertTrue(tooBig.getMessage().contains("CL_DEVICE_MAX_"), tooBig.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> backend.launcher().validate(kernel, new long[] {4, 4}, new long[] {1, 1, 1}));
            assertThrows(IllegalArgumentException.class,
                    () -> backend.launcher().validate(kernel, new long[] {4}, new long[] {0}));
            // the kernel has 14 arguments; a 15th is reported by name through ClStatus
            var buffer = backend.noBias().mem();
            KernelArgs args = KernelArgs.on(kernel.handle()).buffer(buffer).buffer(buffer).buffer(buffer).buffer(buffer)
                    .int32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0);
            assertEquals(14, args.count());
            ClStatus.ClException e = assertThrows(ClStatus.ClException.class, () -> args.int32(0));
            assertTrue(e.getMessage().contains("CL_INVALID_ARG_INDEX") && e.getMessage().contains("index 14"), e.getMessage());
        }
    }

    @Test
    void onePreparedConvServesSeveralThreads() throws Exception {
        Backend backend = shared();
        Random random = new Random(5);
        float[] w = OpenClConvCorrectnessTest.uniform(random, POINTWISE.weightCount());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (PreparedConv conv = backend.prepare(POINTWISE, w, Epilogue.none())) {
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Shape s = new Shape(1 + t, 5, 3 + t, 6);
                Tensor x = Tensor.of(OpenClConvCorrectnessTest.uniform(new Random(t), s.count()), s);
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 5; i++) {
                        TensorAssert.assertClose(Reference.conv2d(x, POINTWISE, w, Epilogue.none()), conv.forward(x),
                                POINTWISE.reductionLength(), "thread input " + s);
                    }
                    return null;
                }));
            }
            for (Future<?> f : results) f.get();
        } finally {
            pool.shutdown();
        }
    }
}
