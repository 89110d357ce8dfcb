package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convcl.Backend;
import org.convcl.ConvSpec;
import org.convcl.Epilogue;
import org.convcl.Reference;
import org.convcl.Shape;
import org.convcl.Tensor;
import org.convcl.TensorAssert;
import org.convcl.TestBackends;
import org.convcl.plan.Algorithm;
import org.convcl.plan.Planner;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Sizes beyond what an {@code int} indexes or the device can allocate are refused with a message naming the
 * size and the limit, before anything is allocated (the live-buffer count does not move). Nothing is split
 * into pieces: a caller gets the error and chooses smaller batches or tiles.
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

    @Test
    void tensorsBeyondTheDevicesMaxAllocationAreRefusedBeforeAllocating() {
        OpenClBackend backend = opencl();
        long maxAlloc = backend.device().maxAllocBytes();
        long count = maxAlloc / 4 + 1; // one element more than fits
        Assumptions.assumeTrue(count <= MAX_ELEMENTS, "CL_DEVICE_MAX_MEM_ALLOC_SIZE " + maxAlloc
                + " holds every Shape; nothing to refuse on " + backend.device().describe());
        Shape shape = new Shape(1, 1, 1, (int) count);
        int buffersBefore = backend.liveBufferCount();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend.allocate(shape));
        assertTrue(e.getMessage().contains(4 * count + " bytes") && e.getMessage().contains(
                "CL_DEVICE_MAX_MEM_ALLOC_SIZE " + maxAlloc), e.getMessage());
        assertEquals(buffersBefore, backend.liveBufferCount(), "nothing was allocated");
        stillWorks(backend);
    }

    @Test
    void weightsBeyondTheDevicesMaxAllocationAreRefusedBeforeFoldingOrAllocating() {
        OpenClBackend backend = opencl();
        long maxAlloc = backend.device().maxAllocBytes();
        // c·c·9 weights of 4 bytes just above the limit, with c·c·9 still an int.
        int c = (int) Math.ceil(Math.sqrt(maxAlloc / 36.0 + 1));
        Assumptions.assumeTrue((long) c * c * 9 <= Integer.MAX_VALUE, "CL_DEVICE_MAX_MEM_ALLOC_SIZE " + maxAlloc
                + " holds every weight tensor; nothing to refuse on " + backend.device().describe());
        ConvSpec spec = ConvSpec.full(c, c, 3).build();
        int buffersBefore = backend.liveBufferCount();
        // A one-element array: the size check comes before the weights are looked at or copied.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.prepare(spec, new float[1], Epilogue.none()));
        assertTrue(e.getMessage().contains("weights of " + spec) && e.getMessage().contains(4L * spec.weightCount()
                + " bytes") && e.getMessage().contains("CL_DEVICE_MAX_MEM_ALLOC_SIZE"), e.getMessage());
        assertEquals(buffersBefore, backend.liveBufferCount());
        stillWorks(backend);
    }

    @Test
    void cpuTensorsBeyondTheHeapAreRefusedBeforeAllocating() {
        Backend cpu = TestBackends.cpu();
        long maxAlloc = cpu.device().maxAllocBytes();
        Assumptions.assumeTrue(maxAlloc / 4 + 1 <= MAX_ELEMENTS, "the heap (" + maxAlloc + " bytes) holds every Shape");
        Shape shape = new Shape(1, 1, 1, (int) (maxAlloc / 4 + 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.allocate(shape));
        assertTrue(e.getMessage().contains(shape.bytes() + " bytes") && e.getMessage().contains(String.valueOf(maxAlloc)),
                e.getMessage());
        stillWorks(cpu);
    }

    @Test
    void globalSizesBeyondIntAreRefusedBeforeEnqueueing() {
        OpenClBackend backend = opencl();
        ConvSpec spec = ConvSpec.pointwise(2, 2);
        var program = backend.library().program(Algorithm.POINTWISE.kernelFile(),
                KernelLibrary.merge(Planner.plan(spec, null, backend.facts()).defines(),
                        OpenClConv.epilogueDefines(Epilogue.none().fold(spec, new float[4]))));
        try (ClKernel kernel = new ClKernel(program, Algorithm.POINTWISE.entryPoint(), backend.deviceId(),
                backend.kernelCounter())) {
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
