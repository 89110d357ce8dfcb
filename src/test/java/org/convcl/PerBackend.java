package org.convcl;

import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;

/**
 * Builds dynamic tests that run a set of cases on every backend in {@link TestBackends#all()}. When the
 * OpenCL backend is absent (non-strict runs only) one extra test per factory calls {@link TestBackends#opencl()},
 * which aborts, so the missing backend is reported as skipped rather than passing unnoticed.
 */
final class PerBackend {
    private PerBackend() {}

    /** One test per (backend, case), named {@code "<device id> <case name>"}, plus the visible OpenCL skip. */
    static <C> Stream<DynamicTest> tests(List<C> cases, Function<C, String> name, CaseCheck<C> check) {
        List<Backend> backends = TestBackends.all();
        Stream<DynamicTest> tests = backends.stream().flatMap(backend -> cases.stream().map(c -> DynamicTest.dynamicTest(
                backend.device().id() + " " + name.apply(c), () -> check.run(backend, c))));
        boolean hasOpenCl = backends.stream().anyMatch(b -> b.device().backend() == DeviceInfo.BackendKind.OPENCL);
        if (hasOpenCl) return tests;
        return Stream.concat(tests, Stream.of(DynamicTest.dynamicTest("opencl: " + cases.size() + " cases",
                TestBackends::opencl)));
    }

    /** A check of one case on one backend. */
    @FunctionalInterface
    interface CaseCheck<C> {
        void run(Backend backend, C c) throws Throwable;
    }
}
