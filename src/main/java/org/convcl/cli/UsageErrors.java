package org.convcl.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Bad input of a command that reads and writes files, as picocli usage errors (one line, exit 2): the checks every
 * such command makes before it writes anything.
 */
final class UsageErrors {
    private final CommandSpec spec;

    UsageErrors(CommandSpec spec) {
        this.spec = spec;
    }

    /** A usage error of the command. */
    ParameterException error(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** Runs {@code check}, turning an {@link IllegalArgumentException} or {@link ArithmeticException} into a usage error. */
    <T> T check(Supplier<T> check) {
        try {
            return check.get();
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw error(e.getMessage());
        }
    }

    /** Reads the {@code .npy} file {@code file} given as {@code option}; a missing, unreadable or malformed file is named. */
    Npy.Array readNpy(String option, Path file) {
        try {
            return Npy.read(file);
        } catch (NoSuchFileException e) {
            throw error(option + " " + file + ": no such file");
        } catch (IOException e) {
            throw error(option + " " + file + ": cannot read: " + e);
        } catch (IllegalArgumentException e) {
            throw error(option + " " + e.getMessage());
        }
    }

    /**
     * Each output's directory exists, no output is a directory, and no two are one file.
     *
     * @param options how each output was given, e.g. {@code "--output"}, in the order of {@code outputs}
     */
    void checkOutputs(List<String> options, List<Path> outputs) {
        for (int i = 0; i < outputs.size(); i++) {
            Path out = outputs.get(i);
            Path dir = out.toAbsolutePath().getParent();
            if (dir == null || !Files.isDirectory(dir)) throw error(options.get(i) + " " + out + ": directory " + dir + " does not exist");
            if (Files.isDirectory(out)) throw error(options.get(i) + " " + out + " is a directory");
            for (int j = 0; j < i; j++) {
                if (outputs.get(j).toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
                    throw error(options.get(j) + " and " + options.get(i) + " must be different files, got " + out + " twice");
                }
            }
        }
    }
}
