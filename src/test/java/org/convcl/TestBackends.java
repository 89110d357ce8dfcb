package org.convcl;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * The backends tests run on, opened once per test JVM and shared (PoCL compiles each program once).
 *
 * <p>With {@code -Dconvcl.strict=true} (CI) a missing OpenCL device fails the test that asks for it;
 * otherwise the test is aborted (reported as skipped, with the reason), never silently passed.
 */
public final class TestBackends {
    private static Backend cpu;
    private static Backend opencl;
    private static RuntimeException openclFailure;

    private TestBackends() {}

    /** True when tests must fail rather than skip for want of an OpenCL device. */
    public static boolean strict() {
        return Boolean.getBoolean("convcl.strict");
    }

    public static synchronized Backend cpu() {
        if (cpu == null) cpu = Backends.cpu();
        return cpu;
    }

    /** The shared OpenCL backend; fails (strict) or aborts the calling test when there is none. */
    public static synchronized Backend opencl() {
        if (opencl == null && openclFailure == null) {
            try {
                opencl = Backends.open(new Backends.Selection(Backends.Mode.OPENCL, null, true));
            } catch (RuntimeException e) {
                openclFailure = e;
            }
        }
        if (opencl != null) return opencl;
        if (strict()) throw new AssertionError("convcl.strict=true but no OpenCL device: " + openclFailure.getMessage(), openclFailure);
        Assumptions.abort("no OpenCL device (" + openclFailure.getMessage() + ")");
        return null;
    }

    /** Every backend to test: the CPU one and, when present (always, in strict mode), the OpenCL one. */
    public static synchronized List<Backend> all() {
        List<Backend> list = new ArrayList<>();
        list.add(cpu());
        if (strict()) {
            list.add(opencl());
        } else {
            try {
                list.add(opencl());
            } catch (org.opentest4j.TestAbortedException e) {
                System.err.println("[convcl tests] OpenCL backend not tested: " + e.getMessage());
            }
        }
        return list;
    }
}
