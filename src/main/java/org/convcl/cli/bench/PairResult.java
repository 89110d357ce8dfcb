package org.convcl.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A seed pair measured on one backend and device: the predicted speedup (MAC ratio from {@link org.convcl.Cost}),
 * the seed formula's value, and the achieved speedup {@code time(standard) / Σ time(separable)} from kernel-only
 * medians (the separable members' intermediate tensor stays on the device in a real network, so transfers are
 * left out), with the end-to-end ratio alongside.
 */
public record PairResult(SeedPair pair, String series, double predicted, double seedFormula,
                         double achievedKernel, double achievedEndToEnd) {

    /** Pairs of the given suites for every series that measured all their members. */
    public static List<PairResult> of(List<Suite> suites, List<BenchResult> results, boolean quick, int batch) {
        Set<String> series = new LinkedHashSet<>();
        results.forEach(r -> series.add(r.series()));
        List<PairResult> out = new ArrayList<>();
        for (Suite suite : suites) {
            for (SeedPair pair : suite.pairs(quick)) {
                for (String s : series) {
                    Optional<double[]> std = sum(pair.standard(), s, results, batch);
                    Optional<double[]> sep = sum(pair.separable(), s, results, batch);
                    if (std.isPresent() && sep.isPresent()) {
                        out.add(new PairResult(pair, s, pair.predictedSpeedup(batch), pair.seedFormulaSpeedup(),
                                std.get()[0] / sep.get()[0], std.get()[1] / sep.get()[1]));
                    }
                }
            }
        }
        return out;
    }

    /** Σ kernel and Σ end-to-end medians of the members on one series, or empty when one is missing. */
    private static Optional<double[]> sum(List<BenchCase> members, String series, List<BenchResult> results, int batch) {
        double kernel = 0, e2e = 0;
        for (BenchCase c : members) {
            Optional<BenchResult> r = results.stream().filter(x -> x.series().equals(series)
                    && x.suite().equals(c.suite()) && x.caseName().equals(c.name())
                    && x.input().equals(c.input(batch))).findFirst();
            if (r.isEmpty()) return Optional.empty();
            kernel += r.get().kernel().medianMs();
            e2e += r.get().endToEnd().medianMs();
        }
        return Optional.of(new double[] {kernel, e2e});
    }
}
