package org.convcl.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, BlockPlanner.FUSED_SLOWER),
                BlockPlanner.choose(small, BlockMode.AUTO, 64));
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, BlockPlanner.FUSED_SLOWER),
                BlockPlanner.choose(small, BlockMode.AUTO, Integer.MAX_VALUE));
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, "requested"), BlockPlanner.choose(small, BlockMode.UNFUSED, 64));
        assertEquals(new BlockPlanner.Choice(BlockMode.FUSED, "requested; depthwise tile computed once"),
                BlockPlanner.choose(small, BlockMode.FUSED, Integer.MAX_VALUE));
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED, "no fused block path on this backend"),
                BlockPlanner.choose(small, BlockMode.AUTO, 0));
        assertEquals("mode FUSED requested but this backend has no fused block path",
                assertThrows(IllegalArgumentException.class, () -> BlockPlanner.choose(small, BlockMode.FUSED, 0)).getMessage());
        // 1024 outputs in 16 groups of 64: 15 extra 9-tap depthwise passes over 9 + 1024 MACs per pixel = 13%.
        assertEquals(new BlockPlanner.Choice(BlockMode.FUSED,
                        "requested; depthwise tile recomputed by 16 channel groups (+13% MACs)"),
                BlockPlanner.choose(SeparableBlock.mobilenet(1024, 1024, 1), BlockMode.FUSED, 64));
        // A 7x7 kernel into 256 outputs: 3 extra 49-tap passes over 49 + 256 MACs per pixel = 48% > 25%.
        assertEquals(new BlockPlanner.Choice(BlockMode.UNFUSED,
                        "depthwise tile recomputed by 4 channel groups (+48% MACs) exceeds 25%"),
                BlockPlanner.choose(SeparableBlock.builder(64, 256).kernel(7).build(), BlockMode.AUTO, 64));
    }

    @Test
    void channelsPerPassNeedsTheWorkGroupAndLocalTile() {
        assertEquals(BlockPlanner.OC_ITEMS * BlockPlanner.OC_PER_ITEM, BlockPlanner.channelsPerPass(POCL));
        assertEquals(0, BlockPlanner.channelsPerPass(new DeviceFacts("GPU", 1, 16, new long[] {16, 16, 16}, 1 << 16)));
        assertEquals(0, BlockPlanner.channelsPerPass(new DeviceFacts("GPU", 1, 1024, new long[] {1024, 1024, 64}, 1024)));
    }

    @Test
    void vectorWidthKeepsLanesBusy() {
        int[][] widthToVec = {{1, 8}, {7, 8}, {8, 8}, {9, 16}, {14, 16}, {16, 16}, {21, 8}, {28, 16}, {35, 8}, {56, 16},
                {112, 16}};
        for (int[] c : widthToVec) assertEquals(c[1], BlockPlanner.vectorWidth(c[0]), "output width " + c[0]);
        assertThrows(IllegalArgumentException.class, () -> BlockPlanner.vectorWidth(0));
        assertThrows(IllegalArgumentException.class, () -> BlockPlanner.fusedDefines(SeparableBlock.mobilenet(2, 2, 1), 4));
    }

    @Test
    void fusedGridCoversSegmentsChannelGroupsAndImages() {
        // 35 wide: 8-lane vectors (35 of 40 lanes busy, not 35 of 48); 5 rows x 5 segments = 25 -> 28 (whole
        // work-groups of 4); 70 channels -> 2 groups of 64.
        assertArrayEquals(new long[] {28, 2 * BlockPlanner.OC_ITEMS, 2}, BlockPlanner.fusedGlobal(new Shape(2, 70, 5, 35)));
        // 112 wide: 16-lane vectors, 7 per row.
        assertArrayEquals(new long[] {7 * 112, BlockPlanner.OC_ITEMS, 1}, BlockPlanner.fusedGlobal(new Shape(1, 64, 112, 112)));
        assertArrayEquals(new long[] {BlockPlanner.PIX_ITEMS, BlockPlanner.OC_ITEMS, 1}, BlockPlanner.fusedLocal());
        assertEquals(128, BlockPlanner.paddedOutChannels(70));
        assertEquals(64, BlockPlanner.paddedOutChannels(64));
    }
}
