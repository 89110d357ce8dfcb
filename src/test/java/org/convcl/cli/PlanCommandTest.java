package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanCommandTest {
    @TempDir
    Path dir;

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

    /** MobileNet-V1's nine pointwise layers: input channels, output channels, image size. */
    private static final int[][] MOBILENET_POINTWISE = {
            {32, 64, 112}, {64, 128, 56}, {128, 128, 56}, {128, 256, 28}, {256, 256, 28}, {256, 512, 14}, {512, 512, 14},
            {512, 1024, 7}, {1024, 1024, 7}};

    @Test
    void onAGpuMobileNetPointwiseLayersRunTheGpuKernelInGroupsOfAtLeast64NamingTheDeviceClassAndTuningKeys() {
        for (int[] l : MOBILENET_POINTWISE) {
            CliTest.Result r = CliTest.convcl("plan", "--cin", "" + l[0], "--cout", "" + l[1], "--kernel", "1", "--size", "" + l[2],
                    "--device-type", "GPU", "--vendor", "NVIDIA Corporation", "--max-work-group", "1024");
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(r.out().contains("algorithm: POINTWISE_GPU (kernels/conv2d_pointwise_gpu.cl)"), r.out());
            assertTrue(r.out().contains("local:     [16, 16, 1]"), r.out()); // 256 work-items
            assertTrue(r.out().contains("reason:    default [no tuning for unknown device, vendor:NVIDIA Corporation GPU, type:GPU | pointwise_gpu "
                    + ShapeClassKeys.pointwise(l[0], l[2] * l[2]) + ",n1]: pointwise GPU: GEMM per image, work-groups of 256 items"), r.out());
        }
    }

    @Test
    void aTuningFileServesAGpuThroughItsVendorAndTypeKeyAndTooLittleLocalMemoryFallsBack() throws Exception {
        Path file = dir.resolve("tuning.json");
        Files.writeString(file, """
                {"format": "convcl-tuning-1", "entries": [
                  {"device": "vendor:NVIDIA Corporation GPU", "algorithm": "POINTWISE_GPU", "class": "cin<=128,hw<=4096,n1",
                   "params": {"TILE_M": 128, "TILE_N": 64, "TILE_K": 8, "L0": 16, "L1": 16}, "note": "test"}]}
                """);
        CliTest.Result tuned = CliTest.convcl("plan", "--cin", "128", "--cout", "128", "--kernel", "1", "--size", "56",
                "--device-type", "GPU", "--vendor", "NVIDIA Corporation", "--device-key", "NVIDIA H200 | 570.00",
                "--tuning-file", file.toString());
        assertEquals(0, tuned.exitCode(), tuned.err());
        assertTrue(tuned.out().contains("TILE_M=128") && tuned.out().contains("global:    [784, 16, 1]"), tuned.out());
        assertTrue(tuned.out().contains("reason:    tuned [vendor:NVIDIA Corporation GPU | pointwise_gpu cin<=128,hw<=4096,n1]: "), tuned.out());
        CliTest.Result small = CliTest.convcl("plan", "--cin", "128", "--cout", "128", "--kernel", "1", "--size", "56",
                "--device-type", "GPU", "--local-mem", "4096");
        assertEquals(0, small.exitCode(), small.err());
        assertTrue(small.out().contains("algorithm: POINTWISE (") && small.out().contains(
                "[POINTWISE_GPU does not fit: local memory 8256 bytes exceeds the device's 4096; fell back to POINTWISE]"), small.out());
        CliTest.Result forcedCpu = CliTest.convcl("plan", "--cin", "128", "--cout", "128", "--kernel", "1", "--size", "56",
                "--device-type", "GPU", "--kernels", "cpu");
        assertTrue(forcedCpu.out().contains("algorithm: POINTWISE ("), forcedCpu.out());
        CliTest.Result missing = CliTest.convcl("plan", "--cin", "8", "--cout", "8", "--kernel", "1", "--size", "8",
                "--tuning-file", dir.resolve("none.json").toString());
        assertEquals(Main.EXIT_USAGE, missing.exitCode());
        assertTrue(missing.err().contains("--tuning-file"), missing.err());
        CliTest.Result badFamily = CliTest.convcl("plan", "--cin", "8", "--cout", "8", "--size", "8", "--kernels", "fpga");
        assertEquals(Main.EXIT_USAGE, badFamily.exitCode());
        assertTrue(badFamily.err().contains("--kernels") && badFamily.err().contains("fpga"), badFamily.err());
    }

    /** The pointwise shape-class key's channel and pixel parts, computed here independently of ShapeClass. */
    private static final class ShapeClassKeys {
        static String pointwise(int cin, int pixels) {
            return bucket("cin", cin, new int[] {16, 32, 64, 128, 256, 512}) + "," + bucket("hw", pixels, new int[] {64, 256, 1024, 4096, 16384});
        }

        private static String bucket(String name, int value, int[] bounds) {
            for (int b : bounds) if (value <= b) return name + "<=" + b;
            return name + ">" + bounds[bounds.length - 1];
        }
    }
}
