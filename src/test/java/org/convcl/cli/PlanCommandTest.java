package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PlanCommandTest {

    @Test
    void printsAlgorithmDefinesSizesAndReasonForEachKind() {
        CliTest.Result pw = CliTest.convcl("plan", "--in-channels", "32", "--out-channels", "64", "--kernel", "1",
                "--height", "112", "--width", "112");
        assertEquals(0, pw.exitCode(), pw.err());
        assertTrue(pw.out().contains("algorithm: POINTWISE"), pw.out());
        assertTrue(pw.out().contains("global:    [784, 8, 1]"), pw.out()); // 12544 pixels / 16, 64 channels / 8
        assertTrue(pw.out().contains("reason:    pointwise: GEMM"), pw.out());
        CliTest.Result dw = CliTest.convcl("plan", "--in-channels", "64", "--out-channels", "64", "--groups", "64",
                "--kernel", "3", "--stride", "2", "--padding", "0,0,1,1", "--height", "112", "--width", "112");
        assertEquals(0, dw.exitCode(), dw.err());
        assertTrue(dw.out().contains("algorithm: DEPTHWISE"), dw.out());
        assertTrue(dw.out().contains("VEC=8"), dw.out());
        CliTest.Result full = CliTest.convcl("plan", "--in-channels", "128", "--out-channels", "128", "--kernel", "3",
                "--padding", "same", "--height", "56", "--width", "56", "--batch", "8");
        assertEquals(0, full.exitCode(), full.err());
        assertTrue(full.out().contains("algorithm: IMPLICIT_GEMM"), full.out());
        assertTrue(full.out().contains("global:    [4, 56, 128]"), full.out()); // 56/16 blocks, 56 rows, 8 x 128/8
    }

    @Test
    void badLayerIsAUsageErrorNamingTheField() {
        CliTest.Result r = CliTest.convcl("plan", "--in-channels", "6", "--out-channels", "4", "--groups", "4",
                "--kernel", "3", "--height", "8", "--width", "8");
        assertEquals(Main.EXIT_USAGE, r.exitCode());
        assertTrue(r.err().contains("groups"), r.err());
        CliTest.Result big = CliTest.convcl("plan", "--in-channels", "3", "--out-channels", "4", "--kernel", "5",
                "--height", "2", "--width", "2");
        assertEquals(Main.EXIT_USAGE, big.exitCode());
    }
}
