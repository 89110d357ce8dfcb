package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.convcl.plan.Algorithm;
import org.convcl.plan.ShapeClass;
import org.convcl.plan.TuningTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where tuning files are, the atomic store, and which table wins; no device needed. */
class TuningFilesTest {
    private static final String DEV = "some-gpu | 2.0";
    private static final ShapeClass PW_CLASS = new ShapeClass(Algorithm.POINTWISE, "cin<=64,hw<=4096,n1");

    @Test
    void userFileComesFromPropertyThenEnvironmentThenXdgThenHome() {
        assertEquals(Path.of("/p.json"), TuningFiles.userFile(DEV, "/p.json", "/e.json", "/xdg", "/home/u"));
        assertEquals(Path.of("/e.json"), TuningFiles.userFile(DEV, " ", "/e.json", "/xdg", "/home/u"));
        Path xdg = TuningFiles.userFile(DEV, null, null, "/xdg", "/home/u");
        assertEquals(Path.of("/xdg/convcl/tuning"), xdg.getParent());
        assertTrue(xdg.getFileName().toString().matches("some-gpu-2.0-[0-9a-f]{8}\\.json"), xdg.toString());
        assertEquals(Path.of("/home/u/.cache/convcl/tuning"), TuningFiles.userFile(DEV, null, null, "", "/home/u").getParent());
        // same slug, different keys: different files
        assertNotEquals(TuningFiles.fileName("gpu | 1"), TuningFiles.fileName("gpu | 1."));
    }

    @Test
    void storeIsAtomicAndLoadReadsItBack(@TempDir Path dir) throws IOException {
        TuningTable table = TuningTable.of(List.of(new TuningTable.Entry(DEV, PW_CLASS,
                Map.of("TILE_OC", 4, "VEC", 8, "KSTEP", 4, "L0", 8, "L1", 2), "n")));
        Path file = dir.resolve("sub").resolve("t.json");
        TuningFiles.store(file, table);
        TuningFiles.store(file, table); // replaces
        assertEquals(table, TuningFiles.load(file));
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertEquals(List.of(file), files.toList()); // no temporary file left behind
        }
        Files.writeString(file, "{\"format\": \"convcl-tuning-1\", \"entries\": [");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TuningFiles.load(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }

    @Test
    void shippedFileParsesAndHoldsEntries() throws IOException {
        TuningTable shipped = TuningFiles.shipped();
        assertFalse(shipped.isEmpty(), "the shipped tuning file has no entries");
    }

    @Test
    void userFileOverridesShippedEntriesAndACorruptUserFileIsIgnored(@TempDir Path dir) throws IOException {
        TuningTable.Entry shippedEntry = TuningFiles.shipped().entries().get(0);
        String device = shippedEntry.key().deviceKey();
        ShapeClass c = new ShapeClass(shippedEntry.key().algorithm(), shippedEntry.key().shapeClass());
        TuningTable shippedForDevice = TuningFiles.shipped().forDevice(device);
        Path user = dir.resolve("user.json");
        String old = System.getProperty("convcl.tuningFile");
        try {
            System.setProperty("convcl.tuningFile", user.toString());
            assertEquals(shippedForDevice, TuningFiles.forDevice(device)); // no user file yet
            TuningTable.Entry mine = new TuningTable.Entry(device, c, candidateOtherThan(shippedEntry), "mine");
            TuningFiles.store(user, TuningTable.of(List.of(mine)));
            TuningTable effective = TuningFiles.forDevice(device);
            assertEquals(mine, effective.lookup(device, c).orElseThrow()); // the user file wins
            assertEquals(shippedForDevice.size(), effective.size());
            Files.writeString(user, "not json");
            assertEquals(shippedForDevice, TuningFiles.forDevice(device)); // ignored with a WARN
            System.setProperty("convcl.tuning", "off");
            assertTrue(TuningFiles.forDevice(device).isEmpty());
        } finally {
            System.clearProperty("convcl.tuning");
            if (old == null) System.clearProperty("convcl.tuningFile"); else System.setProperty("convcl.tuningFile", old);
        }
    }

    private static Map<String, Integer> candidateOtherThan(TuningTable.Entry e) {
        Map<String, Integer> p = new java.util.TreeMap<>(e.params());
        p.put("L0", p.get("L0") == 1 ? 2 : 1);
        return p;
    }
}
