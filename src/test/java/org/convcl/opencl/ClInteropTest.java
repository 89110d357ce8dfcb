package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convcl.Backend;
import org.convcl.DeviceTensor;
import org.convcl.Shape;
import org.convcl.TestBackends;
import org.junit.jupiter.api.Test;

/** The handles another OpenCL library gets: the backend's own queue and buffers, refused for others and when closed. */
class ClInteropTest {
    @Test
    void handsOutTheBackendsQueueAndATensorsBufferWhileOpen() {
        Backend opencl = TestBackends.opencl();
        assertTrue(ClInterop.isOpenCl(opencl));
        assertSame(((OpenClBackend) opencl).queue(), ClInterop.queue(opencl));
        DeviceTensor t = opencl.allocate(new Shape(1, 2, 3, 4));
        assertNotNull(ClInterop.buffer(t));
        t.close();
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> ClInterop.buffer(t));
        assertTrue(closed.getMessage().contains("is closed"), closed.getMessage());
    }

    @Test
    void refusesTheCpuBackendNamingIt() {
        Backend cpu = TestBackends.cpu();
        assertFalse(ClInterop.isOpenCl(cpu));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClInterop.queue(cpu));
        assertTrue(e.getMessage().contains("an OpenCL backend is needed, got cpu cpu"), e.getMessage());
        try (DeviceTensor t = cpu.allocate(new Shape(1, 1, 1, 1))) {
            assertThrows(IllegalArgumentException.class, () -> ClInterop.buffer(t));
        }
    }
}
