package org.convcl.opencl;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when the Oclgrind simulator wrote a diagnostic while it ran. Oclgrind writes its diagnostics to the
 * file named by the environment variable {@code OCLGRIND_LOG} (set per test JVM by {@code .ci/run}); this extension
 * notes the file's length before each test and, after it, fails the test with whatever was appended (invalid reads,
 * data races, uninitialised values, API errors), naming the test. Without {@code OCLGRIND_LOG} (any other device)
 * it does nothing. Tests run one at a time in a JVM for this to attribute a diagnostic to the right test.
 */
public final class OclgrindLogCheck implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(OclgrindLogCheck.class);

    /** The log file from {@code OCLGRIND_LOG}, or null when it is not set. */
    static Path logFile() {
        String name = System.getenv("OCLGRIND_LOG");
        return name == null || name.isBlank() ? null : Path.of(name);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        Path log = logFile();
        if (log != null) context.getStore(NAMESPACE).put("offset", Files.exists(log) ? Files.size(log) : 0L);
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        Path log = logFile();
        if (log == null || !Files.exists(log)) return;
        long offset = context.getStore(NAMESPACE).getOrDefault("offset", Long.class, 0L);
        String appended = readFrom(log, offset).strip();
        if (!appended.isEmpty()) {
            throw new AssertionError("Oclgrind diagnostics during " + context.getDisplayName() + " ("
                    + context.getRequiredTestMethod().getName() + "), from " + log + ":\n" + appended);
        }
    }

    private static String readFrom(Path log, long offset) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long length = file.length();
            if (length <= offset) return "";
            byte[] bytes = new byte[(int) Math.min(length - offset, 1 << 20)];
            file.seek(offset);
            file.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }
}
