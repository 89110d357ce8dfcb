package org.convcl;

import java.util.List;
import java.util.Locale;

/**
 * The seed documents' closed-form predictions of a separable replacement's speedup (standard MACs over the
 * separable steps' MACs), each built from the named formulas of {@link Cost}. Benchmark reports print it next to
 * the ratio of {@link Cost#macs()} counts, so a reader sees the seed's claim and the general count agree (tests
 * check they are equal).
 */
public enum SeedFormula {
    /** Seed 001: depthwise + pointwise over standard, speedup {@code 1 / (1/N + 1/Dk²)}. */
    DEPTHWISE_SEPARABLE("depthwise-separable") {
        @Override
        public double speedup(ConvSpec standard, List<ConvSpec> separable, Shape input) {
            ConvSpec dw = member(separable, 0, ConvSpec.Kind.DEPTHWISE);
            ConvSpec pw = member(separable, 1, ConvSpec.Kind.POINTWISE);
            requireSquare(dw);
            return 1.0 / Cost.separableReduction(pw.outChannels(), dw.kernelH());
        }
    },
    /** Seed 000: K×K over K×1 + 1×K, speedup {@code K² / 2K}. */
    SPATIAL("spatial") {
        @Override
        public double speedup(ConvSpec standard, List<ConvSpec> separable, Shape input) {
            requireSquare(standard);
            int k = standard.kernelH();
            return (double) Cost.spatialFullWeights(k) / Cost.spatialSeparableWeights(k);
        }
    },
    /** Seed 002: depth multiplier γ at the depthwise step, then pointwise γ·N_i → N_o. */
    GAMMA("gamma") {
        @Override
        public double speedup(ConvSpec standard, List<ConvSpec> separable, Shape input) {
            ConvSpec dw = member(separable, 0, ConvSpec.Kind.DEPTHWISE);
            requireSquare(dw);
            int ni = dw.inChannels(), no = standard.outChannels(), f = dw.kernelH();
            int l = outSide(standard, input);
            int gamma = dw.depthMultiplier();
            return Cost.standardMacs(f, ni, no, l)
                    / (Cost.gammaDepthwiseMacs(gamma, ni, f, f, l, l) + Cost.gammaPointwiseMacs(gamma, no, ni, l, l));
        }
    },
    /** Seed 002's distributed form: √γ at the depthwise step and √γ at the pointwise step. */
    GAMMA_DISTRIBUTED("gamma-distributed") {
        @Override
        public double speedup(ConvSpec standard, List<ConvSpec> separable, Shape input) {
            ConvSpec dw = member(separable, 0, ConvSpec.Kind.DEPTHWISE);
            requireSquare(dw);
            int ni = dw.inChannels(), f = dw.kernelH();
            double gamma = (double) standard.outChannels() / ni;
            int l = outSide(standard, input);
            return Cost.standardMacs(f, ni, standard.outChannels(), l)
                    / (Cost.distributedDepthwiseMacs(gamma, ni, f, f, l, l) + Cost.distributedPointwiseMacs(gamma, ni, l, l));
        }
    };

    private final String id;

    SeedFormula(String id) {
        this.id = id;
    }

    /** The name used in suite files. */
    public String id() {
        return id;
    }

    /**
     * The seed's predicted speedup of the {@code separable} steps (in order) over the {@code standard} layer on
     * {@code input}, per image. Throws naming the mismatch when the steps do not have the form the formula is for.
     */
    public abstract double speedup(ConvSpec standard, List<ConvSpec> separable, Shape input);

    /** Parses a suite file's {@code formula} field; the message lists the valid names. */
    public static SeedFormula parse(String text) {
        for (SeedFormula f : values()) {
            if (f.id.equals(text)) return f;
        }
        throw new IllegalArgumentException("formula must be one of depthwise-separable, spatial, gamma, "
                + "gamma-distributed, got '" + text + "'");
    }

    private static ConvSpec member(List<ConvSpec> separable, int index, ConvSpec.Kind kind) {
        if (separable.size() <= index || separable.get(index).kind() != kind) {
            throw new IllegalArgumentException("separable member " + (index + 1) + " must be "
                    + kind.name().toLowerCase(Locale.ROOT) + " for this formula");
        }
        return separable.get(index);
    }

    private static void requireSquare(ConvSpec spec) {
        if (spec.kernelH() != spec.kernelW()) {
            throw new IllegalArgumentException("the seed formula needs a square kernel, got "
                    + spec.kernelH() + "x" + spec.kernelW());
        }
    }

    private static int outSide(ConvSpec standard, Shape input) {
        Shape out = standard.outputShape(input);
        if (out.h() != out.w()) {
            throw new IllegalArgumentException("the seed formula needs a square feature map, got " + out.h() + "x" + out.w());
        }
        return out.h();
    }
}
