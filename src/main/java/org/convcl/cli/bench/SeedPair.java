package org.convcl.cli.bench;

import java.util.List;
import java.util.Optional;
import org.convcl.ConvSpec;
import org.convcl.SeedFormula;
import org.convcl.SeparableBlock;
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

    /**
     * The depthwise-separable block its separable members form (a depthwise step, then a pointwise step that reads
     * its output), or empty when they form none (a spatial pair). The fused vs unfused rows of the benchmark time it.
     */
    public Optional<SeparableBlock> block() {
        if (separable.size() != 2) return Optional.empty();
        ConvSpec dw = separable.get(0).spec(), pw = separable.get(1).spec();
        if (dw.kind() != ConvSpec.Kind.DEPTHWISE || pw.kind() != ConvSpec.Kind.POINTWISE) return Optional.empty();
        SeparableBlock block = SeparableBlock.builder(dw.inChannels(), pw.outChannels()).depthMultiplier(dw.depthMultiplier())
                .kernel(dw.kernelH(), dw.kernelW()).stride(dw.strideH(), dw.strideW())
                .dilation(dw.dilationH(), dw.dilationW()).padding(dw.padTop(), dw.padLeft(), dw.padBottom(), dw.padRight())
                .build();
        return block.depthwise().equals(dw) && block.pointwise().equals(pw) ? Optional.of(block) : Optional.empty();
    }

    /** The input of the pair's first separable member (that of the block) for a batch. */
    public Shape input(int batch) {
        return separable.get(0).input(batch);
    }

    private static long sumMacs(List<BenchCase> cases, int batch) {
        return cases.stream().mapToLong(c -> c.cost(batch).macs()).sum();
    }
}
