package org.convcl.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which direction of a convolution a benchmark row times: the forward pass, or one of the two backward passes of
 * {@link org.convcl.PreparedConv} ({@code backwardData}: ∂L/∂x from ∂L/∂y; {@code backwardFilter}: ∂L/∂w from x and
 * ∂L/∂y). All three have the forward's MAC count, so {@link BenchResult#gflops()} uses the same {@link org.convcl.Cost}.
 */
public enum Pass {
    /** The convolution itself. */
    FORWARD("forward"),
    /** The gradient with respect to the input. */
    BACKWARD_DATA("backward-data"),
    /** The gradient with respect to the weights. */
    BACKWARD_FILTER("backward-filter");

    /** The value of {@code --pass} that selects every pass. */
    public static final String ALL = "all";

    private final String label;

    Pass(String label) {
        this.label = label;
    }

    /** The name used on the command line, in the JSON lines and in the tables. */
    public String label() {
        return label;
    }

    /** The pass named {@code label}; throws naming the value when there is none. */
    public static Pass of(String label) {
        for (Pass p : values()) if (p.label.equals(label)) return p;
        throw new IllegalArgumentException("pass must be forward, backward-data or backward-filter, got '" + label + "'");
    }

    /**
     * The passes a {@code --pass} list selects, in the enum's order without repeats: each entry a pass's label or
     * {@value #ALL}. Throws naming {@code --pass} and the bad value.
     */
    public static List<Pass> parse(List<String> entries) {
        Set<Pass> chosen = new LinkedHashSet<>();
        for (String entry : entries) {
            String e = entry.trim().toLowerCase(Locale.ROOT);
            if (e.equals(ALL)) {
                chosen.addAll(List.of(values()));
                continue;
            }
            try {
                chosen.add(of(e));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("--pass must be forward, backward-data, backward-filter or all "
                        + "(comma-separated), got '" + entry + "'");
            }
        }
        if (chosen.isEmpty()) throw new IllegalArgumentException("--pass must name at least one pass, got ''");
        List<Pass> ordered = new ArrayList<>();
        for (Pass p : values()) if (chosen.contains(p)) ordered.add(p);
        return ordered;
    }
}
