package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import org.convcl.Backends;
import org.convcl.TestBackends;
import org.convcl.plan.KernelFamily;

/**
 * Opens an OpenCL backend of its own (its own context) on the tests' device with a kernel family forced through the
 * {@code convcl.kernels} setting, which a backend reads when it opens: for tests that check one family whatever the
 * device type, or that need a fresh context. The caller closes it.
 */
final class FamilyBackends {
    private FamilyBackends() {}

    /** A new backend on the tests' OpenCL device with {@code family} forced; fails (strict) or aborts without a device. */
    static synchronized OpenClBackend open(KernelFamily family) {
        TestBackends.opencl(); // fails (strict) or aborts the calling test when there is no OpenCL device
        String before = System.getProperty("convcl.kernels");
        System.setProperty("convcl.kernels", family.name().toLowerCase(Locale.ROOT));
        try {
            OpenClBackend backend = (OpenClBackend) Backends.open(new Backends.Selection(Backends.Mode.OPENCL, null, true));
            assertEquals(family, backend.facts().family(), "convcl.kernels did not force the kernel family");
            return backend;
        } finally {
            if (before == null) System.clearProperty("convcl.kernels");
            else System.setProperty("convcl.kernels", before);
        }
    }
}
