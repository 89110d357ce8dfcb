package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.convcl.BlockMode;
import org.convcl.PreparedBlock;
import org.convcl.SeparableBlock;
import org.convcl.Tensor;
import org.convcl.TestBackends;
import org.junit.jupiter.api.Test;

/** A fused block owns one kernel and its weight buffers; closing it, or the backend, releases them. */
class FusedBlockLifecycleTest {
    private static final SeparableBlock BLOCK = SeparableBlock.mobilenet(4, 8, 1);

    @Test
    void closingTheBlockReleasesKernelAndBuffers() {
        OpenClBackend backend = (OpenClBackend) TestBackends.opencl();
        int kernels = backend.liveKernelCount(), buffers = backend.liveBufferCount(), prepared = backend.livePreparedCount();
        PreparedBlock block = backend.prepareBlock(BLOCK, new float[36], new float[32], BlockMode.FUSED);
        assertEquals(kernels + 1, backend.liveKernelCount());
        assertEquals(buffers + 3, backend.liveBufferCount(), "depthwise weights and bias, pointwise weights (no bias)");
        assertEquals(prepared + 1, backend.livePreparedCount());
        block.close();
        block.close(); // idempotent
        assertEquals(kernels, backend.liveKernelCount());
        assertEquals(buffers, backend.liveBufferCount());
        assertEquals(prepared, backend.livePreparedCount());
        assertThrows(IllegalStateException.class, () -> block.forward(Tensor.zeros(new org.convcl.Shape(1, 4, 3, 3))));
    }

    @Test
    void closingTheBackendClosesOpenBlocks() {
        TestBackends.opencl(); // fails (strict) or aborts without a device
        OpenClBackend backend = (OpenClBackend) new OpenClBackendProvider().open(TestBackends.opencl().device());
        backend.prepareBlock(BLOCK, new float[36], new float[32], BlockMode.FUSED);
        backend.prepareBlock(BLOCK, new float[36], new float[32], BlockMode.UNFUSED);
        backend.close();
        assertEquals(0, backend.liveKernelCount());
        assertEquals(0, backend.liveBufferCount());
        assertEquals(0, backend.livePreparedCount());
    }
}
