package org.convcl.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * The one thread pool shared by every CPU backend: a {@link ForkJoinPool} sized to the available
 * processors, whose worker threads are daemons (they never keep the JVM alive). Work submitted from
 * several caller threads at once is interleaved; a caller that is itself a worker helps instead of blocking.
 */
final class CpuPool {
    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, Runtime.getRuntime().availableProcessors()),
            pool -> {
                var thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                thread.setDaemon(true);
                thread.setName("convcl-cpu-" + thread.getPoolIndex());
                return thread;
            }, null, false);

    private CpuPool() {}

    /** Number of worker threads. */
    static int parallelism() {
        return POOL.getParallelism();
    }

    /** Runs {@code body} for every index in {@code [0, count)}, in parallel, and returns when all are done. */
    static void parallelFor(int count, IntConsumer body) {
        if (count <= 0) return;
        if (count == 1 || POOL.getParallelism() == 1) {
            for (int i = 0; i < count; i++) body.accept(i);
            return;
        }
        POOL.invoke(new Range(0, count, body));
    }

    /**
     * Runs {@code body} on {@code tasks} contiguous ranges that together cover {@code [0, count)} (sizes differing by
     * at most one), in parallel; a task may reuse scratch memory across the units of its range.
     */
    static void parallelRanges(int count, int tasks, RangeBody body) {
        if (count <= 0) return;
        int t = Math.max(1, Math.min(tasks, count));
        parallelFor(t, i -> body.run((int) ((long) count * i / t), (int) ((long) count * (i + 1) / t)));
    }

    /** The scratch arrays a task may hold at once: a packed block or band buffer, and phase-split input rows. */
    static final int BLOCK_SCRATCH = 0, ROWS_SCRATCH = 1;

    /** Each worker's reusable scratch arrays, one per slot, grown on demand. */
    private static final ThreadLocal<float[][]> WORKER_SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    /**
     * At least {@code floats} floats of scratch with unspecified contents, for slot {@link #BLOCK_SCRATCH} or
     * {@link #ROWS_SCRATCH}: the calling worker's own array, reused by every task it runs (one at a time; a task
     * never waits for another), so large buffers are not allocated per task (under load such allocations stalled
     * pointwise layers from 0.8 to 5–12 ms); a new array when the caller is not one of this pool's workers.
     */
    static float[] workerScratch(int slot, int floats) {
        if (!(Thread.currentThread() instanceof ForkJoinWorkerThread w) || w.getPool() != POOL) return new float[floats];
        float[][] slots = WORKER_SCRATCH.get();
        if (slots[slot].length < floats) slots[slot] = new float[floats];
        return slots[slot];
    }

    /** Tasks worth creating for {@code units} equal units of work: enough for every worker to steal, at most the units. */
    static int tasksFor(int units) {
        return Math.max(1, Math.min(units, 4 * parallelism()));
    }

    /** The work of one range of {@link #parallelRanges}. */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    /** Splits an index range in halves until single tasks remain. */
    private static final class Range extends RecursiveAction {
        private final int from, to;
        private final IntConsumer body;

        Range(int from, int to, IntConsumer body) {
            this.from = from;
            this.to = to;
            this.body = body;
        }

        @Override
        protected void compute() {
            if (to - from == 1) {
                body.accept(from);
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new Range(from, mid, body), new Range(mid, to, body));
        }
    }
}
