package org.convcl.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.junit.jupiter.api.Test;

/** The descriptors and registries: the walk, the setting's reach, and what the launches of a plan say. */
class DescriptorTest {
    private static final DeviceFacts CPU = new DeviceFacts("CPU", 2, 4096, new long[] {4096, 4096, 4096}, 512 * 1024);
    private static final DeviceFacts GPU = new DeviceFacts("GPU", 8, 256, new long[] {256, 256, 64}, 32 * 1024);

    @Test
    void eachRegistryListsItsAlgorithmsOnceAndTogetherEveryOneAndEndsWithOneThatTakesEverySpec() {
        EnumSet<Algorithm> listed = EnumSet.noneOf(Algorithm.class);
        for (KernelFamily family : KernelFamily.values()) {
            List<Algorithm> registry = Planner.registry(family);
            assertEquals(registry.size(), EnumSet.copyOf(registry).size(), family + " registry lists an algorithm twice: " + registry);
            listed.addAll(registry);
            AlgorithmDescriptor last = registry.get(registry.size() - 1).descriptor();
            for (ConvSpec spec : List.of(ConvSpec.pointwise(3, 5), ConvSpec.depthwise(4, 3, 5).stride(2).build(),
                    ConvSpec.full(6, 2, 3).groups(2).dilation(2).build())) {
                assertEquals(Optional.empty(), last.declines(spec, GPU), spec::toString);
                assertEquals(Optional.empty(), last.passesOver(spec, GPU), spec::toString);
            }
        }
        assertEquals(EnumSet.allOf(Algorithm.class), listed, "algorithms in no registry");
    }

    @Test
    void theFamilyComesFromTheDeviceTypeUnlessForced() {
        assertEquals(KernelFamily.CPU, CPU.family());
        assertEquals(KernelFamily.GPU, GPU.family());
        assertEquals(KernelFamily.GPU, KernelFamily.forDeviceType("ACCELERATOR"));
        assertEquals(KernelFamily.GPU, CPU.withFamily(KernelFamily.GPU).family());
        assertEquals(CPU, CPU.withFamily(null));
        assertNull(KernelFamily.parseOrAuto("AUTO", "convcl.kernels"));
        assertEquals(KernelFamily.GPU, KernelFamily.parseOrAuto(" gpu", "convcl.kernels"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelFamily.parseOrAuto("fpga", "convcl.kernels"));
        assertTrue(e.getMessage().contains("convcl.kernels") && e.getMessage().contains("'fpga'"), e.getMessage());
    }

    @Test
    void theWalkSkipsDescriptorsThatDeclineOrPassOverAndTheDeviceReachesThem() {
        // a GPU-only descriptor before a catch-all one: the device type decides, as a GPU family variant will
        KernelDescriptor<String> gpuOnly = new Fake(d -> d.type().equals("GPU") ? Optional.empty() : Optional.of("needs a GPU"), Optional.empty());
        KernelDescriptor<String> notPicked = new Fake(d -> Optional.empty(), Optional.of("measured slower"));
        KernelDescriptor<String> any = new Fake(d -> Optional.empty(), Optional.empty());
        List<KernelDescriptor<String>> registry = List.of(notPicked, gpuOnly, any);
        assertEquals(Optional.of(gpuOnly), KernelDescriptor.firstChoice(registry, d -> d, "x", GPU));
        assertEquals(Optional.of(any), KernelDescriptor.firstChoice(registry, d -> d, "x", CPU));
        assertEquals(Optional.empty(), KernelDescriptor.firstChoice(List.of(notPicked, gpuOnly), d -> d, "x", CPU));
    }

    private record Fake(java.util.function.Function<DeviceFacts, Optional<String>> declines, Optional<String> passes)
            implements KernelDescriptor<String> {
        @Override
        public Optional<String> declines(String subject, DeviceFacts device) { return declines.apply(device); }

        @Override
        public Optional<String> passesOver(String subject, DeviceFacts device) { return passes; }

        @Override
        public String kernelFile() { return "fake.cl"; }
    }

    @Test
    void theAlgorithmSettingReachesOnlyFullAndGroupedSpecsItCanRun() {
        ConvSpec full = ConvSpec.full(8, 16, 3).padding(1).build();
        assertEquals(Algorithm.WINOGRAD, Planner.settingFor(Algorithm.WINOGRAD, full, CPU));
        assertEquals(Algorithm.DIRECT, Planner.settingFor(Algorithm.DIRECT, ConvSpec.full(8, 16, 3).groups(2).build(), CPU));
        assertNull(Planner.settingFor(Algorithm.WINOGRAD, ConvSpec.full(8, 16, 3).stride(2).build(), CPU), "Winograd declines stride 2");
        assertNull(Planner.settingFor(Algorithm.IMPLICIT_GEMM, ConvSpec.pointwise(8, 8), CPU), "pointwise layers keep their kernel");
        assertNull(Planner.settingFor(Algorithm.DIRECT, ConvSpec.depthwise(8, 1, 3).build(), CPU), "depthwise layers keep their kernel");
        assertNull(Planner.settingFor(null, full, CPU));
        // forcing goes through the planner's one function: forced in the reason, refused with the descriptor's reason
        assertTrue(Planner.plan(full, null, CPU, TuningTable.EMPTY, Algorithm.WINOGRAD).reason().startsWith("forced default: winograd"));
        assertEquals("algorithm DEPTHWISE cannot run " + full + " (the depthwise kernel needs groups == inChannels)",
                assertThrows(IllegalArgumentException.class, () -> Planner.plan(full, null, CPU, TuningTable.EMPTY, Algorithm.DEPTHWISE))
                        .getMessage());
    }

    @Test
    void aSingleKernelPlanLaunchesOnceWithTheStandardArgumentsWithinTheKernelLimit() {
        ConvSpec spec = ConvSpec.full(4, 8, 3).stride(2).padding(1, 0, 1, 2).groups(2).build();
        Shape input = new Shape(2, 4, 9, 11);
        Shape out = spec.outputShape(input);
        Plan plan = Planner.plan(spec, input, CPU);
        assertEquals(List.of(new Launch.Kernel("conv2d_igemm.cl", "conv2d_igemm", plan.defines(), true)), plan.kernels(spec));
        List<Launch> launches = plan.launches(spec, input, CPU, new long[] {4096});
        assertEquals(1, launches.size());
        Launch l = launches.get(0);
        assertEquals(Launch.args(List.of(Launch.Role.INPUT, Launch.Role.WEIGHTS, Launch.Role.BIAS, Launch.Role.OUTPUT),
                2, 4, 9, 11, 8, out.h(), out.w(), 2, 1, 0), l.args());
        assertEquals(List.of(plan.globalSize(spec, out)[0], plan.globalSize(spec, out)[1], plan.globalSize(spec, out)[2]),
                List.of(l.global()[0], l.global()[1], l.global()[2]));
        assertEquals(List.of(plan.local()[0], plan.local()[1], plan.local()[2]), List.of(l.local()[0], l.local()[1], l.local()[2]));
        // a kernel that allows fewer work-items than the plan's local size: the local size shrinks to fit it
        long[] small = plan.launches(spec, input, CPU, new long[] {2}).get(0).local();
        assertTrue(small[0] * small[1] * small[2] <= 2, java.util.Arrays.toString(small));
    }

    /** Oclgrind's limits in the memory-checker tier: 256 work-items, 16 KiB of local memory. */
    private static final DeviceFacts SMALL_GPU = new DeviceFacts("GPU", 1, 256, new long[] {256, 256, 256}, 16 * 1024);

    @Test
    void theGpuFamilyPicksItsOwnDepthwiseAndImplicitGemmAndTheCpuFamilyIsUnchanged() {
        ConvSpec dw = ConvSpec.depthwise(32, 1, 3).stride(2).padding(1).build();
        ConvSpec full = ConvSpec.full(32, 64, 3).padding(1).build();
        ConvSpec narrow = ConvSpec.full(6, 6, 3).groups(2).build(); // 3 output channels per group
        assertEquals(Algorithm.DEPTHWISE_GPU, Planner.algorithm(dw, GPU));
        assertEquals(Algorithm.IMPLICIT_GEMM_GPU, Planner.algorithm(full, GPU));
        assertEquals(Algorithm.DIRECT, Planner.algorithm(narrow, GPU));
        assertEquals(Algorithm.DEPTHWISE, Planner.algorithm(dw, CPU));
        assertEquals(Algorithm.WINOGRAD, Planner.algorithm(ConvSpec.full(128, 128, 3).padding(1).build(), CPU));
        assertEquals(Algorithm.DEPTHWISE_GPU, Planner.algorithm(dw, CPU.withFamily(KernelFamily.GPU)));
        assertEquals("the GPU depthwise kernel needs groups == inChannels",
                Algorithm.DEPTHWISE_GPU.descriptor().declines(full, GPU).orElseThrow());
        assertEquals(Optional.of("pointwise layers run on a pointwise kernel"),
                Algorithm.IMPLICIT_GEMM_GPU.descriptor().passesOver(ConvSpec.pointwise(8, 8), GPU));
        // forcing runs them on any device (a CPU one included), whatever its family
        assertEquals(Algorithm.IMPLICIT_GEMM_GPU, Planner.plan(dw, null, CPU, TuningTable.EMPTY, Algorithm.IMPLICIT_GEMM_GPU).algorithm());
    }

    @Test
    void gpuFamilyPlansKeepTheirWorkGroupAndLaunchWholeWorkGroups() {
        ConvSpec dw = ConvSpec.depthwise(5, 3, 3).stride(2).padding(1).build();
        Shape dwIn = new Shape(3, 5, 37, 70);
        Plan p = Planner.plan(dw, dwIn, GPU);
        assertEquals(List.of(16L, 8L, 1L), longs(p.local()), "the depthwise work-group is its defines', not trimmed for the image");
        assertEquals(List.of(16L, 8L, 1L), longs(Planner.plan(dw, new Shape(1, 5, 3, 3), GPU).local()));
        Shape out = dw.outputShape(dwIn); // 19 x 35: 2 tiles along x, 2 along y, 15 planes
        assertEquals(List.of(2L * 16, 2L * 8, 15L), longs(p.globalSize(dw, out)));
        Launch l = p.launches(dw, dwIn, GPU, new long[] {256}).get(0);
        assertEquals(longs(p.local()), longs(l.local()));
        for (int i = 0; i < 3; i++) assertEquals(0, l.global()[i] % l.local()[i], "dimension " + i + " of " + longs(l.global()));
        // a compiled kernel that allows fewer work-items than the fixed work-group: refused, not shrunk
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.launches(dw, dwIn, GPU, new long[] {64}));
        assertTrue(e.getMessage().contains("128 items (16x8x1) exceeds the compiled kernel's limit of 64"), e.getMessage());

        ConvSpec full = ConvSpec.full(6, 40, 3).groups(2).stride(2).padding(1).build();
        Shape in = new Shape(2, 6, 11, 13);
        Plan g = Planner.plan(full, in, GPU);
        assertEquals(Algorithm.IMPLICIT_GEMM_GPU, g.algorithm());
        assertEquals(32, g.define("TM"), "20 output channels per group: a 32-channel tile");
        assertEquals(List.of(16L, 16L, 1L), longs(g.local()));
        Shape gOut = full.outputShape(in); // 6 x 7 pixels x 2 images = 84: 2 pixel tiles of 64
        assertEquals(List.of(2L * 16, 16L, 2L), longs(g.globalSize(full, gOut)));
    }

    @Test
    void gpuFamilyMisfitNamesTheLimitItExceeds() {
        ConvSpec dw = ConvSpec.depthwise(8, 1, 3).stride(2).padding(1).build();
        AlgorithmDescriptor d = Algorithm.DEPTHWISE_GPU.descriptor();
        assertEquals(Optional.empty(), d.misfit(dw, d.defaults(dw), SMALL_GPU));
        java.util.Map<String, Integer> wide = new java.util.TreeMap<>(d.defaults(dw));
        wide.put("RX", 8); // 128 x 16 outputs at stride 2: 257 x 33 inputs
        assertEquals(Optional.of((257L * 33 * 4) + " bytes of local memory exceed the device's 16384"), d.misfit(dw, wide, SMALL_GPU));
        DeviceFacts narrow = new DeviceFacts("GPU", 1, 64, new long[] {64, 64, 64}, 48 * 1024);
        assertEquals(Optional.of("a work-group of 128 items (16x8x1) exceeds the device's limit of 64"), d.misfit(dw, d.defaults(dw), narrow));
        java.util.Map<String, Integer> planes = new java.util.TreeMap<>(d.defaults(dw));
        planes.putAll(java.util.Map.of("WG_X", 4, "WG_Y", 4, "WG_C", 8));
        DeviceFacts flat = new DeviceFacts("GPU", 1, 256, new long[] {256, 256, 4}, 48 * 1024);
        assertTrue(d.misfit(dw, planes, flat).orElseThrow().contains("per-dimension limits [256, 256, 4] in dimension 2"));

        ConvSpec full = ConvSpec.full(16, 64, 3).padding(1).build();
        AlgorithmDescriptor g = Algorithm.IMPLICIT_GEMM_GPU.descriptor();
        assertEquals(Optional.empty(), g.misfit(full, g.defaults(full), SMALL_GPU));
        java.util.Map<String, Integer> deep = new java.util.TreeMap<>(g.defaults(full));
        deep.put("TK", 32); // 32 x 65 + 32 x 64 floats and the flag
        assertEquals(Optional.of((32L * 65 + 32 * 64) * 4 + 4 + " bytes of local memory exceed the device's 16384"),
                g.misfit(full, deep, SMALL_GPU));
        java.util.Map<String, Integer> uneven = new java.util.TreeMap<>(g.defaults(full));
        uneven.put("RM", 3);
        assertEquals(Optional.of("RM 3 must divide TM 64 and RN 4 must divide TN 64"), g.misfit(full, uneven, SMALL_GPU));
        java.util.Map<String, Integer> few = new java.util.TreeMap<>(g.defaults(full));
        few.putAll(java.util.Map.of("TM", 16, "RM", 4)); // 16 x 4 = 64 work-items for a 64-pixel tile: fits
        assertEquals(Optional.empty(), g.misfit(full, few, SMALL_GPU));
        few.putAll(java.util.Map.of("TM", 8, "RM", 4)); // 16 x 2 = 32 work-items cannot stage 64 pixel columns
        assertEquals(Optional.of("the work-group of 32 items must be a multiple of TN 64"), g.misfit(full, few, SMALL_GPU));
    }

    @Test
    void everyGpuFamilyParameterSetTheTunerTriesIsValidAndFitsTheMemoryCheckerTier() {
        for (ConvSpec spec : List.of(ConvSpec.depthwise(8, 3, 3).stride(2).padding(1).build(), ConvSpec.full(8, 70, 3).stride(2).build(),
                ConvSpec.full(8, 12, 3).groups(2).dilation(2).build())) {
            for (Algorithm a : List.of(Algorithm.DEPTHWISE_GPU, Algorithm.IMPLICIT_GEMM_GPU)) {
                if (!Planner.runs(a, spec, GPU) || (a == Algorithm.DEPTHWISE_GPU) != (spec.kind() == ConvSpec.Kind.DEPTHWISE)) continue;
                List<java.util.SortedMap<String, Integer>> sets = new java.util.ArrayList<>(Tunables.candidates(a, spec));
                sets.add(Tunables.defaults(a, spec));
                assertTrue(sets.size() >= 7, a + " has " + sets.size() + " parameter sets");
                for (java.util.SortedMap<String, Integer> params : sets) {
                    Tunables.validate(a, params);
                    assertEquals(Optional.empty(), a.descriptor().misfit(spec, params, SMALL_GPU), a + " " + spec + " " + params);
                    long[] local = a.descriptor().local(spec, null, params);
                    long items = local[0] * local[1] * local[2];
                    assertTrue(items >= 64 && items <= 256, a + " " + params + ": " + items + " work-items");
                }
            }
        }
        // a tuning file entry for each parses and validates
        String json = "{\"format\": \"convcl-tuning-1\", \"entries\": ["
                + "{\"device\": \"d | 1\", \"algorithm\": \"DEPTHWISE_GPU\", \"class\": \"k3x3,s1x1,hw<=64,n1\", "
                + "\"params\": {\"RX\": 2, \"RY\": 2, \"WG_C\": 8, \"WG_X\": 4, \"WG_Y\": 4}},"
                + "{\"device\": \"d | 1\", \"algorithm\": \"IMPLICIT_GEMM_GPU\", \"class\": \"k3x3,s1x1,cin<=64,hw<=64,n1\", "
                + "\"params\": {\"RM\": 4, \"RN\": 4, \"TK\": 8, \"TM\": 64, \"TN\": 64}}]}";
        assertEquals(2, TuningJson.parse(json, "test").size());
    }

    private static List<Long> longs(long[] a) {
        return java.util.Arrays.stream(a).boxed().toList();
    }

    @Test
    void winogradDescribesItsFourLaunchesUploadsAndScratch() {
        ConvSpec spec = ConvSpec.full(128, 128, 3).padding(1).build();
        Shape input = new Shape(2, 128, 7, 9);
        Plan plan = Planner.plan(spec, input, GPU.withFamily(KernelFamily.CPU));
        assertEquals(Algorithm.WINOGRAD, plan.algorithm());
        List<Launch.Kernel> kernels = plan.kernels(spec);
        assertEquals(List.of("conv2d_winograd_input", "conv2d_winograd_output", "conv2d_winograd_fixup", "conv2d_pointwise"),
                kernels.stream().map(Launch.Kernel::entryPoint).toList());
        assertEquals(List.of(true, true, true, false), kernels.stream().map(Launch.Kernel::epilogue).toList());
        assertEquals(Winograd.POSITIONS, kernels.get(3).defines().get(PointwiseDescriptor.WEI_BATCH));
        List<Launch> launches = plan.launches(spec, input, GPU, new long[] {256, 256, 256, 256});
        assertEquals(List.of(0, 3, 1, 2), launches.stream().map(Launch::kernel).toList(), "input transform, GEMM, output transform, fixup");
        for (Launch l : launches) {
            long items = 1;
            for (long v : l.local()) items *= v;
            assertTrue(items <= 256, java.util.Arrays.toString(l.local()));
        }
        assertEquals(List.of(Launch.Role.TRANSFORMED_WEIGHTS, Launch.Role.WEIGHTS),
                plan.descriptor().uploads(spec, new float[spec.weightCount()]).stream().map(Launch.Upload::role).toList());
        Shape out = spec.outputShape(input);
        int tiles = Winograd.tilesY(out) * Winograd.tilesX(out);
        assertEquals(List.of(4L * 2 * 16 * 128 * tiles, 4L * 2 * 16 * 128 * tiles, 4L * 2 * tiles),
                plan.descriptor().scratch(spec, out).stream().map(Launch.Scratch::bytes).toList());
    }

    @Test
    void theDsblockDescriptorLaunchesItsGridWithTheStripArguments() {
        var block = org.convcl.SeparableBlock.mobilenet(32, 64, 1);
        BlockDescriptor d = BlockPlanner.CPU_REGISTRY.get(0);
        Shape input = new Shape(1, 32, 56, 56);
        DsBlockDescriptor.Grid grid = DsBlockDescriptor.tiling(block, CPU).grid(block.outputShape(input), CPU.computeUnits());
        Launch l = d.launch(block, CPU, input);
        assertEquals(List.of(grid.global()[0], grid.global()[1], grid.global()[2]), List.of(l.global()[0], l.global()[1], l.global()[2]));
        assertEquals(Launch.args(List.of(Launch.Role.INPUT, Launch.Role.DEPTHWISE_WEIGHTS, Launch.Role.DEPTHWISE_BIAS,
                        Launch.Role.WEIGHTS, Launch.Role.BIAS, Launch.Role.OUTPUT), 1, 32, 56, 56, 64, 56, 56, 1, 1,
                grid.channelsPerItem(), grid.stripLength(), grid.stripsPerItem(), grid.streamOutput() ? 1 : 0), l.args());
        assertEquals("conv2d_dsblock.cl", d.kernelFile());
    }
}
