package org.convcl.cli.bench;

import java.util.List;
import org.convcl.SeedFormula;
import org.convcl.Shape;

/**
 * A seed comparison: the standard layer(s) and the separable layers that replace them, by case name.
 * Achieved speedup = time(standard) / Σ time(separable); predicted = MACs(standard) / Σ MACs(separable).
 */
public record SeedPair(String name, SeedFormula formula, List<BenchCase> standard, List<BenchCase> separable) {

    public SeedPair {
        standard = List.copyOf(standard);
        separable = List.copyOf(separable);
    }

    /** The predicted speedup from the general MAC counts of {@link org.convcl.Cost}. */
    public double predictedSpeedup(int batch) {
        return (double) sumMacs(standard, batch) / sumMacs(separable, batch);
    }

    /** The same prediction from the seed's closed-form formula. */
    public double seedFormulaSpeedup() {
        BenchCase std = standard.get(0);
        Shape input = std.input(1);
        return formula.speedup(std.spec(), separable.stream().map(BenchCase::spec).toList(), input);
    }

    private static long sumMacs(List<BenchCase> cases, int batch) {
        return cases.stream().mapToLong(c -> c.cost(batch).macs()).sum();
    }
}
