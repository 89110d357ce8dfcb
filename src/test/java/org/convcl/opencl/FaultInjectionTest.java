package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.convcl.Backend;
import org.convcl.BlockMode;
import org.convcl.BackendUnavailableException;
import org.convcl.Backends;
import org.convcl.BackendsTestAccess;
import org.convcl.ConvSpec;
import org.convcl.DeviceInfo;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedConv;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TestBackends;
import org.convcl.plan.Algorithm;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Failures a test machine cannot produce on demand, injected through package-private seams: no OpenCL library,
 * no platform, no device ({@link OpenClBackendProvider#useDiscovery}); allocation and launch failures
 * ({@link OpenClBackend#injectFaults}); a kernel that does not compile; releases that fail in the middle of a
 * {@code close()} and launches that fail in the middle of a tune run. Each must end in a clear exception or a
 * logged CPU fallback, the backend must keep working for requests that fit afterwards, and a failing release
 * must not stop the others: the live counts return to where they were.
 */
class FaultInjectionTest {
    private static final int CL_DEVICE_NOT_FOUND = -1;
    private static final int CL_MEM_OBJECT_ALLOCATION_FAILURE = -4;
    private static final int CL_OUT_OF_RESOURCES = -5;
    private static final int CL_OUT_OF_HOST_MEMORY = -6;

    private ListAppender<ILoggingEvent> warnings;

    @AfterEach
    void restore() {
        OpenClBackendProvider.useDiscovery(OpenClBackendProvider.Discovery.JOCL);
        if (warnings != null) backendsLogger().detachAppender(warnings);
        TestBackends.opencl();
        ((OpenClBackend) TestBackends.opencl()).injectFaults(FaultInjector.NONE);
    }

    private static Logger backendsLogger() {
        return (Logger) LoggerFactory.getLogger(Backends.class);
    }

    /** Starts counting the WARN events of {@link Backends}, with the once-per-process flag cleared. */
    private void captureWarnings() {
        BackendsTestAccess.resetFallbackWarning();
        warnings = new ListAppender<>();
        warnings.start();
        backendsLogger().addAppender(warnings);
    }

    private List<ILoggingEvent> warns() {
        return warnings.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    }

    /** Discovery that finds {@code platforms} platforms, each answering {@code deviceStatus} with no device. */
    private static OpenClBackendProvider.Discovery noDevices(int platformStatus, int platforms, int deviceStatus) {
        return new OpenClBackendProvider.Discovery() {
            @Override
            public int platformIds(int count, cl_platform_id[] out, int[] found) {
                if (found != null) found[0] = platformStatus == 0 ? platforms : 0;
                if (out != null) for (int i = 0; i < Math.min(count, out.length); i++) out[i] = new cl_platform_id();
                return platformStatus;
            }

            @Override
            public int deviceIds(cl_platform_id platform, int count, cl_device_id[] out, int[] found) {
                if (found != null) found[0] = 0;
                return deviceStatus;
            }
        };
    }

    /** Auto falls back with one WARN naming {@code cause}; strict and opencl fail with the install hint. */
    private void assertFallbackAndStrictFailure(String cause) {
        captureWarnings();
        assertTrue(Backends.openClDevices().isEmpty());
        for (int i = 0; i < 3; i++) {
            try (Backend b = Backends.open(Backends.Selection.auto())) {
                assertEquals(DeviceInfo.BackendKind.CPU, b.device().backend());
                assertEquals(1, b.prepare(ConvSpec.pointwise(1, 1), new float[] {2f}, Epilogue.none())
                        .forward(Tensor.of(new float[] {0.5f}, 1, 1, 1, 1)).data()[0]);
            }
        }
        List<ILoggingEvent> warns = warns();
        assertEquals(1, warns.size(), "one WARN for three fallbacks: " + warnings.list);
        assertTrue(warns.get(0).getFormattedMessage().contains("falling back to the Java CPU backend")
                && warns.get(0).getFormattedMessage().contains(cause), warns.get(0).getFormattedMessage());

        for (Backends.Selection s : List.of(new Backends.Selection(Backends.Mode.AUTO, null, true),
                new Backends.Selection(Backends.Mode.OPENCL, null, false))) {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.open(s));
            assertTrue(e.getMessage().contains(Backends.INSTALL_HINT) && e.getMessage().contains("pocl-opencl-icd")
                    && e.getMessage().contains(cause), e.getMessage());
            assertEquals(s.strict(), e.getMessage().contains("convcl.strict=true forbids the CPU fallback"), e.getMessage());
        }
        assertEquals(1, warns().size(), "failures in strict mode log nothing more");
    }

    @Test
    void noOpenClLibraryFallsBackOnceAndStrictSaysHowToInstall() {
        AtomicInteger loads = new AtomicInteger();
        UnsatisfiedLinkError first = new UnsatisfiedLinkError("no JOCL_2_0_6-linux-x86_64 in java.library.path (simulated)");
        OpenClBackendProvider.useDiscovery(new OpenClBackendProvider.Discovery() {
            @Override
            public int platformIds(int count, cl_platform_id[] out, int[] found) {
                // JOCL's behaviour: UnsatisfiedLinkError once, NoClassDefFoundError after.
                if (loads.getAndIncrement() == 0) throw first;
                throw new NoClassDefFoundError("Could not initialize class org.jocl.CL");
            }

            @Override
            public int deviceIds(cl_platform_id platform, int count, cl_device_id[] out, int[] found) {
                throw new AssertionError("never reached without platforms");
            }
        });
        assertFallbackAndStrictFailure("JOCL_2_0_6-linux-x86_64");
        assertEquals(1, loads.get(), "the native load is probed once; the first failure is remembered");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> Backends.open(new Backends.Selection(Backends.Mode.OPENCL, null, false)));
        assertSame(first, e.getCause(), "the original UnsatisfiedLinkError is the cause");
    }

    @Test
    void noPlatformFallsBackOnceAndStrictSaysHowToInstall() {
        OpenClBackendProvider.useDiscovery(noDevices(ClStatus.CL_PLATFORM_NOT_FOUND_KHR, 0, 0));
        assertFallbackAndStrictFailure("no OpenCL platform with a device was found");
    }

    @Test
    void platformsWithoutDevicesFallBackOnceAndStrictSaysHowToInstall() {
        OpenClBackendProvider.useDiscovery(noDevices(0, 2, CL_DEVICE_NOT_FOUND));
        assertFallbackAndStrictFailure("no OpenCL platform with a device was found");
        OpenClBackendProvider.useDiscovery(noDevices(0, 1, 0)); // success with a count of zero
        assertFallbackAndStrictFailure("no OpenCL platform with a device was found");
    }

    @Test
    void aBrokenDriverIsReportedNotHiddenAsMissing() {
        OpenClBackendProvider.useDiscovery(noDevices(0, 1, -33)); // CL_INVALID_DEVICE from clGetDeviceIDs
        ClStatus.ClException e = assertThrows(ClStatus.ClException.class, Backends::openClDevices);
        assertTrue(e.getMessage().contains("clGetDeviceIDs") && e.getMessage().contains("CL_INVALID_DEVICE"), e.getMessage());
    }

    @Test
    void aKernelThatFailsToBuildReportsTheLogAndTheOptionsAndTheBackendGoesOn() {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        int programs = backend.liveProgramCount();
        // The depthwise kernel without DEPTH_MULT stops at its #error.
        Map<String, Integer> defines = Map.of("KH", 3, "KW", 3, "SH", 1, "SW", 1, "DH", 1, "DW", 1,
                "HAS_BIAS", 0, "ACTIVATION", 0);
        KernelBuildException e = assertThrows(KernelBuildException.class,
                () -> backend.library().program(Algorithm.DEPTHWISE.kernelFile(), defines));
        assertEquals(Algorithm.DEPTHWISE.kernelFile(), e.kernelFile());
        assertEquals(KernelLibrary.options(defines), e.options());
        assertTrue(e.getMessage().contains("-D ACTIVATION=0 -D DH=1") && e.getMessage().contains("CL_BUILD_PROGRAM_FAILURE")
                && e.buildLog().contains("DEPTH_MULT") && e.getMessage().contains(e.buildLog()), e.getMessage());
        assertEquals(programs, backend.liveProgramCount(), "the failed program was released, not cached");
        LimitsTest.stillWorks(backend);
    }

    @Test
    void allocationFailuresBecomeClearExceptionsAndSmallerRequestsStillWork() {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        ConvSpec spec = ConvSpec.full(4, 8, 3).padding(1).build();
        float[] w = new float[spec.weightCount()];
        int buffers = backend.liveBufferCount(), kernels = backend.liveKernelCount(), prepared = backend.livePreparedCount();
        for (int status : new int[] {CL_MEM_OBJECT_ALLOCATION_FAILURE, CL_OUT_OF_RESOURCES, CL_OUT_OF_HOST_MEMORY}) {
            String name = ClStatus.name(status);
            // A device with "1 MiB free": larger buffers fail.
            backend.injectFaults((call, bytes) -> bytes > (1 << 20) ? status : 0);
            ClStatus.ClException big = assertThrows(ClStatus.ClException.class,
                    () -> backend.allocate(new Shape(1, 4, 512, 512)));
            assertTrue(big.getMessage().contains("clCreateBuffer(4194304 bytes for opencl tensor")
                    && big.getMessage().contains(name), big.getMessage());
            assertEquals(status, big.status());
            // The output fails after the input was uploaded: the input is released again.
            ClStatus.ClException forward;
            try (PreparedConv conv = backend.prepare(spec, w, Epilogue.none())) {
                forward = assertThrows(ClStatus.ClException.class,
                        () -> conv.forward(Tensor.zeros(new Shape(1, 4, 300, 300))));
                assertTrue(forward.getMessage().contains(name), forward.getMessage());
                // Smaller requests on the same conv still work.
                LimitsTest.stillWorks(backend);
                try (DeviceTensor in = backend.upload(Tensor.zeros(new Shape(1, 4, 16, 16)));
                     DeviceTensor out = conv.forward(in)) {
                    assertEquals(new Shape(1, 8, 16, 16), out.shape());
                }
            }
            // Weights that do not fit: prepare fails and leaves nothing behind.
            ConvSpec wide = ConvSpec.full(256, 256, 3).build();
            ClStatus.ClException weights = assertThrows(ClStatus.ClException.class,
                    () -> backend.prepare(wide, new float[wide.weightCount()], Epilogue.bias(new float[256])));
            assertTrue(weights.getMessage().contains("weights of " + wide) && weights.getMessage().contains(name),
                    weights.getMessage());
            assertCounts(backend, buffers, kernels, prepared);
        }
        backend.injectFaults(FaultInjector.NONE);
        try (DeviceTensor t = backend.allocate(new Shape(1, 4, 512, 512))) {
            assertFalse(t.isClosed(), "the same size works once the device has room");
        }
        assertCounts(backend, buffers, kernels, prepared);
    }

    @Test
    void launchFailuresBecomeClearExceptionsAndTheNextLaunchWorks() {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        ConvSpec spec = ConvSpec.depthwise(3, 2, 3).padding(1).build();
        float[] w = new float[spec.weightCount()];
        for (int i = 0; i < w.length; i++) w[i] = i % 5 - 2;
        Tensor x = Tensor.of(new float[3 * 8 * 8], 1, 3, 8, 8);
        for (int i = 0; i < x.data().length; i++) x.data()[i] = i % 3;
        int buffers = backend.liveBufferCount(), kernels = backend.liveKernelCount(), prepared = backend.livePreparedCount();
        try (PreparedConv conv = backend.prepare(spec, w, Epilogue.none())) {
            Tensor good = conv.forward(x);
            for (int status : new int[] {CL_OUT_OF_RESOURCES, CL_MEM_OBJECT_ALLOCATION_FAILURE, CL_OUT_OF_HOST_MEMORY}) {
                AtomicInteger launches = new AtomicInteger();
                backend.injectFaults((call, bytes) -> call.equals("clEnqueueNDRangeKernel")
                        && launches.getAndIncrement() == 0 ? status : 0); // the next launch only
                ClStatus.ClException e = assertThrows(ClStatus.ClException.class, () -> conv.forward(x));
                String entryPoint = ((OpenClConv) conv).preparedPlan().descriptor().entryPoint(); // either family's
                assertTrue(e.getMessage().contains("clEnqueueNDRangeKernel(" + entryPoint + ")")
                        && e.getMessage().contains(ClStatus.name(status)), e.getMessage());
                assertEquals(good, conv.forward(x), "the launch after a failed one computes the same result");
                try (DeviceTensor in = backend.upload(x); DeviceTensor out = backend.allocate(conv.outputShape(x.shape()))) {
                    launches.set(0);
                    assertThrows(ClStatus.ClException.class, () -> conv.forwardTimed(in, out));
                    assertTrue(conv.forwardTimed(in, out) >= 0);
                    assertEquals(good, out.download());
                }
            }
        }
        assertCounts(backend, buffers, kernels, prepared);
    }

    private static final int CL_INVALID_COMMAND_QUEUE = -36;
    private static final int CL_INVALID_MEM_OBJECT = -38;
    private static final int CL_INVALID_PROGRAM = -44;

    /** Fails the {@code nth} (from 1) calls named {@code failing} with {@code status}; counts every call it is asked about. */
    private static final class FailNth implements FaultInjector {
        private final String failing;
        private final Set<Integer> nth;
        private final int status;
        private final Map<String, AtomicInteger> calls = new java.util.concurrent.ConcurrentHashMap<>();

        FailNth(String failing, int status, Integer... nth) {
            this.failing = failing;
            this.nth = Set.of(nth);
            this.status = status;
        }

        @Override
        public int statusFor(String call, long bytes) {
            int seen = calls.computeIfAbsent(call, c -> new AtomicInteger()).incrementAndGet();
            return call.equals(failing) && nth.contains(seen) ? status : 0;
        }

        int count(String call) {
            AtomicInteger n = calls.get(call);
            return n == null ? 0 : n.get();
        }
    }

    /** What each kind of prepared object owns: a spec whose buffers and kernels are released by its close. */
    private static final ConvSpec FULL = ConvSpec.full(4, 8, 3).padding(1).build();
    private static final SeparableBlock BLOCK = SeparableBlock.mobilenet(4, 8, 1);

    private static Map<String, java.util.function.Function<OpenClBackend, PreparedConv>> preparedKinds() {
        float[] w = new float[FULL.weightCount()];
        float[] bias = new float[FULL.outChannels()];
        Shape in = new Shape(1, 4, 8, 8);
        Map<String, java.util.function.Function<OpenClBackend, PreparedConv>> kinds = new java.util.LinkedHashMap<>();
        kinds.put("direct conv, bias", b -> b.prepare(FULL, w, Epilogue.bias(bias), Algorithm.DIRECT, in));
        kinds.put("winograd conv, bias and scratch", b -> b.prepare(FULL, w, Epilogue.bias(bias), Algorithm.WINOGRAD, in));
        kinds.put("fused block", b -> b.prepareBlock(BLOCK, new float[36], new float[32], BlockMode.FUSED, in));
        kinds.put("unfused block (two steps and the intermediate)",
                b -> b.prepareBlock(BLOCK, new float[36], new float[32], BlockMode.UNFUSED, in));
        return kinds;
    }

    @Test
    void aReleaseFailingInTheMiddleOfAPreparedCloseStillReleasesTheRest() {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        int buffers = backend.liveBufferCount(), kernels = backend.liveKernelCount(), prepared = backend.livePreparedCount();
        for (var kind : preparedKinds().entrySet()) {
            PreparedConv conv = kind.getValue().apply(backend);
            int owned = backend.liveBufferCount() - buffers;
            assertTrue(owned >= 2 && backend.liveKernelCount() > kernels, kind.getKey() + " owns " + owned + " buffers");
            for (int failing = 1; failing <= owned; failing++) {
                if (failing > 1) conv = kind.getValue().apply(backend);
                FailNth faults = new FailNth("clReleaseMemObject", CL_INVALID_MEM_OBJECT, failing);
                backend.injectFaults(faults);
                PreparedConv closing = conv;
                ClStatus.ClException e = assertThrows(ClStatus.ClException.class, closing::close, kind.getKey());
                backend.injectFaults(FaultInjector.NONE);
                assertEquals(CL_INVALID_MEM_OBJECT, e.status());
                assertTrue(e.getMessage().contains("clReleaseMemObject(") && e.getMessage().contains("CL_INVALID_MEM_OBJECT"),
                        e.getMessage());
                assertEquals(owned, faults.count("clReleaseMemObject"),
                        kind.getKey() + ", release " + failing + " failing: every buffer's release was made");
                assertCounts(backend, buffers, kernels, prepared);
                closing.close(); // idempotent: nothing is released twice, nothing thrown
                assertThrows(IllegalStateException.class, () -> closing.forward(Tensor.zeros(new Shape(1, 4, 8, 8))));
            }
        }
        // A tensor whose release fails is closed and untracked all the same.
        DeviceTensor t = backend.allocate(new Shape(1, 1, 4, 4));
        backend.injectFaults(new FailNth("clReleaseMemObject", CL_INVALID_MEM_OBJECT, 1));
        assertThrows(ClStatus.ClException.class, t::close);
        backend.injectFaults(FaultInjector.NONE);
        assertTrue(t.isClosed());
        assertCounts(backend, buffers, kernels, prepared);
        LimitsTest.stillWorks(backend);
    }

    @Test
    void closingTheBackendReleasesEverythingWhenReleasesFailInTheMiddle() {
        TestBackends.opencl(); // fails (strict) or aborts without a device
        OpenClBackend backend = (OpenClBackend) new OpenClBackendProvider().open(TestBackends.opencl().device());
        for (var kind : preparedKinds().values()) kind.apply(backend);
        backend.upload(Tensor.zeros(new Shape(1, 4, 8, 8)));
        backend.allocate(new Shape(1, 8, 8, 8));
        int buffers = backend.liveBufferCount(), programs = backend.liveProgramCount();
        assertTrue(buffers > 10 && programs > 2 && backend.liveKernelCount() > 4 && backend.livePreparedCount() > 3,
                buffers + " buffers, " + programs + " programs");
        // the 3rd buffer release fails (closing a prepared convolution), the last but one (closing the tensors), the
        // 2nd program release and the queue's release
        FaultInjector buffer = new FailNth("clReleaseMemObject", CL_INVALID_MEM_OBJECT, 3, buffers - 1);
        FaultInjector program = new FailNth("clReleaseProgram", CL_INVALID_PROGRAM, 2);
        FailNth all = new FailNth("", 0);
        backend.injectFaults((call, bytes) -> {
            all.statusFor(call, bytes);
            int status = buffer.statusFor(call, bytes);
            if (status == 0) status = program.statusFor(call, bytes);
            return status != 0 ? status : call.equals("clReleaseCommandQueue") ? CL_INVALID_COMMAND_QUEUE : 0;
        });

        ClStatus.ClException e = assertThrows(ClStatus.ClException.class, backend::close);
        assertEquals(CL_INVALID_MEM_OBJECT, e.status(), "the first failure is thrown");
        assertEquals(List.of(CL_INVALID_MEM_OBJECT, CL_INVALID_PROGRAM, CL_INVALID_COMMAND_QUEUE),
                java.util.Arrays.stream(e.getSuppressed()).map(s -> ((ClStatus.ClException) s).status()).toList(),
                "the later failures are suppressed in it, in order");
        assertEquals(buffers, all.count("clReleaseMemObject"), "every buffer's release was made");
        assertEquals(programs, all.count("clReleaseProgram"), "every program's release was made");
        assertEquals(1, all.count("clReleaseContext"), "the context was released after the failures");
        assertTrue(backend.isClosed());
        assertEquals(0, backend.liveBufferCount());
        assertEquals(0, backend.liveKernelCount());
        assertEquals(0, backend.liveProgramCount());
        assertEquals(0, backend.livePreparedCount());
        backend.close(); // idempotent
    }

    @Test
    void aLaunchFailingAnywhereInATuneRunLeaksNoPreparedConvolutionOrTensor() {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        Tuner tuner = new Tuner(backend, new Tuner.Options(1, 2, 0.05, 2));
        List<Tuner.Layer> layers = List.of(new Tuner.Layer("pw", ConvSpec.pointwise(16, 24), new Shape(1, 16, 9, 11)));
        int buffers = backend.liveBufferCount(), kernels = backend.liveKernelCount(), prepared = backend.livePreparedCount();
        FailNth counting = new FailNth("", 0);
        backend.injectFaults(counting);
        tuner.tune(layers, line -> {});
        int launches = counting.count("clEnqueueNDRangeKernel");
        assertTrue(launches > 6, launches + " launches"); // references, candidate checks, warm-up and timed runs
        assertCounts(backend, buffers, kernels, prepared);
        // the first launch (the defaults' reference run), one in the middle, the last (a timed run)
        for (int failing : new int[] {1, launches / 2, launches}) {
            backend.injectFaults(new FailNth("clEnqueueNDRangeKernel", CL_OUT_OF_RESOURCES, failing));
            try {
                tuner.tune(layers, line -> {});
                assertTrue(failing != 1 && failing != launches, "launch " + failing + " of " + launches + " failed unseen");
            } catch (ClStatus.ClException e) {
                assertEquals(CL_OUT_OF_RESOURCES, e.status());
            } finally {
                backend.injectFaults(FaultInjector.NONE);
            }
            assertCounts(backend, buffers, kernels, prepared);
        }
    }

    private static void assertCounts(OpenClBackend backend, int buffers, int kernels, int prepared) {
        assertEquals(buffers, backend.liveBufferCount(), "live buffers");
        assertEquals(kernels, backend.liveKernelCount(), "live kernels");
        assertEquals(prepared, backend.livePreparedCount(), "live prepared convolutions");
    }
}
