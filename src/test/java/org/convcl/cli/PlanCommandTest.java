package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PlanCommandTest {

    @Test
    void printsAlgorithmDefinesSizesAndReasonForEachKind() {
        CliTest.Result pw = CliTest.convcl("plan", "--cin", "32", "--cout", "64", "--kernel", "1",
                "--size", "112");
        assertEquals(0, pw.exitCode(), pw.err());
        assertTrue(pw.out().contains("algorithm: POINTWISE"), pw.out());
        assertTrue(pw.out().contains("global:    [784, 8, 1]"), pw.out()); // 12544 pixels / 16, 64 channels / 8
        assertTrue(pw.out().contains("reason:    default: pointwise: GEMM"), pw.out());
        CliTest.Result dw = CliTest.convcl("plan", "--cin", "64", "--cout", "64", "--groups", "64",
                "--kernel", "3", "--stride", "2", "--padding", "0,0,1,1", "--size", "112");
        assertEquals(0, dw.exitCode(), dw.err());
        assertTrue(dw.out().contains("algorithm: DEPTHWISE"), dw.out());
        assertTrue(dw.out().contains("VEC=8"), dw.out());
        CliTest.Result full = CliTest.convcl("plan", "--cin", "128", "--cout", "128", "--kernel", "3",
                "--padding", "same", "--size", "56", "--batch", "8");
        assertEquals(0, full.exitCode(), full.err());
        assertTrue(full.out().contains("algorithm: IMPLICIT_GEMM"), full.out());
        assertTrue(full.out().contains("global:    [4, 56, 128]"), full.out()); // 56/16 blocks, 56 rows, 8 x 128/8
    }

    @Test
    void badLayerIsAUsageErrorNamingTheField() {
        CliTest.Result r = CliTest.convcl("plan", "--cin", "6", "--cout", "4", "--groups", "4",
                "--kernel", "3", "--size", "8");
        assertEquals(Main.EXIT_USAGE, r.exitCode());
        assertTrue(r.err().contains("groups"), r.err());
        CliTest.Result big = CliTest.convcl("plan", "--cin", "3", "--cout", "4", "--kernel", "5",
                "--padding", "0", "--size", "2");
        assertEquals(Main.EXIT_USAGE, big.exitCode());
    }
}
