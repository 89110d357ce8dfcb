package org.convcl.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PlannerTest {
    private static final DeviceFacts CPU = new DeviceFacts("CPU", 2, 4096, new long[] {4096, 4096, 4096}, 1 << 20);

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of(ConvSpec.pointwise(32, 64), Algorithm.POINTWISE, "GEMM",
                        Map.of("TILE_OC", 12, "VEC", 16, "KSTEP", 4)),
                // fewer output channels than the register block: the block shrinks to fit
                Arguments.of(ConvSpec.pointwise(8, 3), Algorithm.POINTWISE, "3 channels",
                        Map.of("TILE_OC", 3, "VEC", 16, "KSTEP", 4)),
                Arguments.of(ConvSpec.depthwise(16, 1, 3).padding(1).build(), Algorithm.DEPTHWISE, "γ=1",
                        Map.of("KH", 3, "KW", 3, "SH", 1, "SW", 1, "DH", 1, "DW", 1, "DEPTH_MULT", 1, "VEC", 8, "TILE_Y", 4)),
                Arguments.of(ConvSpec.depthwise(8, 3, 5).stride(2).dilation(2, 1).build(), Algorithm.DEPTHWISE, "γ=3",
                        Map.of("KH", 5, "KW", 5, "SH", 2, "SW", 2, "DH", 2, "DW", 1, "DEPTH_MULT", 3, "VEC", 8, "TILE_Y", 4)),
                Arguments.of(ConvSpec.full(3, 32, 3).stride(2).padding(0, 0, 1, 1).build(), Algorithm.IMPLICIT_GEMM,
                        "8 outputs along x", // stride 2 halves the vector: taps are the even lanes of a double load
                        Map.of("KH", 3, "KW", 3, "SH", 2, "SW", 2, "DH", 1, "DW", 1, "TILE_OC", 8, "VEC", 8)),
                Arguments.of(ConvSpec.full(4, 8, 3).groups(2).build(), Algorithm.IMPLICIT_GEMM, "groups=2",
                        Map.of("KH", 3, "KW", 3, "SH", 1, "SW", 1, "DH", 1, "DW", 1, "TILE_OC", 4, "VEC", 16)),
                // 3 output channels per group: too few for a register block, the direct kernel runs
                Arguments.of(ConvSpec.full(4, 6, 3).groups(2).build(), Algorithm.DIRECT, "fewer than 4",
                        Map.of("KH", 3, "KW", 3, "SH", 1, "SW", 1, "DH", 1, "DW", 1, "TILE_OC", 3)),
                // 1x1 with stride 2 is not pointwise: it needs the strided implicit GEMM
                Arguments.of(ConvSpec.full(8, 8, 1).stride(2).build(), Algorithm.IMPLICIT_GEMM, "stride 2x2",
                        Map.of("KH", 1, "KW", 1, "SH", 2, "SW", 2, "DH", 1, "DW", 1, "TILE_OC", 8, "VEC", 8)),
                Arguments.of(ConvSpec.builder(4, 4, 5, 1).padding(2, 0).build(), Algorithm.IMPLICIT_GEMM, "k5x1",
                        Map.of("KH", 5, "KW", 1, "SH", 1, "SW", 1, "DH", 1, "DW", 1, "TILE_OC", 4, "VEC", 16)));
    }

    private static final Map<Algorithm, String> REASON_PREFIX = Map.of(Algorithm.DIRECT, "direct:",
            Algorithm.IMPLICIT_GEMM, "implicit GEMM:", Algorithm.DEPTHWISE, "depthwise:", Algorithm.POINTWISE, "pointwise:");

    @ParameterizedTest
    @MethodSource("table")
    void choosesAlgorithmDefinesAndReason(ConvSpec spec, Algorithm algorithm, String reasonPart, Map<String, Integer> defines) {
        Plan plan = Planner.plan(spec, null, CPU);
        assertEquals(algorithm, plan.algorithm(), spec::toString);
        assertEquals(defines, plan.defines(), spec::toString);
        assertTrue(plan.reason().startsWith("default: " + REASON_PREFIX.get(algorithm)), plan.reason());
        assertTrue(plan.reason().contains(reasonPart), plan.reason());
    }

    @Test
    void definesDoNotDependOnImageSizeButLocalSizeShrinksForSmallImages() {
        ConvSpec spec = ConvSpec.depthwise(8, 1, 3).padding(1).build();
        Plan large = Planner.plan(spec, new Shape(4, 8, 224, 224), CPU);
        Plan small = Planner.plan(spec, new Shape(4, 8, 3, 5), CPU);
        Plan smallFewChannels = Planner.plan(spec, new Shape(1, 8, 3, 5), CPU);
        assertEquals(large.defines(), small.defines());
        assertArrayEquals(new long[] {4, 1, 1}, large.local()); // 28 blocks along x: 4 of one row per group
        assertArrayEquals(new long[] {1, 1, 16}, small.local()); // 1 block per row: 16 (image, channel) planes
        assertArrayEquals(new long[] {1, 1, 8}, smallFewChannels.local()); // only 8 planes
        assertArrayEquals(new long[] {2, 1, 8}, Planner.plan(spec, new Shape(1, 8, 14, 14), CPU).local());
        ConvSpec pw = ConvSpec.pointwise(8, 16);
        assertArrayEquals(new long[] {4, 2, 1}, Planner.plan(pw, new Shape(1, 8, 64, 64), CPU).local());
        assertArrayEquals(new long[] {1, 2, 1}, Planner.plan(pw, new Shape(1, 8, 3, 5), CPU).local()); // 15 pixels: 1 block
    }

    @Test
    void localSizeRespectsDeviceLimits() {
        DeviceFacts tiny = new DeviceFacts("GPU", 1, 16, new long[] {4, 2, 1}, 0);
        ConvSpec spec = ConvSpec.full(8, 8, 3).build();
        long[] local = Planner.plan(spec, new Shape(1, 8, 64, 64), tiny).local();
        assertTrue(local[0] <= 4 && local[1] <= 2 && local[2] <= 1, java.util.Arrays.toString(local));
        DeviceFacts groupLimited = new DeviceFacts("GPU", 1, 8, new long[] {64, 64, 64}, 0);
        long[] l = Planner.plan(spec, new Shape(1, 8, 64, 64), groupLimited).local();
        assertTrue(l[0] * l[1] * l[2] <= 8, java.util.Arrays.toString(l));
    }

    @Test
    void globalSizeCoversEveryOutput() {
        ConvSpec pw = ConvSpec.pointwise(7, 10);
        Plan p = Planner.plan(pw, null, CPU);
        // 5x7 = 35 pixels / 16 -> 3 blocks; 10 channels / 10 (the block shrunk to fit) -> 1 block; batch 3
        assertArrayEquals(new long[] {3, 1, 3}, p.globalSize(pw, new Shape(3, 10, 5, 7)));
        // images under VEC pixels: 3 images x 2x3 pixels = 18 columns of the batch / 16 -> 2 blocks, one grid plane
        assertArrayEquals(new long[] {2, 1, 1}, p.globalSize(pw, new Shape(3, 10, 2, 3)));
        // ... except with a weight matrix per image (Winograd's batched GEMMs): one image per work-item
        java.util.TreeMap<String, Integer> perImage = new java.util.TreeMap<>(p.defines());
        perImage.put(PointwiseDescriptor.WEI_BATCH, 16);
        assertArrayEquals(new long[] {1, 1, 3}, new Plan(p.algorithm(), perImage, p.local(), "per image").globalSize(pw, new Shape(3, 10, 2, 3)));
        ConvSpec dw = ConvSpec.depthwise(4, 2, 3).build();
        // output 6x9: 9 / 8 -> 2 blocks along x; 6 rows / 4 -> 2; one work-item per (image, input channel): 2 x 4
        assertArrayEquals(new long[] {2, 2, 8}, Planner.plan(dw, null, CPU).globalSize(dw, new Shape(2, 8, 6, 9)));
        ConvSpec ig = ConvSpec.full(4, 8, 3).groups(2).build();
        // output 5x20: 20 / 16 -> 2 blocks along x; 5 rows; batch 2 x 2 groups x 1 block of 4 channels
        assertArrayEquals(new long[] {2, 5, 4}, Planner.plan(ig, null, CPU).globalSize(ig, new Shape(2, 8, 5, 20)));
        ConvSpec grouped = ConvSpec.full(6, 9, 3).groups(3).build();
        // 3 output channels per group, TILE_OC 3 -> 1 tile per group; batch 2 x 3 groups
        assertArrayEquals(new long[] {5, 4, 6}, Planner.plan(grouped, null, CPU).globalSize(grouped, new Shape(2, 9, 4, 5)));
    }

    @Test
    void rejectsMissingArgumentsAndBadFacts() {
        assertThrows(IllegalArgumentException.class, () -> Planner.plan(null, null, CPU));
        assertThrows(IllegalArgumentException.class, () -> Planner.plan(ConvSpec.pointwise(1, 1), null, null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DeviceFacts("CPU", 1, 0, new long[] {1, 1, 1}, 0));
        assertTrue(e.getMessage().contains("maxWorkGroupSize"), e.getMessage());
        IllegalArgumentException wrongInput = assertThrows(IllegalArgumentException.class,
                () -> Planner.plan(ConvSpec.pointwise(3, 4), new Shape(1, 5, 4, 4), CPU));
        assertTrue(wrongInput.getMessage().contains("inChannels=3"), wrongInput.getMessage());
    }

    private static final String POCL = DeviceFacts.deviceKey("pthread-skylake-avx512", "3.1+debian");
    private static final DeviceFacts TUNED_CPU = new DeviceFacts("CPU", 2, 4096, new long[] {4096, 4096, 4096}, 1 << 20, POCL);

    @Test
    void tuningHitOverridesTheDefaultsAndSaysTuned() {
        ConvSpec pw = ConvSpec.pointwise(64, 128);
        Shape input = new Shape(1, 64, 56, 56);
        ShapeClass c = ShapeClass.of(Algorithm.POINTWISE, pw, input);
        assertEquals("cin<=64,hw<=4096,n1", c.key());
        TuningTable table = TuningTable.of(List.of(new TuningTable.Entry(POCL, c,
                Map.of("TILE_OC", 16, "VEC", 8, "KSTEP", 4, "L0", 8, "L1", 2), "test")));
        Plan plan = Planner.plan(pw, input, TUNED_CPU, table);
        assertEquals(Map.of("TILE_OC", 16, "VEC", 8, "KSTEP", 4), plan.defines());
        assertArrayEquals(new long[] {8, 2, 1}, plan.local());
        assertTrue(plan.reason().startsWith("tuned [cin<=64,hw<=4096,n1]: pointwise: GEMM per image, 16 channels x 8 pixels"), plan.reason());
        // the grid follows the tuned block: 3136 pixels / 8, 128 channels / 16
        assertArrayEquals(new long[] {392, 8, 1}, plan.globalSize(pw, pw.outputShape(input)));
    }

    @Test
    void tuningMissKeepsTheDefaultsAndSaysDefault() {
        ConvSpec pw = ConvSpec.pointwise(64, 128);
        Shape input = new Shape(1, 64, 56, 56);
        TuningTable table = TuningTable.of(List.of(new TuningTable.Entry(POCL, ShapeClass.of(Algorithm.POINTWISE, pw, input),
                Map.of("TILE_OC", 16, "VEC", 8, "KSTEP", 4, "L0", 8, "L1", 2), "test")));
        Plan untuned = Planner.plan(pw, input, TUNED_CPU, TuningTable.EMPTY);
        assertTrue(untuned.reason().startsWith("default: pointwise:"), untuned.reason());
        // another shape class (batch 8), another device, or no input yet: all defaults
        for (Plan p : List.of(Planner.plan(pw, new Shape(8, 64, 56, 56), TUNED_CPU, table),
                Planner.plan(pw, input, CPU, table), Planner.plan(pw, null, TUNED_CPU, table))) {
            assertEquals(Map.of("TILE_OC", 12, "VEC", 16, "KSTEP", 4), p.defines(), p.reason());
            assertTrue(p.reason().startsWith("default: pointwise:"), p.reason());
        }
        assertEquals(untuned, Planner.plan(pw, input, CPU, table));
    }

    @Test
    void tunedDepthwiseAndImplicitGemmEntriesShapeDefinesAndLocalSize() {
        ConvSpec dw = ConvSpec.depthwise(32, 1, 3).padding(1).build();
        Shape dwIn = new Shape(1, 32, 28, 28);
        ConvSpec ig = ConvSpec.full(16, 32, 3).stride(2).padding(1).build();
        Shape igIn = new Shape(1, 16, 28, 28);
        TuningTable table = TuningTable.of(List.of(
                new TuningTable.Entry(POCL, ShapeClass.of(Algorithm.DEPTHWISE, dw, dwIn), Map.of("VEC", 16, "TILE_Y", 2, "L0", 2, "GROUP", 16), ""),
                new TuningTable.Entry(POCL, ShapeClass.of(Algorithm.IMPLICIT_GEMM, ig, igIn), Map.of("TILE_OC", 4, "VEC", 8, "L0", 1, "L1", 2, "L2", 8), "")));
        Plan d = Planner.plan(dw, dwIn, TUNED_CPU, table);
        assertEquals(16, d.define("VEC"));
        assertEquals(2, d.define("TILE_Y"));
        assertArrayEquals(new long[] {2, 1, 1}, d.local()); // 2 blocks of 16 along a 28-wide row
        assertTrue(d.reason().startsWith("tuned [k3x3,s1x1,hw<=1024,n1]: depthwise:"), d.reason());
        Plan g = Planner.plan(ig, igIn, TUNED_CPU, table);
        assertEquals(4, g.define("TILE_OC"));
        assertArrayEquals(new long[] {1, 2, 8}, g.local());
        assertTrue(g.reason().startsWith("tuned [k3x3,s2x2,cin<=16,hw<=256,n1]: implicit GEMM:"), g.reason());
    }

    @Test
    void tunedEntryThatDoesNotFitTheSpecFallsBackToTheDefaults() {
        // a hand-edited entry with VEC 16 for a stride-2 class: the kernel would not compile, the planner refuses it
        ConvSpec dw = ConvSpec.depthwise(32, 1, 3).stride(2).padding(1).build();
        Shape in = new Shape(1, 32, 56, 56);
        TuningTable table = TuningTable.of(List.of(new TuningTable.Entry(POCL, ShapeClass.of(Algorithm.DEPTHWISE, dw, in),
                Map.of("VEC", 16, "TILE_Y", 2, "L0", 2, "GROUP", 16), "")));
        Plan p = Planner.plan(dw, in, TUNED_CPU, table);
        assertEquals(8, p.define("VEC"));
        assertTrue(p.reason().startsWith("default [tuned entry for k3x3,s2x2,hw<=1024,n1 does not fit: VEC 16"), p.reason());
        assertThrows(IllegalArgumentException.class, () -> Planner.plan(dw, in, TUNED_CPU, null));
    }

    // ---- the GPU family: its kernels first, every plan checked against the device's limits, tuning by device class

    private static final String NVIDIA = "NVIDIA Corporation";
    private static final String H200 = DeviceFacts.deviceKey("NVIDIA H200", "570.00");

    /** A GPU with {@code localMem} bytes of local memory and {@code maxGroup} items per work-group. */
    private static DeviceFacts gpu(long localMem, long maxGroup) {
        return new DeviceFacts("GPU", NVIDIA, KernelFamily.GPU, 132, maxGroup, new long[] {maxGroup, maxGroup, 64}, localMem, H200);
    }

    private static final ConvSpec PW = ConvSpec.pointwise(128, 128);
    private static final Shape PW_IN = new Shape(1, 128, 56, 56);

    @Test
    void theGpuFamilyPlansPointwiseLayersOnItsKernelWithWorkGroupsOfAtLeast64Items() {
        Plan plan = Planner.plan(PW, PW_IN, gpu(48 * 1024, 1024));
        assertEquals(Algorithm.POINTWISE_GPU, plan.algorithm());
        assertArrayEquals(new long[] {16, 16, 1}, plan.local());
        assertArrayEquals(new long[] {49 * 16, 2 * 16, 1}, plan.globalSize(PW, PW.outputShape(PW_IN))); // 3136 / 64, 128 / 64
        assertEquals("default [no tuning for " + H200 + ", vendor:NVIDIA Corporation GPU, type:GPU | pointwise_gpu cin<=128,hw<=4096,n1]: "
                + "pointwise GPU: GEMM per image, work-groups of 256 items each computing 64 channels x 64 pixels (4x4 per item), "
                + "K slices of 16 staged in 8256 bytes of local memory", plan.reason());
        // the same device with the CPU family forced keeps the CPU kernel
        assertEquals(Algorithm.POINTWISE, Planner.plan(PW, PW_IN, gpu(48 * 1024, 1024).withFamily(KernelFamily.CPU)).algorithm());
        // Winograd's GEMMs run on the GPU kernel too
        ConvSpec full = ConvSpec.full(128, 128, 3).padding(1).build();
        Plan winograd = Planner.plan(full, PW_IN, gpu(48 * 1024, 1024));
        assertEquals(Algorithm.WINOGRAD_GPU, winograd.algorithm());
        assertEquals("conv2d_pointwise_gpu", winograd.kernels(full).get(3).entryPoint());
        assertEquals(16, winograd.kernels(full).get(3).defines().get(PointwiseDescriptor.WEI_BATCH));
    }

    @Test
    void aGpuKernelThatDoesNotFitTheLocalMemoryFallsBackToTheNextKernelOfTheRegistryAndSaysWhy() {
        DeviceFacts small = gpu(4096, 1024);
        Plan plan = Planner.plan(PW, PW_IN, small);
        assertEquals(Algorithm.POINTWISE, plan.algorithm());
        assertTrue(plan.reason().contains("[POINTWISE_GPU does not fit: local memory 8256 bytes exceeds the device's 4096; "
                + "fell back to POINTWISE]: pointwise: GEMM"), plan.reason());
        Plan winograd = Planner.plan(ConvSpec.full(128, 128, 3).padding(1).build(), PW_IN, small);
        assertEquals(Algorithm.WINOGRAD, winograd.algorithm());
        assertTrue(winograd.reason().contains("WINOGRAD_GPU does not fit: its GEMM kernel POINTWISE_GPU: local memory 8256 bytes"),
                winograd.reason());
        // forcing a kernel that does not fit is an error naming what does not fit
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Planner.plan(PW, PW_IN, small, TuningTable.EMPTY, Algorithm.POINTWISE_GPU));
        assertTrue(e.getMessage().contains("POINTWISE_GPU does not fit") && e.getMessage().contains("local memory 8256 bytes"), e.getMessage());
    }

    @Test
    void aGpuKernelWhoseWorkGroupExceedsTheDeviceLimitFallsBackInsteadOfBeingShrunk() {
        Plan plan = Planner.plan(PW, PW_IN, gpu(48 * 1024, 128));
        assertEquals(Algorithm.POINTWISE, plan.algorithm());
        assertTrue(plan.reason().contains("POINTWISE_GPU does not fit: work-group of 256 items exceeds the device's limit of 128"), plan.reason());
        DeviceFacts narrow = new DeviceFacts("GPU", NVIDIA, KernelFamily.GPU, 132, 1024, new long[] {8, 1024, 64}, 48 * 1024, H200);
        Plan perDim = Planner.plan(PW, PW_IN, narrow);
        assertEquals(Algorithm.POINTWISE, perDim.algorithm());
        assertTrue(perDim.reason().contains("local size 16x16 exceeds the device's per-dimension limits 8x1024"), perDim.reason());
    }

    @Test
    void aTunedGpuEntryThatDoesNotFitTheDeviceGivesWayToTheDefaults() {
        DeviceFacts device = gpu(16 * 1024, 1024);
        ShapeClass c = ShapeClass.of(Algorithm.POINTWISE_GPU, PW, PW_IN);
        Map<String, Integer> big = Map.of("TILE_M", 64, "TILE_N", 64, "TILE_K", 32, "L0", 16, "L1", 16); // 16 512 bytes
        Plan plan = Planner.plan(PW, PW_IN, device, TuningTable.of(List.of(new TuningTable.Entry(H200, c, big, "too big"))));
        assertEquals(Algorithm.POINTWISE_GPU, plan.algorithm());
        assertEquals(16, plan.define("TILE_K"));
        assertTrue(plan.reason().startsWith("default [tuned entry for " + H200 + " | pointwise_gpu cin<=128,hw<=4096,n1 does not fit: "
                + "local memory 16512 bytes exceeds the device's 16384]"), plan.reason());
        Map<String, Integer> ragged = Map.of("TILE_M", 64, "TILE_N", 32, "TILE_K", 16, "L0", 16, "L1", 16); // 2 pixels per item: fits
        Map<String, Integer> uneven = Map.of("TILE_M", 64, "TILE_N", 64, "TILE_K", 1, "L0", 16, "L1", 16); // 64 elements for 256 items
        assertTrue(Algorithm.POINTWISE_GPU.descriptor().misfit(PW, ragged, device).isEmpty());
        assertTrue(Algorithm.POINTWISE_GPU.descriptor().misfit(PW, uneven, device).orElseThrow().contains("do not divide the tiles"));
    }

    @Test
    void tuningFallsBackFromTheDeviceToItsVendorAndTypeToItsTypeToTheDefaults() {
        DeviceFacts device = gpu(48 * 1024, 1024);
        ShapeClass c = ShapeClass.of(Algorithm.POINTWISE_GPU, PW, PW_IN);
        assertEquals(List.of(H200, "vendor:NVIDIA Corporation GPU", "type:GPU"), TuningTable.lookupKeys(device));
        TuningTable.Entry exact = new TuningTable.Entry(H200, c, Map.of("TILE_M", 128, "TILE_N", 64, "TILE_K", 16, "L0", 16, "L1", 16), "");
        TuningTable.Entry vendor = new TuningTable.Entry(TuningTable.vendorKey(NVIDIA, "GPU"), c,
                Map.of("TILE_M", 64, "TILE_N", 128, "TILE_K", 16, "L0", 16, "L1", 16), "");
        TuningTable.Entry type = new TuningTable.Entry(TuningTable.typeKey("GPU"), c,
                Map.of("TILE_M", 64, "TILE_N", 64, "TILE_K", 8, "L0", 16, "L1", 16), "");
        TuningTable.Entry otherVendor = new TuningTable.Entry(TuningTable.vendorKey("Advanced Micro Devices, Inc.", "GPU"), c,
                Map.of("TILE_M", 32, "TILE_N", 32, "TILE_K", 16, "L0", 8, "L1", 8), "");
        TuningTable all = TuningTable.of(List.of(exact, vendor, type, otherVendor));
        Plan p1 = Planner.plan(PW, PW_IN, device, all);
        assertEquals(128, p1.define("TILE_M"));
        assertTrue(p1.reason().startsWith("tuned [" + H200 + " | pointwise_gpu cin<=128,hw<=4096,n1]: "), p1.reason());
        Plan p2 = Planner.plan(PW, PW_IN, device, all.without(exact.key()));
        assertEquals(128, p2.define("TILE_N"));
        assertTrue(p2.reason().startsWith("tuned [vendor:NVIDIA Corporation GPU | pointwise_gpu cin<=128,hw<=4096,n1]: "), p2.reason());
        Plan p3 = Planner.plan(PW, PW_IN, device, all.without(exact.key()).without(vendor.key()));
        assertEquals(8, p3.define("TILE_K"));
        assertTrue(p3.reason().startsWith("tuned [type:GPU | pointwise_gpu cin<=128,hw<=4096,n1]: "), p3.reason());
        Plan p4 = Planner.plan(PW, PW_IN, device, TuningTable.of(List.of(otherVendor)));
        assertEquals(Tunables.defaults(Algorithm.POINTWISE_GPU, PW), p4.defines());
        assertTrue(p4.reason().startsWith("default [no tuning for "), p4.reason());
        // a device of unknown vendor skips the vendor key; a CPU's type key never serves a GPU
        DeviceFacts anonymous = new DeviceFacts("GPU", 8, 256, new long[] {256, 256, 64}, 32 * 1024);
        assertEquals(List.of(DeviceFacts.UNKNOWN_DEVICE, "type:GPU"), TuningTable.lookupKeys(anonymous));
        assertEquals(8, Planner.plan(PW, PW_IN, anonymous, all).define("TILE_K"));
        TuningTable.Entry cpuType = new TuningTable.Entry(TuningTable.typeKey("CPU"), c,
                Map.of("TILE_M", 32, "TILE_N", 32, "TILE_K", 16, "L0", 8, "L1", 8), "");
        assertEquals(16, Planner.plan(PW, PW_IN, anonymous, TuningTable.of(List.of(cpuType))).define("TILE_K"));
        assertEquals(64, Planner.plan(PW, PW_IN, anonymous, TuningTable.of(List.of(cpuType))).define("TILE_M"));
    }

    @Test
    void theCpuFamilyUsesDeviceClassEntriesTooAndNamesTheKeyOnlyWhenItIsNotTheDevicesOwn() {
        ConvSpec pw = ConvSpec.pointwise(64, 128);
        Shape input = new Shape(1, 64, 56, 56);
        TuningTable table = TuningTable.of(List.of(new TuningTable.Entry(TuningTable.typeKey("CPU"),
                ShapeClass.of(Algorithm.POINTWISE, pw, input), Map.of("TILE_OC", 16, "VEC", 8, "KSTEP", 4, "L0", 8, "L1", 2), "")));
        Plan plan = Planner.plan(pw, input, TUNED_CPU, table);
        assertEquals(16, plan.define("TILE_OC"));
        assertTrue(plan.reason().startsWith("tuned [type:CPU | pointwise cin<=64,hw<=4096,n1]: pointwise:"), plan.reason());
        assertTrue(TuningTable.isClassKey("vendor:x CPU") && TuningTable.isClassKey("type:CPU") && !TuningTable.isClassKey(POCL));
        assertEquals(1, table.forDevice(POCL).size(), "a device's table keeps the device-class entries");
    }
}
