package org.convcl;

/** Gives tests in other packages the package-private test seams of {@link Backends}. */
public final class BackendsTestAccess {
    private BackendsTestAccess() {}

    /** The next CPU fallback logs its WARN again, so a test can count it. */
    public static void resetFallbackWarning() {
        Backends.resetFallbackWarning();
    }
}
