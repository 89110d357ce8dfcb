package org.convcl.cli.bench;

import java.util.List;

/**
 * A benchmark suite read from a file: its cases in file order and its seed pairs (possibly none).
 *
 * @param source where it was read from: {@code built-in} or the file's path
 */
public record Suite(String name, String description, String source, List<BenchCase> cases, List<SeedPair> pairs) {

    public Suite {
        cases = List.copyOf(cases);
        pairs = List.copyOf(pairs);
    }

    /** The cases {@code --quick} runs, or all of them. */
    public List<BenchCase> cases(boolean quick) {
        return quick ? cases.stream().filter(BenchCase::quick).toList() : cases;
    }

    /** The pairs whose members all run in this mode. */
    public List<SeedPair> pairs(boolean quick) {
        if (!quick) return pairs;
        return pairs.stream().filter(p -> p.standard().stream().allMatch(BenchCase::quick)
                && p.separable().stream().allMatch(BenchCase::quick)).toList();
    }
}
