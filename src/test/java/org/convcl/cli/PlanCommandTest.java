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
        assertTrue(pw.out().contains("global:    [784, 6, 1]"), pw.out()); // 12544 pixels / 16, 64 channels / 12
        assertTrue(pw.out().contains("reason:    default: pointwise: GEMM"), pw.out());
        CliTest.Result dw = CliTest.convcl("plan", "--cin", "64", "--cout", "64", "--groups", "64",
                "--kernel", "3", "--stride", "2", "--padding", "0,0,1,1", "--size", "112");
        assertEquals(0, dw.exitCode(), dw.err());
        assertTrue(dw.out().contains("algorithm: DEPTHWISE"), dw.out());
        assertTrue(dw.out().contains("VEC=8"), dw.out());
        CliTest.Result full = CliTest.convcl("plan", "--cin", "64", "--cout", "128", "--kernel", "3",
                "--padding", "same", "--size", "56", "--batch", "8");
        assertEquals(0, full.exitCode(), full.err());
        assertTrue(full.out().contains("algorithm: IMPLICIT_GEMM"), full.out());
        assertTrue(full.out().contains("global:    [4, 56, 128]"), full.out()); // 56/16 blocks, 56 rows, 8 x 128/8
        CliTest.Result wino = CliTest.convcl("plan", "--cin", "128", "--cout", "128", "--kernel", "3",
                "--padding", "same", "--size", "56", "--batch", "8");
        assertEquals(0, wino.exitCode(), wino.err());
        assertTrue(wino.out().contains("algorithm: WINOGRAD (kernels/conv2d_winograd.cl)"), wino.out());
        assertTrue(wino.out().contains("global:    [784, 128, 8]"), wino.out()); // 28x28 tiles, channels, images
        assertTrue(wino.out().contains("reason:    default: winograd F(2x2,3x3): 3x3 stride 1 groups 1 with cin, cout >= 128"), wino.out());
        assertTrue(wino.out().contains("WEI_BATCH=16") && wino.out().contains("global [392, 11, 16]"), wino.out()); // 8·784/16, 128/12
    }

    @Test
    void algorithmCanBeForcedWhereItRunsAndBadNamesAreUsageErrors() {
        CliTest.Result forced = CliTest.convcl("plan", "--cin", "128", "--cout", "128", "--size", "28", "--algorithm", "implicit_gemm");
        assertEquals(0, forced.exitCode(), forced.err());
        assertTrue(forced.out().contains("algorithm: IMPLICIT_GEMM") && forced.out().contains("reason:    forced default"), forced.out());
        CliTest.Result small = CliTest.convcl("plan", "--cin", "8", "--cout", "8", "--size", "28", "--algorithm", "winograd");
        assertEquals(0, small.exitCode(), small.err());
        assertTrue(small.out().contains("algorithm: WINOGRAD"), small.out());
        CliTest.Result strided = CliTest.convcl("plan", "--cin", "8", "--cout", "8", "--size", "28", "--stride", "2",
                "--algorithm", "winograd");
        assertEquals(Main.EXIT_USAGE, strided.exitCode());
        assertTrue(strided.err().contains("WINOGRAD cannot run"), strided.err());
        CliTest.Result bad = CliTest.convcl("plan", "--cin", "8", "--cout", "8", "--size", "28", "--algorithm", "fft");
        assertEquals(Main.EXIT_USAGE, bad.exitCode());
        assertTrue(bad.err().contains("--algorithm") && bad.err().contains("fft"), bad.err());
    }

    @Test
    void paddingDefaultsToNoneAsInRunAndPyTorch() {
        CliTest.Result r = CliTest.convcl("plan", "--cin", "8", "--cout", "8", "--size", "28");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("input [1, 8, 28, 28] -> output [1, 8, 26, 26]"), r.out());
        CliTest.Result same = CliTest.convcl("plan", "--cin", "8", "--cout", "8", "--size", "28", "--padding", "same");
        assertTrue(same.out().contains("-> output [1, 8, 28, 28]"), same.out());
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
