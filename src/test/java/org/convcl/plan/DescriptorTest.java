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
