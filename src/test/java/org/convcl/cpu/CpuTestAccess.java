package org.convcl.cpu;

import org.convcl.Backend;

/** Gives tests in other packages CPU backends whose kernels take a forced SIMD path. */
public final class CpuTestAccess {
    private CpuTestAccess() {}

    /** The SIMD paths a test can force. */
    public enum Path { VECTOR_API, AUTO_VECTORIZED }

    /** True when this JVM has {@code jdk.incubator.vector} and the Vector API path loaded. */
    public static boolean vectorApiAvailable() {
        return Simd.vectorOrNull() != null;
    }

    /** True when the backend's preferred path (the one {@link org.convcl.Backends#cpu()} uses) is the Vector API. */
    public static boolean preferredIsVectorApi() {
        return Simd.preferred() != Simd.scalar();
    }

    /** A new CPU backend whose kernels all take {@code path}; fails when that path is not available here. */
    public static Backend open(Path path) {
        Simd simd = switch (path) {
            case AUTO_VECTORIZED -> Simd.scalar();
            case VECTOR_API -> {
                Simd v = Simd.vectorOrNull();
                if (v == null) throw new IllegalStateException("the Vector API path needs " + Simd.VECTOR_FLAG);
                yield v;
            }
        };
        return new CpuBackend(CpuBackendProvider.device(simd), simd);
    }
}
