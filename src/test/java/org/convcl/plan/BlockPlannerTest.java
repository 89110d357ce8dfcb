package org.convcl.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.convcl.BlockMode;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.junit.jupiter.api.Test;

/** The fused-vs-unfused rule ({@link BlockPlanner}) and the dsblock kernel's tiling and grid ({@link DsBlockDescriptor}), as a table of cases. */
class BlockPlannerTest {
    /** The fused kernel a FUSED OpenCL choice names. */
    private static final BlockDescriptor DSBLOCK = BlockPlanner.CPU_REGISTRY.get(0);
    private static final DeviceFacts POCL = new DeviceFacts("CPU", 2, 4096, new long[] {4096, 4096, 4096}, 1 << 20);

    @Test
    void choices() {
        SeparableBlock small = SeparableBlock.mobilenet(32, 64, 1);
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, "requested", null), BlockPlanner.chooseOpenCl(small, BlockMode.UNFUSED, POCL));
        assertEquals(new BlockPlanner.Choice(BlockMode.FUSED, "requested", DSBLOCK), BlockPlanner.chooseOpenCl(small, BlockMode.FUSED, POCL));
        // AUTO on OpenCL: fused up to 256 intermediate channels, either stride.
        assertEquals(new BlockPlanner.Choice(BlockMode.FUSED, "fused: at most 256 intermediate channels, where the fused "
                + "kernel measured faster", DSBLOCK), BlockPlanner.chooseOpenCl(small, BlockMode.AUTO, POCL));
        assertEquals(BlockMode.FUSED, BlockPlanner.chooseOpenCl(SeparableBlock.mobilenet(128, 256, 2), BlockMode.AUTO, POCL).mode());
        assertEquals(BlockMode.FUSED, BlockPlanner.chooseOpenCl(SeparableBlock.mobilenet(256, 512, 2), BlockMode.AUTO, POCL).mode());
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, "unfused: 512 intermediate channels > 256, where the fused "
                + "kernel measured slower on small outputs", null),
                BlockPlanner.chooseOpenCl(SeparableBlock.mobilenet(512, 512, 1), BlockMode.AUTO, POCL));
        // γ 2 doubles the intermediate channels: 160 inputs -> 320 > 256.
        assertEquals(BlockMode.UNFUSED, BlockPlanner.chooseOpenCl(SeparableBlock.builder(160, 160).depthMultiplier(2)
                .padding(1).build(), BlockMode.AUTO, POCL).mode());
        // AUTO on the CPU backend: its fused tile measured slower.
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, BlockPlanner.CPU_FUSED_SLOWER, null), BlockPlanner.chooseCpu(small, BlockMode.AUTO));
        assertEquals(new BlockPlanner.Choice(BlockMode.FUSED, "requested", null), BlockPlanner.chooseCpu(small, BlockMode.FUSED));
        // A device whose local memory cannot hold a 16-pixel strip of 32 channels (2 KiB) has no fused path.
        DeviceFacts tiny = new DeviceFacts("CPU", 1, 1024, new long[] {1024, 1024, 64}, 1024);
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, "the fused kernel's tile does not fit the device", null),
                BlockPlanner.chooseOpenCl(small, BlockMode.AUTO, tiny));
        assertEquals("mode FUSED requested but the fused kernel's tile does not fit the device",
                assertThrows(IllegalArgumentException.class, () -> BlockPlanner.chooseOpenCl(small, BlockMode.FUSED, tiny)).getMessage());
    }

    @Test
    void theGpuFamilyTakesTheWorkGroupKernelWhenItsTilesFit() {
        BlockDescriptor gpuKernel = BlockPlanner.GPU_REGISTRY.get(0);
        assertEquals("conv2d_dsblock_gpu", gpuKernel.entryPoint());
        SeparableBlock block = SeparableBlock.mobilenet(32, 64, 1);
        // Oclgrind's 16 KiB: 16 channels x (64 pixels + 64 output channels) floats = 8 KiB fit, 256 work-items
        DeviceFacts oclgrind = new DeviceFacts("GPU", 1, 256, new long[] {256, 256, 256}, 16384);
        assertEquals(new BlockPlanner.Choice(BlockMode.FUSED, gpuKernel.chosenBecause(block), gpuKernel),
                BlockPlanner.chooseOpenCl(block, BlockMode.AUTO, oclgrind));
        assertEquals(new DsBlockGpuDescriptor.Tiling(64, 256), DsBlockGpuDescriptor.tiling(block));
        assertEquals(new DsBlockGpuDescriptor.Tiling(16, 64), DsBlockGpuDescriptor.tiling(SeparableBlock.mobilenet(8, 13, 2)));
        assertEquals(new DsBlockGpuDescriptor.Tiling(64, 256), DsBlockGpuDescriptor.tiling(SeparableBlock.mobilenet(512, 1024, 1)));
        var defines = gpuKernel.defines(block, oclgrind);
        assertEquals(256, defines.get("LOCAL_SIZE"));
        assertEquals(64, defines.get("OC_BLOCK"));
        Launch launch = gpuKernel.launch(block, oclgrind, new Shape(2, 32, 15, 15));
        assertArrayEquals(new long[] {4 * 256, 1, 2}, launch.global()); // ceil(225 / 64) = 4 tiles
        assertArrayEquals(new long[] {256, 1, 1}, launch.local());
        // too little local memory, or too small a work-group limit: unfused, with the reason
        DeviceFacts smallLocal = new DeviceFacts("GPU", 1, 256, new long[] {256, 256, 256}, 4096);
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, "the GPU block kernel's tiles need 8192 bytes of local memory, "
                + "the device has 4096", null), BlockPlanner.chooseOpenCl(block, BlockMode.AUTO, smallLocal));
        DeviceFacts smallGroups = new DeviceFacts("GPU", 1, 128, new long[] {128, 128, 64}, 16384);
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, "the GPU block kernel's work-groups of 256 items exceed the "
                + "device's limit of 128", null), BlockPlanner.chooseOpenCl(block, BlockMode.AUTO, smallGroups));
        assertEquals(BlockMode.FUSED, BlockPlanner.chooseOpenCl(SeparableBlock.mobilenet(32, 32, 1), BlockMode.AUTO, smallGroups).mode());
        assertThrows(IllegalArgumentException.class, () -> gpuKernel.launch(block, smallGroups, new Shape(1, 32, 8, 8)));
        // the CPU family keeps the CPU kernel on the same GPU
        assertEquals(DSBLOCK, BlockPlanner.chooseOpenCl(block, BlockMode.FUSED, oclgrind.withFamily(KernelFamily.CPU)).fused());
    }

    @Test
    void stripFitsTheTileBudgetAndTheLocalMemory() {
        // 512 KiB budget: up to 512 intermediate channels take the 256-pixel cap; 1024 channels take 128.
        assertEquals(new DsBlockDescriptor.Tiling(256, 16, 8, 2, 1, true, true), DsBlockDescriptor.tiling(SeparableBlock.mobilenet(32, 64, 1), POCL));
        assertEquals(256, DsBlockDescriptor.tiling(SeparableBlock.mobilenet(512, 512, 1), POCL).strip());
        assertEquals(128, DsBlockDescriptor.tiling(SeparableBlock.mobilenet(1024, 1024, 1), POCL).strip());
        // 3000 channels: 43 pixels by the budget, below the 64-pixel floor; 64 fit 1 MiB of local memory (750 KiB).
        assertEquals(64, DsBlockDescriptor.tiling(SeparableBlock.mobilenet(3000, 8, 1), POCL).strip());
        // A 64 KiB local memory (a GPU): 32 channels x 256 pixels = 32 KiB fits; 128 channels only 128 pixels;
        // no prefetching off the CPU.
        DeviceFacts gpu = new DeviceFacts("GPU", 8, 256, new long[] {256, 256, 64}, 1 << 16);
        assertEquals(new DsBlockDescriptor.Tiling(256, 16, 8, 2, 1, false, true), DsBlockDescriptor.tiling(SeparableBlock.mobilenet(32, 64, 1), gpu));
        assertEquals(128, DsBlockDescriptor.tiling(SeparableBlock.mobilenet(128, 128, 1), gpu).strip());
        // A 1 KiB local memory holds no strip.
        assertNull(DsBlockDescriptor.tiling(SeparableBlock.mobilenet(32, 64, 1), new DeviceFacts("GPU", 1, 1024, new long[] {1024, 1024, 64}, 1024)));
        assertThrows(IllegalArgumentException.class, () -> new DsBlockDescriptor.Tiling(40, 16, 8, 2, 1, true, false));
        assertThrows(IllegalArgumentException.class, () -> new DsBlockDescriptor.Tiling(64, 12, 8, 2, 1, true, false));
    }

    @Test
    void stripsHoldWholeRows() {
        DsBlockDescriptor.Tiling t = new DsBlockDescriptor.Tiling(256, 16, 8, 2, 1, true, false);
        // 112 and 56 wide: 2 and 4 rows (whole vectors); 28 rows of 28: 4 rows (112 pixels = 7 vectors, not the 4
        // strips of 7 rows = 196 pixels the fewest strips would give); 30 rows of 28: no whole-vector row count splits
        // them -> the fewest strips of at most 9 rows, 4 of 8 rows; 14 x 14 and 7 x 7: the whole image; 30 rows of 20
        // (at most 12 per strip) -> 3 strips of 10 rows; rows longer than a strip.
        assertEquals(List.of(224, 224, 112, 224, 196, 49, 200, 256, 256), List.of(t.stripLength(112, 112),
                t.stripLength(56, 56), t.stripLength(28, 28), t.stripLength(30, 28), t.stripLength(14, 14), t.stripLength(7, 7),
                t.stripLength(30, 20), t.stripLength(1, 256), t.stripLength(4, 300)));
    }

    @Test
    void gridRunsConsecutiveStripsPerItemAndSplitsSmallBatches() {
        DsBlockDescriptor.Tiling t = DsBlockDescriptor.tiling(SeparableBlock.mobilenet(32, 64, 1), POCL);
        // 112 x 112, batch 8: 56 strips of 224 per image, 448 in all, 8 wanted (4 per unit) -> 56 per item, 1 item per image.
        assertGrid(new long[] {1, 1, 8}, 224, 56, 64, t.grid(new Shape(8, 64, 112, 112), 2));
        // batch 1: 56 / 8 = 7 strips per item, 8 items.
        assertGrid(new long[] {8, 1, 1}, 224, 7, 64, t.grid(new Shape(1, 64, 112, 112), 2));
        // 56 x 56, batch 1: 14 strips of 224 -> 1 per item, 14 items.
        assertGrid(new long[] {14, 1, 1}, 224, 1, 64, t.grid(new Shape(1, 64, 56, 56), 2));
        // 14 x 14 = 196 pixels, batch 1: one 252-pixel strip is too few; strips of 3 whole rows (the fewest that
        // hold a 32-pixel register tile) give 5, then 2 channel groups of 256 -> 10 items.
        DsBlockDescriptor.Tiling wide = DsBlockDescriptor.tiling(SeparableBlock.mobilenet(512, 1024, 2), POCL);
        assertGrid(new long[] {5, 2, 1}, 42, 1, 256, wide.grid(new Shape(1, 512, 14, 14), 2));
        // 28 x 28, batch 1: 7 strips of 4 rows (112 pixels) are too few; 28 / 8 -> 3 rows would be 84 pixels (5.25
        // vectors), so one row more: 4 rows, 7 strips, one channel group (7 items are nearer 8 than 14 are).
        assertGrid(new long[] {7, 1, 1}, 112, 1, 512, wide.grid(new Shape(1, 512, 28, 28), 2));
        // 28 x 28, batch 8: 7 strips per image, 56 in all -> one image per item.
        assertGrid(new long[] {1, 1, 8}, 112, 7, 512, wide.grid(new Shape(8, 512, 28, 28), 2));
        // 20 x 20, batch 1: 5 strips of 4 rows (80 pixels, whole vectors) are too few; 20 / 8 -> 2 rows = 40 pixels
        // (3 rows are not whole vectors either, so no row is added), 10 strips.
        assertGrid(new long[] {10, 1, 1}, 40, 1, 64, t.grid(new Shape(1, 64, 20, 20), 2));
        // 7 x 7 = 49 pixels: strips of 5 rows, 2 of them; 4 channel groups of 256 -> 8 items.
        assertGrid(new long[] {2, 4, 1}, 35, 1, 256, wide.grid(new Shape(1, 1024, 7, 7), 2));
        // 5 x 7: one strip; 70 outputs in 5 groups of whole 8-channel tiles (16 each, the last 6).
        assertGrid(new long[] {1, 5, 1}, 35, 1, 16, t.grid(new Shape(1, 70, 5, 7), 2));
        // 300-wide rows, longer than a strip: 2 x 300 = 600 pixels / 8 -> 80-pixel strips (8).
        assertGrid(new long[] {8, 1, 1}, 80, 1, 64, t.grid(new Shape(1, 64, 2, 300), 2));
    }

    @Test
    void onlyOutputsTooBigForTheCacheAreStreamedAndOnlyOnCpus() {
        DsBlockDescriptor.Tiling cpu = new DsBlockDescriptor.Tiling(256, 16, 8, 2, 1, true, true);
        DsBlockDescriptor.Tiling gpu = new DsBlockDescriptor.Tiling(256, 16, 8, 2, 1, false, true);
        // 8 x 64 x 112 x 112 floats = 24.5 MiB >= 16 MiB; batch 4 = 12.25 MiB is not.
        assertEquals(true, cpu.grid(new Shape(8, 64, 112, 112), 2).streamOutput());
        assertEquals(false, cpu.grid(new Shape(4, 64, 112, 112), 2).streamOutput());
        assertEquals(false, gpu.grid(new Shape(8, 64, 112, 112), 2).streamOutput());
    }

    private static void assertGrid(long[] global, int stripLength, int stripsPerItem, int channelsPerItem, DsBlockDescriptor.Grid grid) {
        assertArrayEquals(global, grid.global(), "global");
        assertEquals(List.of(stripLength, stripsPerItem, channelsPerItem),
                List.of(grid.stripLength(), grid.stripsPerItem(), grid.channelsPerItem()), "strip length, strips and channels per item");
    }

    @Test
    void fusedDefinesCarryTheTiling() {
        var defines = DsBlockDescriptor.tilingDefines(SeparableBlock.builder(80, 80).depthMultiplier(2).stride(2).padding(1).build(),
                new DsBlockDescriptor.Tiling(128, 16, 8, 2, 1, true, false));
        assertEquals(List.of(160, 2, 2, 128, 16, 8, 2, 1, 1, 1, 0, DsBlockDescriptor.DW_ROWS, DsBlockDescriptor.KSTEP), List.of(defines.get("MID"),
                defines.get("DEPTH_MULT"), defines.get("SW"), defines.get("STRIP"), defines.get("VEC"), defines.get("OC_TILE"),
                defines.get("PIX_VECS"), defines.get("LOCAL_X"), defines.get("PREFETCH"), defines.get("NT_STORE"),
                defines.get("OC_OUTER"), defines.get("DW_ROWS"), defines.get("KSTEP")));
        assertThrows(IllegalArgumentException.class, () -> DsBlockDescriptor.tilingDefines(SeparableBlock.mobilenet(2, 2, 1), null));
    }
}
