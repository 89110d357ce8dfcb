package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.convcl.Backend;
import org.convcl.BlockMode;
import org.convcl.ConvSpec;
import org.convcl.DeviceInfo;
import org.convcl.DeviceTensor;
import org.convcl.Epilogue;
import org.convcl.PreparedBlock;
import org.convcl.Reference;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorAssert;
import org.convcl.TestBackends;
import org.convcl.cpu.CpuBackendProvider;
import org.convcl.plan.Algorithm;
import org.convcl.plan.DeviceFacts;
import org.convcl.plan.DsBlockDescriptor;
import org.convcl.plan.Planner;
import org.convcl.plan.TuningTable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Sizes beyond what an {@code int} indexes or the device can allocate are refused with a message naming the
 * size and the limit, before anything is allocated (the live-buffer count does not move). Nothing is split
 * into pieces: a caller gets the error and chooses smaller batches or tiles. The device's limits are lowered
 * through {@link OpenClBackendProvider#open(DeviceInfo, java.util.function.UnaryOperator)} (and the CPU
 * provider's device), so every refusal happens on any device, PoCL's large allocation limit included.
 */
class LimitsTest {
    /** The largest element count a {@link Shape} accepts. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    static OpenClBackend opencl() {
        return (OpenClBackend) TestBackends.opencl();
    }

    @Test
    void elementCountsAndWeightCountsBeyondIntAreRefusedByTheTypesThemselves() {
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> new Shape(2, 1024, 1024, 1024));
        assertTrue(shape.getMessage().contains("2147483648 elements") && shape.getMessage().contains(
                String.valueOf(MAX_ELEMENTS)), shape.getMessage());
        // The largest shape is fine, and its byte size is computed without int overflow.
        Shape largest = new Shape(1, 1, 1, (int) MAX_ELEMENTS);
        assertEquals(4 * MAX_ELEMENTS, largest.bytes());
        IllegalArgumentException weights = assertThrows(IllegalArgumentException.class,
                () -> ConvSpec.full(46341, 46341, 1).build());
        assertTrue(weights.getMessage().contains("weight count 2147488281"), weights.getMessage());
    }

    /** The limits every refusal below is driven with: small enough that each can happen on any device. */
    static final long SMALL_ALLOC = 1 << 20, SMALL_GLOBAL = 8 << 20, SMALL_LOCAL = 1 << 10, SMALL_GROUP = 16;

    /** {@code d} with its work-group, global memory, allocation and local memory limits replaced. */
    static DeviceInfo withLimits(DeviceInfo d, long maxWorkGroupSize, long globalMemBytes, long maxAllocBytes,
                                 long localMemBytes) {
        return new DeviceInfo(d.backend(), d.id(), d.platformName(), d.name(), d.type(), d.vendor(), d.driverVersion(),
                d.openclVersion(), d.computeUnits(), d.maxClockMHz(), maxWorkGroupSize, globalMemBytes, maxAllocBytes,
                localMemBytes);
    }

    private static OpenClBackend small;

    /** The OpenCL device opened with the small limits (a backend of its own, closed after the class). */
    static synchronized OpenClBackend small() {
        if (small == null) {
            small = new OpenClBackendProvider().open(opencl().device(),
                    d -> withLimits(d, SMALL_GROUP, SMALL_GLOBAL, SMALL_ALLOC, SMALL_LOCAL));
        }
        return small;
    }

    @AfterAll
    static synchronized void closeSmall() {
        if (small != null) small.close();
        small = null;
    }

    @Test
    void theSmallLimitsAreTheOnesTheBackendPlansAndChecksWith() {
        OpenClBackend backend = small();
        assertEquals(SMALL_ALLOC, backend.device().maxAllocBytes());
        assertEquals(SMALL_GROUP, backend.facts().maxWorkGroupSize());
        assertEquals(SMALL_LOCAL, backend.facts().localMemBytes());
        // the plans it makes fit the small work-group limit, and they compute what the reference does
        for (ConvSpec spec : List.of(ConvSpec.pointwise(16, 24), ConvSpec.depthwise(8, 1, 3).padding(1).build(),
                ConvSpec.full(4, 8, 3).padding(1).build())) {
            long[] local = Planner.plan(spec, new Shape(1, spec.inChannels(), 20, 20), backend.facts()).local();
            assertTrue(local[0] * local[1] * local[2] <= SMALL_GROUP, spec + ": local size " + Arrays.toString(local));
        }
        stillWorks(backend);
    }

    @Test
    void tensorsBeyondTheDevicesMaxAllocationAreRefusedBeforeAllocating() {
        OpenClBackend backend = small();
        long maxAlloc = backend.device().maxAllocBytes();
        long count = maxAlloc / 4 + 1; // one element more than fits
        Shape shape = new Shape(1, 1, 1, (int) count);
        int buffersBefore = backend.liveBufferCount();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend.allocate(shape));
        assertTrue(e.getMessage().contains(4 * count + " bytes") && e.getMessage().contains(
                "CL_DEVICE_MAX_MEM_ALLOC_SIZE " + maxAlloc), e.getMessage());
        IllegalArgumentException upload = assertThrows(IllegalArgumentException.class,
                () -> backend.upload(Tensor.zeros(shape)));
        assertEquals(e.getMessage().replaceAll("#\\d+", "#"), upload.getMessage().replaceAll("#\\d+", "#"));
        assertEquals(buffersBefore, backend.liveBufferCount(), "nothing was allocated");
        try (DeviceTensor largest = backend.allocate(new Shape(1, 1, 1, (int) (maxAlloc / 4)))) {
            assertEquals(maxAlloc, largest.shape().bytes(), "the limit itself is allowed");
        }
        stillWorks(backend);
    }

    @Test
    void weightsBeyondTheDevicesMaxAllocationAreRefusedBeforeFoldingOrAllocating() {
        OpenClBackend backend = small();
        long maxAlloc = backend.device().maxAllocBytes();
        // c·c·9 weights of 4 bytes just above the limit
        int c = (int) Math.ceil(Math.sqrt(maxAlloc / 36.0 + 1));
        ConvSpec spec = ConvSpec.full(c, c, 3).build();
        assertTrue(4L * spec.weightCount() > maxAlloc, spec.toString());
        int buffersBefore = backend.liveBufferCount(), preparedBefore = backend.livePreparedCount();
        // A one-element array: the size check comes before the weights are looked at or copied.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.prepare(spec, new float[1], Epilogue.none()));
        assertTrue(e.getMessage().contains("weights of " + spec) && e.getMessage().contains(4L * spec.weightCount()
                + " bytes") && e.getMessage().contains("CL_DEVICE_MAX_MEM_ALLOC_SIZE " + maxAlloc), e.getMessage());
        assertEquals(buffersBefore, backend.liveBufferCount());
        assertEquals(preparedBefore, backend.livePreparedCount());
        stillWorks(backend);
    }

    @Test
    void localSizesBeyondTheDevicesWorkGroupLimitAreRefusedBeforeEnqueueing() {
        OpenClBackend backend = small();
        ConvSpec spec = ConvSpec.pointwise(2, 2);
        try (ClKernel kernel = pointwiseKernel(backend, spec)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.launcher().validate(kernel, new long[] {64, 1, 1}, new long[] {2 * SMALL_GROUP, 1, 1}));
            assertTrue(e.getMessage().contains("(" + 2 * SMALL_GROUP + " work-items) exceeds CL_DEVICE_MAX_WORK_GROUP_SIZE "
                    + SMALL_GROUP), e.getMessage());
            backend.launcher().validate(kernel, new long[] {64, 1, 1}, new long[] {SMALL_GROUP, 1, 1}); // the limit fits
        }
        stillWorks(backend);
    }

    @Test
    void aFusedBlockWhoseTileExceedsTheLocalMemoryIsRefusedOrRunsUnfused() {
        OpenClBackend backend = small();
        SeparableBlock block = SeparableBlock.mobilenet(64, 64, 1); // 64 intermediate channels: 256 bytes a pixel
        DeviceFacts f = backend.facts();
        assertNotNull(DsBlockDescriptor.tiling(block, new DeviceFacts(f.type(), f.computeUnits(), f.maxWorkGroupSize(),
                f.maxWorkItemSizes(), 64 << 10, f.deviceKey())), "only the local memory keeps the block from fusing");
        float[] dw = new float[block.midChannels() * 9], pw = new float[block.outChannels() * block.midChannels()];
        int buffers = backend.liveBufferCount(), kernels = backend.liveKernelCount(), prepared = backend.livePreparedCount();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.prepareBlock(block, dw, pw, BlockMode.FUSED, null));
        assertTrue(e.getMessage().contains("FUSED") && namesTheLocalMemoryMisfit(e.getMessage()), e.getMessage());
        assertEquals(buffers, backend.liveBufferCount());
        assertEquals(kernels, backend.liveKernelCount());
        assertEquals(prepared, backend.livePreparedCount());
        try (PreparedBlock auto = backend.prepareBlock(block, dw, pw, BlockMode.AUTO, null)) {
            assertEquals(BlockMode.UNFUSED, auto.mode());
            assertTrue(namesTheLocalMemoryMisfit(auto.plan()), auto.plan());
        }
        stillWorks(backend);
    }

    /** The CPU family's block kernel's reason, or the GPU family's (CONVCL_KERNELS=gpu): each names the misfit. */
    private static boolean namesTheLocalMemoryMisfit(String reason) {
        return reason.contains("does not fit the device") || reason.contains("bytes of local memory, the device has");
    }

    @Test
    void cpuTensorsBeyondTheHeapAreRefusedBeforeAllocating() {
        DeviceInfo heap = TestBackends.cpu().device();
        try (Backend cpu = new CpuBackendProvider().open(withLimits(heap, heap.maxWorkGroupSize(), SMALL_GLOBAL,
                SMALL_ALLOC, heap.localMemBytes()))) {
            long maxAlloc = cpu.device().maxAllocBytes();
            assertEquals(SMALL_ALLOC, maxAlloc);
            Shape shape = new Shape(1, 1, 1, (int) (maxAlloc / 4 + 1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.allocate(shape));
            assertTrue(e.getMessage().contains(shape.bytes() + " bytes") && e.getMessage().contains(String.valueOf(maxAlloc)),
                    e.getMessage());
            stillWorks(cpu);
        }
    }

    private static ClKernel pointwiseKernel(OpenClBackend backend, ConvSpec spec) {
        var program = backend.library().program(Algorithm.POINTWISE.kernelFile(),
                KernelLibrary.merge(Planner.plan(spec, null, backend.facts(), TuningTable.EMPTY, Algorithm.POINTWISE).defines(),
                        OpenClConv.epilogueDefines(Epilogue.none().fold(spec, new float[spec.weightCount()]))));
        return new ClKernel(program, Algorithm.POINTWISE.entryPoint(), backend.deviceId(), backend.kernelCounter());
    }

    @Test
    void globalSizesBeyondIntAreRefusedBeforeEnqueueing() {
        OpenClBackend backend = opencl();
        try (ClKernel kernel = pointwiseKernel(backend, ConvSpec.pointwise(2, 2))) {
            long[] local = {16, 1, 1};
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> backend.launcher().validate(kernel, new long[] {Integer.MAX_VALUE, 1, 1}, local));
            assertTrue(e.getMessage().contains("rounded up to [2147483648, 1, 1]")
                    && e.getMessage().contains("dimension 0"), e.getMessage());
            // The largest multiple of the local size that is still an int is accepted.
            backend.launcher().validate(kernel, new long[] {Integer.MAX_VALUE - 15, 1, 1}, local);
        }
        stillWorks(backend);
    }

    static void stillWorks(Backend backend) {
        ConvSpec spec = ConvSpec.full(2, 3, 3).padding(1).build();
        float[] w = new float[spec.weightCount()];
        for (int i = 0; i < w.length; i++) w[i] = (i % 7 - 3) / 4f;
        Tensor x = Tensor.of(new float[2 * 6 * 5], 1, 2, 6, 5);
        for (int i = 0; i < x.data().length; i++) x.data()[i] = (i % 5 - 2) / 3f;
        TensorAssert.assertClose(Reference.conv2d(x, spec, w, Epilogue.none()), backend.conv2d(x, spec, w, Epilogue.none()),
                spec.reductionLength(), "a small conv after a refused request on " + backend.device().id());
    }
}
