package org.convcl.cli;

import java.io.PrintWriter;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code convcl} command. Subcommands are listed in the {@code @Command} annotation below; add a new
 * one there (picocli creates a fresh instance for every command line).
 *
 * <p>Exit codes: 0 success; 2 for a usage error or bad input (one line on stderr, no stack trace);
 * 1 for an internal failure (one line on stderr; the stack trace is logged at DEBUG). Only {@link #main}
 * exits the JVM.
 */
@Command(name = "convcl", mixinStandardHelpOptions = true, version = "convcl 0.1.0",
        description = "2D convolutions on OpenCL or the Java CPU backend.",
        subcommands = {DevicesCommand.class, RunCommand.class, GradCommand.class, InferCommand.class, BenchCommand.class,
                CostCommand.class, PlanCommand.class, TuneCommand.class, SelftestCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code for usage errors and bad input files. */
    public static final int EXIT_USAGE = 2;
    /** Exit code for internal failures. */
    public static final int EXIT_FAILURE = 1;

    /** Logback configuration bundled with the CLI: INFO and above to stderr (DEBUG with -Dconvcl.log.level=DEBUG). */
    static final String LOGBACK_RESOURCE = "org/convcl/cli/convcl-cli-logback.xml";

    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing subcommand (try 'convcl --help')");
    }

    /** Runs the command and exits the JVM with its exit code. */
    public static void main(String[] args) {
        configureLogging();
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command in-process writing to {@code out} and {@code err}; returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cmd = commandLine();
        cmd.setOut(out);
        cmd.setErr(err);
        try {
            return cmd.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** A fresh command line with every subcommand and the exit-code handlers. */
    public static CommandLine commandLine() {
        CommandLine cmd = new CommandLine(new Main());
        cmd.setParameterExceptionHandler(Main::handleUsageError);
        cmd.setExecutionExceptionHandler(Main::handleFailure);
        return cmd;
    }

    /**
     * Points logback at the CLI's quiet configuration unless the user chose one with
     * {@code -Dlogback.configurationFile}; must run before the first logger is created.
     */
    static void configureLogging() {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", LOGBACK_RESOURCE);
        }
    }

    private static int handleUsageError(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        cmd.getErr().println(commandPath(cmd) + ": " + oneLine(e.getMessage()));
        cmd.getErr().flush();
        return EXIT_USAGE;
    }

    private static int handleFailure(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        LoggerFactory.getLogger(Main.class).debug("{} failed", commandPath(cmd), e);
        cmd.getErr().println(commandPath(cmd) + ": " + (e instanceof CliFailure ? "" : "internal error: ")
                + oneLine(e.getMessage() == null ? e.toString() : e.getMessage()));
        cmd.getErr().flush();
        return EXIT_FAILURE;
    }

    /** {@code convcl run}, {@code convcl devices}, ... */
    private static String commandPath(CommandLine cmd) {
        return cmd.getCommandSpec().qualifiedName();
    }

    /** Collapses line breaks so every error stays on one line. */
    static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }

    /** A failure that is not the user's input but is not a bug either (no OpenCL device, disk full). */
    static final class CliFailure extends RuntimeException {
        CliFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
