package org.convcl.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.convcl.BlockMode;
import org.convcl.SeparableBlock;
import org.convcl.Shape;
import org.junit.jupiter.api.Test;

/** The fused-vs-unfused rule and the fused kernel's grid, as a table of cases. */
class BlockPlannerTest {
    private static final DeviceFacts POCL = new DeviceFacts("CPU", 2, 4096, new long[] {4096, 4096, 4096}, 1 << 20);

    @Test
    void choices() {
        SeparableBlock small = SeparableBlock.mobilenet(32, 64, 1);
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, "requested"), BlockPlanner.chooseOpenCl(small, BlockMode.UNFUSED, POCL));
        assertEquals(new BlockPlanner.Choice(BlockMode.FUSED, "requested; depthwise tile computed once"),
                BlockPlanner.chooseOpenCl(small, BlockMode.FUSED, POCL));
        // AUTO on OpenCL: fused for stride 1 and at most 128 intermediate channels (where it measured faster).
        assertEquals(new BlockPlanner.Choice(BlockMode.FUSED, "fused: stride 1, at most 128 intermediate channels, where the "
                + "fused kernel measured at least as fast; depthwise tile computed once"), BlockPlanner.chooseOpenCl(small, BlockMode.AUTO, POCL));
        assertEquals(BlockMode.FUSED, BlockPlanner.chooseOpenCl(SeparableBlock.mobilenet(128, 128, 1), BlockMode.AUTO, POCL).mode());
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, "unfused: 256 intermediate channels > 128, where the fused "
                + "kernel measured no faster"), BlockPlanner.chooseOpenCl(SeparableBlock.mobilenet(256, 256, 1), BlockMode.AUTO, POCL));
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, "unfused: stride 2x2, where the fused kernel measured no faster"),
                BlockPlanner.chooseOpenCl(SeparableBlock.mobilenet(64, 128, 2), BlockMode.AUTO, POCL));
        // γ 2 doubles the intermediate channels: 80 inputs -> 160 > 128.
        assertEquals(BlockMode.UNFUSED, BlockPlanner.chooseOpenCl(SeparableBlock.builder(80, 80).depthMultiplier(2).padding(1)
                .build(), BlockMode.AUTO, POCL).mode());
        // AUTO on the CPU backend: its fused tile measured slower.
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, BlockPlanner.CPU_FUSED_SLOWER), BlockPlanner.chooseCpu(small, BlockMode.AUTO));
        assertEquals(new BlockPlanner.Choice(BlockMode.FUSED, "requested"), BlockPlanner.chooseCpu(small, BlockMode.FUSED));
        // A device whose local memory cannot hold one 16-pixel segment of 32 channels (2 KiB) has no fused path.
        DeviceFacts tiny = new DeviceFacts("GPU", 1, 1024, new long[] {1024, 1024, 64}, 1024);
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, "the fused kernel's tile does not fit the device"),
                BlockPlanner.chooseOpenCl(small, BlockMode.AUTO, tiny));
        assertEquals("mode FUSED requested but the fused kernel's tile does not fit the device",
                assertThrows(IllegalArgumentException.class, () -> BlockPlanner.chooseOpenCl(small, BlockMode.FUSED, tiny)).getMessage());
        // 1024 outputs on a device with work-groups of 64 and 64 KiB of local memory: one segment x 64 items,
        // 2 channel groups: 1 extra 9-tap depthwise pass over 9 + 1024 MACs per pixel = 1%; AUTO does not recompute.
        DeviceFacts small64 = new DeviceFacts("GPU", 8, 64, new long[] {64, 64, 64}, 1 << 16);
        SeparableBlock wide = SeparableBlock.mobilenet(1024, 1024, 1);
        assertEquals(new BlockPlanner.Choice(BlockMode.FUSED, "requested; depthwise tile recomputed by 2 channel groups (+1% MACs)"),
                BlockPlanner.chooseOpenCl(wide, BlockMode.FUSED, small64));
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, "depthwise tile recomputed by 2 channel groups (+1% MACs)"),
                BlockPlanner.chooseOpenCl(wide, BlockMode.AUTO, small64));
    }

    @Test
    void tilingFitsTheTileBudgetAndTheWorkGroup() {
        // 32 intermediate channels x 16 pixels = 2 KiB per segment: 16 segments (the cap); 64 outputs: 8 items.
        assertEquals(new BlockPlanner.Tiling(16, 16, 8, 1), BlockPlanner.tiling(SeparableBlock.mobilenet(32, 64, 1), POCL));
        // 256 channels: 16 KiB per segment, 8 fit 128 KiB; 70 outputs: 9 items (the last one 6 channels).
        assertEquals(new BlockPlanner.Tiling(16, 8, 9, 1), BlockPlanner.tiling(SeparableBlock.mobilenet(256, 70, 1), POCL));
        // 1024 channels: 64 KiB per segment, two segments; 1024 outputs in one group of 128 items.
        assertEquals(new BlockPlanner.Tiling(16, 2, 128, 1), BlockPlanner.tiling(SeparableBlock.mobilenet(1024, 1024, 1), POCL));
        // A 1 KiB local memory holds no segment.
        assertNull(BlockPlanner.tiling(SeparableBlock.mobilenet(32, 64, 1),
                new DeviceFacts("GPU", 1, 1024, new long[] {1024, 1024, 64}, 1024)));
    }

    @Test
    void fusedGridCoversSegmentsChannelGroupsAndImages() {
        // 5 x 35 = 175 pixels: 11 segments of 16 (the last shifted back) -> 16 (whole work-groups of 8);
        // 70 channels -> 9 items of 8 in one group.
        BlockPlanner.Tiling t = BlockPlanner.tiling(SeparableBlock.mobilenet(256, 70, 1), POCL);
        assertArrayEquals(new long[] {16, 9, 2}, t.global(new Shape(2, 70, 5, 35)));
        assertArrayEquals(new long[] {8, 9, 1}, t.local());
        assertEquals(4L * 256 * 8 * 16, t.tileBytes(256));
        // 112 x 112 = 784 segments of 16, 49 work-groups of 16.
        assertArrayEquals(new long[] {784, 8, 1},
                BlockPlanner.tiling(SeparableBlock.mobilenet(32, 64, 1), POCL).global(new Shape(1, 64, 112, 112)));
        var defines = BlockPlanner.fusedDefines(SeparableBlock.mobilenet(256, 70, 1), t);
        assertEquals(java.util.List.of(256, 16, 8, 9), java.util.List.of(defines.get("MID"), defines.get("SEG"),
                defines.get("PIX_SEGS"), defines.get("OC_ITEMS")));
        assertThrows(IllegalArgumentException.class, () -> BlockPlanner.fusedDefines(SeparableBlock.mobilenet(2, 2, 1), null));
    }
}
