package org.convcl.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write replaces the whole file or leaves it as it was, and never leaves a temporary file behind. */
class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void writesAndReplacesLeavingOnlyTheTarget() throws IOException {
        Path file = dir.resolve("a.bin");
        AtomicFiles.write(file, new byte[] {1, 2, 3});
        AtomicFiles.write(file, new byte[] {4});
        assertArrayEquals(new byte[] {4}, Files.readAllBytes(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left next to the target");
        }
    }

    @Test
    void aTargetThatCannotBeReplacedStaysAsItWas() throws IOException {
        Path target = Files.createDirectory(dir.resolve("taken"));
        Files.writeString(target.resolve("inside"), "x");
        assertThrows(IOException.class, () -> AtomicFiles.write(target, new byte[] {1}));
        assertEquals("x", Files.readString(target.resolve("inside")));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count(), "the temporary file is removed after the failed move");
        }
    }
}
