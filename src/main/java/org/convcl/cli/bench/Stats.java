package org.convcl.cli.bench;

import java.util.Arrays;
import java.util.List;

/** Median, minimum and maximum of a set of timings, in milliseconds. */
public record Stats(double medianMs, double minMs, double maxMs) {

    /** Summarises nanosecond timings; the median of an even count is the mean of the middle two. */
    public static Stats ofNanos(long[] nanos) {
        if (nanos.length == 0) throw new IllegalArgumentException("no timings to summarise");
        long[] s = nanos.clone();
        Arrays.sort(s);
        int mid = s.length / 2;
        double median = s.length % 2 == 1 ? s[mid] : (s[mid - 1] + (double) s[mid]) / 2;
        return new Stats(median / 1e6, s[0] / 1e6, s[s.length - 1] / 1e6);
    }

    /**
     * Summarises the same measurement taken in several rounds: the median of the rounds' medians (the mean of
     * the middle two for an even count), the least minimum and the greatest maximum.
     */
    public static Stats ofRounds(List<Stats> rounds) {
        if (rounds.isEmpty()) throw new IllegalArgumentException("no rounds to summarise");
        double[] medians = rounds.stream().mapToDouble(Stats::medianMs).sorted().toArray();
        int mid = medians.length / 2;
        double median = medians.length % 2 == 1 ? medians[mid] : (medians[mid - 1] + medians[mid]) / 2;
        return new Stats(median, rounds.stream().mapToDouble(Stats::minMs).min().orElseThrow(),
                rounds.stream().mapToDouble(Stats::maxMs).max().orElseThrow());
    }
}
