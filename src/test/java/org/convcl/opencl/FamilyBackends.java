package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.convcl.TestBackends;
import org.convcl.plan.KernelFamily;

/**
 * Opens an OpenCL backend of its own (its own context) on the tests' device with a kernel family forced
 * ({@link OpenClBackendProvider#open(org.convcl.DeviceInfo, KernelFamily)}): for tests that check one family whatever
 * the device type, or that need a fresh context. The caller closes it.
 */
final class FamilyBackends {
    private FamilyBackends() {}

    /** A new backend on the tests' OpenCL device with {@code family} forced; fails (strict) or aborts without a device. */
    static OpenClBackend open(KernelFamily family) {
        OpenClBackend shared = (OpenClBackend) TestBackends.opencl(); // fails (strict) or aborts without an OpenCL device
        OpenClBackend backend = new OpenClBackendProvider().open(shared.device(), family);
        assertEquals(family, backend.facts().family(), "the kernel family was not forced");
        return backend;
    }
}
