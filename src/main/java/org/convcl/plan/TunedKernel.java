package org.convcl.plan;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.convcl.ConvSpec;
import org.convcl.Shape;

/**
 * A kernel whose {@code -D} parameters a {@link TuningTable} entry may set: a forward {@link Algorithm} or a backward
 * {@link BackwardAlgorithm}. Its {@link #name()} is what tuning files write in an entry's {@code algorithm} field; the
 * two enums' names differ, so a name means one kernel.
 */
public sealed interface TunedKernel permits Algorithm, BackwardAlgorithm {
    /** The name tuning files use, e.g. {@code POINTWISE} or {@code BACKWARD_FILTER}. */
    String name();

    /** Its tunable parameter names; empty when it is not tuned. */
    List<String> tunables();

    /** Its untuned parameters for {@code spec}, one per {@link #tunables()} name. */
    SortedMap<String, Integer> defaults(ConvSpec spec);

    /** The tuner's changes to {@link #defaults}{@code (spec)}, each a few parameters. */
    List<Map<String, Integer>> candidateChanges(ConvSpec spec);

    /** The key of the {@link ShapeClass} of {@code spec} on {@code input} (only asked when it is tuned). */
    String shapeClassKey(ConvSpec spec, Shape input);

    /** Why valid {@code params} cannot run {@code spec}, or null when they can. */
    String misfit(ConvSpec spec, Map<String, Integer> params);

    /** The position of {@code kernel} in sorted tables: the forward algorithms first, each enum in declaration order. */
    static int order(TunedKernel kernel) {
        return kernel instanceof Algorithm a ? a.ordinal() : Algorithm.values().length + ((BackwardAlgorithm) kernel).ordinal();
    }

    /** The kernel tuning files call {@code name}, forward or backward; throws {@link IllegalArgumentException} when none is. */
    static TunedKernel named(String name) {
        for (Algorithm a : Algorithm.values()) if (a.name().equals(name)) return a;
        for (BackwardAlgorithm b : BackwardAlgorithm.values()) if (b.name().equals(name)) return b;
        throw new IllegalArgumentException("no kernel is named '" + name + "'");
    }
}
