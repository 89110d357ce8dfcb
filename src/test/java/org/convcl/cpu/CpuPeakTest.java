package org.convcl.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The FMA-peak probe runs the work it counts, on both SIMD paths (its speed is the benchmark's business). */
class CpuPeakTest {
    private static List<Simd> paths() {
        List<Simd> paths = new ArrayList<>(List.of(Simd.scalar()));
        if (Simd.vectorOrNull() != null) paths.add(Simd.vectorOrNull());
        return paths;
    }

    @Test
    void everyChainOfABurstConvergesToOneSoTheSumCountsTheChainsAndLanes() {
        for (Simd simd : paths()) {
            // c ← 0.999·c + 0.001 from 0: 1 − 0.999^steps per element, every element an FMA of each step
            assertEquals(simd.fmasPerStep() * (1 - Math.pow(0.999, 20)), simd.fmaBurst(20), 1e-4 * simd.fmasPerStep(), simd.describe());
            assertEquals(simd.fmasPerStep(), simd.fmaBurst(50_000), 1e-3 * simd.fmasPerStep(), simd.describe());
        }
    }

    @Test
    void aMeasurementNamesItsPathAndThreads() {
        CpuPeak peak = CpuPeak.measure(1, Simd.scalar());
        assertEquals(1, peak.threads());
        assertEquals(Simd.scalar().describe(), peak.simd());
        assertTrue(peak.gflops() > 0 && Double.isFinite(peak.gflops()), peak::toString);
        assertThrows(IllegalArgumentException.class, () -> CpuPeak.measure(0, Simd.scalar()));
    }
}
