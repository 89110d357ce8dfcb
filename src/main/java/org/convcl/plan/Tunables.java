package org.convcl.plan;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.convcl.ConvSpec;

/**
 * The values tunable parameters may take, and the tuner's candidates. Each {@link AlgorithmDescriptor} names its
 * parameters, defaults and candidate changes; names are the kernel {@code -D} defines ({@code TILE_OC}, {@code VEC},
 * {@code KSTEP}, {@code TILE_Y}) and the preferred local sizes ({@code L0}, {@code L1}, {@code L2}; {@code GROUP} is
 * the depthwise work-group size when channels fill it). The planner still trims local sizes for small images and to
 * the device limits, and {@code TILE_OC} to the channel count.
 *
 * <p>Candidates ({@link #candidates}) are the descriptor's changes applied to its defaults: the register block's shape
 * (fewer or more output channels, narrower vectors, deeper or shallower K steps, more or fewer rows) and the
 * work-group shape. Candidates a spec cannot run (VEC 16 at stride 2 on the depthwise kernel) are left out.
 */
public final class Tunables {
    private static final Set<Integer> VECTOR_WIDTHS = Set.of(2, 4, 8, 16);
    private static final Set<Integer> K_STEPS = Set.of(1, 2, 4, 8, 16);
    private static final int MAX_TILE_OC = 16;
    private static final int MAX_TILE_Y = 8;
    private static final int MAX_LOCAL = 256;
    /** Input channels per work-item of the backward kernels (bounded like {@code TILE_OC}). */
    static final String TILE_IC = "TILE_IC";
    /** The most candidates {@link #neighbours} gives. */
    public static final int MAX_NEIGHBOURS = 10;

    private Tunables() {}

    /** The parameter names of a kernel ({@link TunedKernel#tunables}); empty for those that are not tuned. */
    public static List<String> names(TunedKernel algorithm) {
        return algorithm.tunables();
    }

    /** The planner's untuned parameters for {@code spec} ({@link TunedKernel#defaults}). */
    public static SortedMap<String, Integer> defaults(TunedKernel algorithm, ConvSpec spec) {
        return algorithm.defaults(spec);
    }

    /**
     * Checks that {@code params} names exactly the parameters of {@code algorithm} with values the kernel
     * accepts; throws {@link IllegalArgumentException} naming the parameter and value otherwise.
     */
    public static void validate(TunedKernel algorithm, Map<String, Integer> params) {
        if (algorithm == null) throw new IllegalArgumentException("algorithm must not be null");
        if (params == null) throw new IllegalArgumentException("params must not be null");
        List<String> names = names(algorithm);
        if (names.isEmpty()) throw new IllegalArgumentException(algorithm + " is not tunable");
        if (!params.keySet().equals(Set.copyOf(names))) {
            throw new IllegalArgumentException(algorithm + " params must be exactly " + names + ", got " + params.keySet());
        }
        params.forEach((name, value) -> {
            if (value == null) throw new IllegalArgumentException(algorithm + " param " + name + " must not be null");
            if (!accepts(name, value)) throw new IllegalArgumentException(algorithm + " param " + name + " = " + value + " is not a value the kernel accepts ("
                    + allowed(name) + ")");
        });
    }

    /** Whether a kernel takes {@code value} for the parameter {@code name}. */
    static boolean accepts(String name, int value) {
        return switch (name) {
            case Plan.VEC -> VECTOR_WIDTHS.contains(value);
            case Plan.KSTEP -> K_STEPS.contains(value);
            case Plan.TILE_OC, TILE_IC -> value >= 1 && value <= MAX_TILE_OC;
            case Plan.TILE_Y -> value >= 1 && value <= MAX_TILE_Y;
            default -> value >= 1 && value <= MAX_LOCAL && Integer.bitCount(value) == 1; // local sizes, TRANSPOSE_BLOCKS
        };
    }

    private static String allowed(String name) {
        return switch (name) {
            case Plan.VEC -> "2, 4, 8 or 16";
            case Plan.KSTEP -> "1, 2, 4, 8 or 16";
            case Plan.TILE_OC, TILE_IC -> "1 to " + MAX_TILE_OC;
            case Plan.TILE_Y -> "1 to " + MAX_TILE_Y;
            default -> "a power of two from 1 to " + MAX_LOCAL;
        };
    }

    /**
     * Why valid {@code params} cannot run {@code spec} on {@code algorithm}, or null when they can: the depthwise kernel
     * takes VEC at most 8 at stride 2 (the implicit GEMM forms 16 stride-2 taps from two loads, convcl_taps.h).
     */
    public static String misfit(Algorithm algorithm, ConvSpec spec, Map<String, Integer> params) {
        Integer vec = params.get(Plan.VEC);
        if (algorithm == Algorithm.DEPTHWISE && vec != null && vec > 8 && spec.strideW() == 2) {
            return "VEC " + vec + " needs stride 1 along x (at most 8 at stride 2 for the depthwise kernel)";
        }
        return null;
    }

    /**
     * The tuner's candidates for {@code spec} on {@code algorithm}, without the defaults and without those the
     * spec cannot run ({@link #misfit}); 6 to 12 per kernel.
     */
    public static List<SortedMap<String, Integer>> candidates(TunedKernel algorithm, ConvSpec spec) {
        SortedMap<String, Integer> d = defaults(algorithm, spec);
        List<Map<String, Integer>> changes = algorithm.candidateChanges(spec);
        Set<SortedMap<String, Integer>> out = new LinkedHashSet<>();
        for (Map<String, Integer> change : changes) {
            SortedMap<String, Integer> c = new TreeMap<>(d);
            c.putAll(change);
            if (!c.equals(d) && algorithm.misfit(spec, c) == null) out.add(Collections.unmodifiableSortedMap(c));
        }
        return new ArrayList<>(out);
    }

    /**
     * The changes around {@code defaults} that the backward kernels' tuner tries, at most {@link #MAX_NEIGHBOURS}: each
     * parameter halved and doubled alone, then each pair of parameters moved in opposite directions (one doubled, the
     * other halved: the same work per work-item in another shape), keeping only values the kernels accept
     * ({@link #validate}); in parameter-name order.
     */
    public static List<Map<String, Integer>> neighbours(SortedMap<String, Integer> defaults) {
        List<String> names = new ArrayList<>(defaults.keySet());
        Set<Map<String, Integer>> out = new LinkedHashSet<>();
        for (String name : names) {
            int v = defaults.get(name);
            for (int moved : new int[] {v / 2, v * 2}) if (moved != v && accepts(name, moved)) out.add(Map.of(name, moved));
        }
        for (int i = 0; i < names.size(); i++) {
            for (int j = i + 1; j < names.size(); j++) {
                String a = names.get(i), b = names.get(j);
                int va = defaults.get(a), vb = defaults.get(b);
                if (accepts(a, va * 2) && accepts(b, vb / 2) && vb / 2 != vb) out.add(Map.of(a, va * 2, b, vb / 2));
                if (accepts(a, va / 2) && accepts(b, vb * 2) && va / 2 != va) out.add(Map.of(a, va / 2, b, vb * 2));
            }
        }
        return out.stream().limit(MAX_NEIGHBOURS).toList();
    }

    /** {@code names[i] = values[i]}, unmodifiable: a descriptor's defaults. */
    static SortedMap<String, Integer> params(List<String> names, int... values) {
        SortedMap<String, Integer> m = new TreeMap<>();
        for (int i = 0; i < names.size(); i++) m.put(names.get(i), values[i]);
        return Collections.unmodifiableSortedMap(m);
    }

    /** {@code {KSTEP=8, L0=4, ...}} as {@code KSTEP=8 L0=4 ...}: compact, for tables and reasons. */
    public static String describe(Map<String, Integer> params) {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(params).forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(v));
        return sb.toString();
    }
}
