package org.convcl.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Median, minimum and maximum of a set of timings, in milliseconds. */
public record Stats(double medianMs, double minMs, double maxMs) {

    /** Summarises nanosecond timings; the median of an even count is the mean of the middle two. */
    public static Stats ofNanos(long[] nanos) {
        if (nanos.length == 0) throw new IllegalArgumentException("no timings to summarise");
        double[] ns = Arrays.stream(nanos).sorted().asDoubleStream().toArray();
        return new Stats(median(ns) / 1e6, ns[0] / 1e6, ns[ns.length - 1] / 1e6);
    }

    /**
     * Summarises the same measurement taken in several rounds: the median of the rounds' medians (the mean of
     * the middle two for an even count), the least minimum and the greatest maximum.
     */
    public static Stats ofRounds(List<Stats> rounds) {
        if (rounds.isEmpty()) throw new IllegalArgumentException("no rounds to summarise");
        return new Stats(median(rounds.stream().mapToDouble(Stats::medianMs).sorted().toArray()),
                rounds.stream().mapToDouble(Stats::minMs).min().orElseThrow(),
                rounds.stream().mapToDouble(Stats::maxMs).max().orElseThrow());
    }

    /** The median of sorted values: the middle one, or the mean of the middle two for an even count. */
    private static double median(double[] sorted) {
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /**
     * One item per key of {@code items}, in the order each key first appears: an item alone under its key stays
     * as it is, the items of one measurement taken in several rounds become {@code merge} of them (which uses
     * {@link #ofRounds}).
     */
    static <T> List<T> mergeRounds(List<T> items, Function<T, String> key, Function<List<T>, T> merge) {
        Map<String, List<T>> byKey = new LinkedHashMap<>();
        for (T item : items) byKey.computeIfAbsent(key.apply(item), k -> new ArrayList<>()).add(item);
        return byKey.values().stream().map(same -> same.size() == 1 ? same.get(0) : merge.apply(same)).toList();
    }

    /** Puts {@code <prefix>ms_median}, {@code _min} and {@code _max} into a JSON-lines / CSV record. */
    void putInto(Map<String, Object> record, String prefix) {
        record.put(prefix + "ms_median", medianMs);
        record.put(prefix + "ms_min", minMs);
        record.put(prefix + "ms_max", maxMs);
    }

    /** Reads what {@link #putInto} wrote; throws naming a missing or non-positive field. */
    static Stats readFrom(JsonNode record, String prefix) {
        return new Stats(LayerJson.positive(record, prefix + "ms_median"), LayerJson.positive(record, prefix + "ms_min"),
                LayerJson.positive(record, prefix + "ms_max"));
    }
}
