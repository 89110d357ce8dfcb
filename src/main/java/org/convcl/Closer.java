package org.convcl;

/**
 * Releases several things so that one failing release does not stop the others: every step runs, the first failure
 * is kept, later ones are added to it as suppressed, and {@link #finish()} throws it once all steps have run. The
 * owners of native resources use it in their {@code close()}.
 *
 * <pre>{@code
 * Closer closer = new Closer();
 * closer.close(first);
 * closer.close(second);
 * closer.run(() -> releaseContext());
 * closer.finish(); // throws the first failure, if any, with the later ones suppressed
 * }</pre>
 *
 * <p>Not thread-safe: one owner's {@code close()} uses one instance.
 */
public final class Closer {
    private Throwable failure;

    /** A release step that may fail. */
    @FunctionalInterface
    public interface Step {
        /**
         * Releases something.
         *
         * @throws Exception when the release fails
         */
        void run() throws Exception;
    }

    /**
     * Runs {@code step}; a failure is kept for {@link #finish()} instead of being thrown.
     *
     * @param step the release to run
     * @return this, for chaining
     */
    public Closer run(Step step) {
        try {
            step.run();
        } catch (Throwable t) {
            keep(t);
        }
        return this;
    }

    /**
     * Records a failure that happened before the releases (the owner's own work), so that it is the one
     * {@link #finish()} throws and release failures are suppressed in it.
     *
     * @param primary the failure to throw first
     * @return this, for chaining
     */
    public Closer keep(Throwable primary) {
        if (primary == null) throw new IllegalArgumentException("primary must not be null");
        if (failure == null) failure = primary;
        else if (failure != primary) failure.addSuppressed(primary);
        return this;
    }

    /**
     * Closes {@code resource} when it is not null; a failure is kept for {@link #finish()}.
     *
     * @param resource what to close, or null
     * @return this, for chaining
     */
    public Closer close(AutoCloseable resource) {
        return resource == null ? this : run(resource::close);
    }

    /**
     * Closes each of {@code resources} that is not null, in order; failures are kept for {@link #finish()}.
     *
     * @param resources what to close
     * @return this, for chaining
     */
    public Closer closeAll(Iterable<? extends AutoCloseable> resources) {
        for (AutoCloseable r : resources) close(r);
        return this;
    }

    /**
     * Throws the first failure of the steps run so far, the later ones suppressed in it: a {@link RuntimeException}
     * or an {@link Error} as it is, a checked exception wrapped in an {@link IllegalStateException}. Returns normally
     * when every step succeeded.
     */
    public void finish() {
        Throwable t = failure;
        if (t == null) return;
        failure = null;
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException("a release failed: " + t, t);
    }
}
