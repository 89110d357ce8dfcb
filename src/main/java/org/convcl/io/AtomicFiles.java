package org.convcl.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Whole-file writes that never leave a half-written file behind: the bytes go to a temporary file in the
 * target's folder, which then replaces the target in one move (atomic where the file system allows).
 * Used by the OpenCL program cache, the tuning files and the command-line tool's {@code .npy} output.
 *
 * <p>{@code org.convcl.io} holds file utilities that more than one package needs and that belong to none of them
 * (the OpenCL backend and the tool both write files; neither should import the other for it). It depends on the
 * JDK only. A tool and backend helper, not part of the convolution API.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /**
     * Writes {@code bytes} to {@code file}, replacing it. The folder must exist; on failure the target is
     * unchanged and the temporary file ({@code .<name>.*.tmp}) is removed.
     */
    public static void write(Path file, byte[] bytes) throws IOException {
        Path target = file.toAbsolutePath();
        Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
        try {
            Files.write(temp, bytes);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
