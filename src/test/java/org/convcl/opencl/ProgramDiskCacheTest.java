package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.convcl.ConvSpec;
import org.convcl.TestBackends;
import org.convcl.plan.Algorithm;
import org.convcl.plan.Plan;
import org.convcl.plan.Planner;
import org.convcl.plan.TuningTable;
import org.jocl.cl_program;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgramDiskCacheTest {

    private static OpenClBackend shared() {
        return (OpenClBackend) TestBackends.opencl();
    }

    private static TreeMap<String, Integer> pointwiseDefines(OpenClBackend backend) {
        Plan plan = Planner.plan(ConvSpec.pointwise(8, 8), null, backend.facts(), TuningTable.EMPTY, Algorithm.POINTWISE); // either family
        TreeMap<String, Integer> d = new TreeMap<>(plan.defines());
        d.put("HAS_BIAS", 1);
        d.put("ACTIVATION", 1);
        return d;
    }

    private static KernelLibrary library(OpenClBackend backend, ProgramDiskCache cache) {
        return new KernelLibrary(backend.context(), backend.deviceId(), backend.device().id(), backend.device().driverVersion(), cache);
    }

    /** Gets the pointwise program and proves it usable by creating its kernel. */
    private static void buildAndUse(KernelLibrary library, OpenClBackend backend) {
        cl_program program = library.program(Algorithm.POINTWISE.kernelFile(), pointwiseDefines(backend));
        try (ClKernel kernel = new ClKernel(program, Algorithm.POINTWISE.entryPoint(), backend.deviceId(), new AtomicInteger())) {
            assertTrue(kernel.workGroupSize() >= 1);
        }
    }

    @Test
    void secondLibraryLoadsTheStoredBinaryInsteadOfCompiling(@TempDir Path dir) throws IOException {
        OpenClBackend backend = shared();
        ProgramDiskCache cache = new ProgramDiskCache(dir);
        try (KernelLibrary first = library(backend, cache)) {
            buildAndUse(first, backend);
            assertEquals(1, first.buildCount());
            assertEquals(0, first.binaryLoadCount());
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.filter(f -> f.toString().endsWith(".bin")).count(), "one stored binary");
        }
        try (KernelLibrary second = library(backend, cache)) {
            buildAndUse(second, backend);
            assertEquals(0, second.buildCount(), "the second library must not compile");
            assertEquals(1, second.binaryLoadCount());
        }
    }

    @Test
    void corruptFileIsIgnoredRebuiltAndReplaced(@TempDir Path dir) throws IOException {
        OpenClBackend backend = shared();
        ProgramDiskCache cache = new ProgramDiskCache(dir);
        try (KernelLibrary first = library(backend, cache)) {
            buildAndUse(first, backend);
        }
        Path stored;
        try (var files = Files.list(dir)) {
            stored = files.filter(f -> f.toString().endsWith(".bin")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(stored);
        bytes[bytes.length - 1] ^= 0x5a; // damage the payload: the checksum no longer matches
        Files.write(stored, bytes);
        assertFalse(cache.load(stored).isPresent(), "a damaged file must not be loaded");
        try (KernelLibrary second = library(backend, cache)) {
            buildAndUse(second, backend);
            assertEquals(1, second.buildCount(), "a corrupt binary means a rebuild");
            assertEquals(0, second.binaryLoadCount());
        }
        assertTrue(cache.load(stored).isPresent(), "the rebuild replaces the damaged file");
        Files.write(stored, new byte[] {1, 2, 3}); // truncated
        assertFalse(cache.load(stored).isPresent(), "a truncated file must not be loaded");
    }

    @Test
    void keyCoversDeviceDriverSourceAndOptions(@TempDir Path dir) {
        ProgramDiskCache cache = new ProgramDiskCache(dir);
        Path base = cache.file("dev", "1.0", "src", "-D A=1");
        assertEquals(base, cache.file("dev", "1.0", "src", "-D A=1"));
        assertFalse(base.equals(cache.file("dev2", "1.0", "src", "-D A=1")));
        assertFalse(base.equals(cache.file("dev", "1.1", "src", "-D A=1")));
        assertFalse(base.equals(cache.file("dev", "1.0", "src2", "-D A=1")));
        assertFalse(base.equals(cache.file("dev", "1.0", "src", "-D A=2")));
    }

    @Test
    void directoryComesFromPropertyThenEnvironmentThenUserCache() {
        assertEquals(Path.of("/p"), ProgramDiskCache.directory("/p", "/e", "/x", "/home/u"));
        assertEquals(Path.of("/e"), ProgramDiskCache.directory(null, "/e", "/x", "/home/u"));
        assertEquals(Path.of("/x/convcl/programs"), ProgramDiskCache.directory(" ", null, "/x", "/home/u"));
        assertEquals(Path.of("/home/u/.cache/convcl/programs"), ProgramDiskCache.directory(null, "", null, "/home/u"));
    }
}
