package org.convcl.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The fused multiply-add throughput this JVM reaches on all cores: the yardstick the benchmark divides the CPU
 * backends' GFLOP/s by. Every core runs independent FMA chains in registers through the Java CPU backend's SIMD path
 * (the Vector API when the JVM has {@code jdk.incubator.vector}, else auto-vectorized loops, which load and store
 * their accumulators and so measure that path rather than the FMA units); the best of a few short trials counts, once the rate stopped rising (the JIT is done).
 *
 * @param gflops  2 · FMAs per second / 10⁹, all threads together
 * @param threads the threads that ran at once (one per available processor)
 * @param simd    the SIMD path that ran, e.g. {@code "Vector API 512-bit"}
 */
public record CpuPeak(double gflops, int threads, String simd) {
    /** Timed trials after the last gain of more than 5 %; the fastest counts (the others met interference). */
    private static final int TRIALS = 5;
    /** Most timed trials. */
    private static final int MAX_TRIALS = 20;
    /** Target length of one trial. */
    private static final double TRIAL_SECONDS = 0.05;

    /** Measures on every available processor with the SIMD path the Java CPU backend uses (one to a few seconds). */
    public static CpuPeak measure() {
        return measure(Runtime.getRuntime().availableProcessors(), Simd.preferred());
    }

    static CpuPeak measure(int threads, Simd simd) {
        if (threads <= 0) throw new IllegalArgumentException("threads must be positive, got " + threads);
        long steps = warmUp(simd);
        double best = 0;
        int sinceGain = 0;
        for (int t = 0; t < MAX_TRIALS && sinceGain < TRIALS; t++) { // a rate still rising means the JIT was not done
            double g = trial(threads, simd, steps);
            sinceGain = g > best * 1.05 ? 0 : sinceGain + 1;
            best = Math.max(best, g);
        }
        return new CpuPeak(best, threads, simd.describe());
    }

    /** Least time the warm-up takes: compiling the Vector API loop with C2 takes a few hundred milliseconds. */
    private static final double MIN_WARM_UP_SECONDS = 1;
    /** Most time the warm-up may take before the trials run anyway. */
    private static final double WARM_UP_SECONDS = 5;

    /**
     * Runs short bursts until the JIT has compiled the loop (the rate stopped rising for a while: the Vector API is fast only once
     * C2 has it) and returns the steps of a trial of {@link #TRIAL_SECONDS}.
     */
    private static long warmUp(Simd simd) {
        final long burst = 1 << 12;
        long begin = System.nanoTime(), lastGain = begin;
        double best = 0;
        while (true) {
            long t0 = System.nanoTime();
            sink(simd.fmaBurst(burst));
            long t1 = System.nanoTime();
            double rate = burst / Math.max((t1 - t0) / 1e9, 1e-9); // steps per second
            if (rate > best * 1.05) lastGain = t1;
            best = Math.max(best, rate);
            double elapsed = (t1 - begin) / 1e9;
            if (elapsed > WARM_UP_SECONDS || elapsed > MIN_WARM_UP_SECONDS && (t1 - lastGain) / 1e9 > MIN_WARM_UP_SECONDS / 2) break;
        }
        return Math.max(1, (long) (best * TRIAL_SECONDS));
    }

    /** GFLOP/s of {@code threads} threads each running {@code steps} steps at once, from the common start to the last finish. */
    private static double trial(int threads, Simd simd, long steps) {
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread w = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                sink(simd.fmaBurst(steps));
            }, "convcl-fma-peak-" + i);
            w.setDaemon(true);
            workers.add(w);
            w.start();
        }
        long t0 = System.nanoTime();
        start.countDown();
        for (Thread w : workers) {
            try {
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while measuring the FMA peak", e);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return 2.0 * simd.fmasPerStep() * steps * threads / seconds / 1e9;
    }

    private static volatile float sink;

    private static void sink(float v) {
        sink += v;
    }
}
