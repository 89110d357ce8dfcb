package org.convcl.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.convcl.cli.bench.Suite;
import org.convcl.cli.bench.SuiteLoader;
import picocli.CommandLine.Option;

/**
 * The suite options of {@code bench}, {@code cost} and {@code tune}, a picocli mixin so that all three read
 * {@code --suite NAME|FILE} alike: a name of a built-in suite (or of {@code --suites-dir}), {@code all}, or the path
 * of a suite file.
 */
final class SuiteFlags {
    @Option(names = "--suite", paramLabel = "NAME|FILE", split = ",",
            description = "Suites, repeatable or comma-separated: a suite name (built into the tool, or in --suites-dir), "
                    + "'all', or the path of a suite file ending in .json (bench, tune: default all).")
    List<String> suites = new ArrayList<>();

    @Option(names = "--suites-dir", paramLabel = "DIR",
            description = "Folder whose <name>.json files are the suites that --suite names (default: the suites built "
                    + "into the tool).")
    Path suitesDir;

    /** Whether {@code --suite} was given. */
    boolean given() {
        return !suites.isEmpty();
    }

    /** The suites {@code --suite} names, every suite when it was not given; throws naming a bad name or file. */
    List<Suite> load() {
        SuiteLoader loader = suitesDir == null ? SuiteLoader.builtIn() : new SuiteLoader(suitesDir);
        return loader.load(suites.isEmpty() ? List.of("all") : suites);
    }
}
