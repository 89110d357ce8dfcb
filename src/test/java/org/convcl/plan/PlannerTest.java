package org.convcl.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
                Arguments.of(ConvSpec.pointwise(32, 64), Algorithm.POINTWISE, "pointwise",
                        Map.of("TILE_OC", 4, "TILE_P", 4)),
                Arguments.of(ConvSpec.pointwise(8, 3), Algorithm.POINTWISE, "pointwise",
                        Map.of("TILE_OC", 3, "TILE_P", 4)),
                Arguments.of(ConvSpec.depthwise(16, 1, 3).padding(1).build(), Algorithm.DEPTHWISE, "γ=1",
                        Map.of("KH", 3, "KW", 3, "SH", 1, "SW", 1, "DH", 1, "DW", 1, "DEPTH_MULT", 1, "TILE_X", 4)),
                Arguments.of(ConvSpec.depthwise(8, 3, 5).stride(2).dilation(2, 1).build(), Algorithm.DEPTHWISE, "γ=3",
                        Map.of("KH", 5, "KW", 5, "SH", 2, "SW", 2, "DH", 2, "DW", 1, "DEPTH_MULT", 3, "TILE_X", 4)),
                Arguments.of(ConvSpec.full(3, 32, 3).stride(2).padding(0, 0, 1, 1).build(), Algorithm.DIRECT, "groups=1",
                        Map.of("KH", 3, "KW", 3, "SH", 2, "SW", 2, "DH", 1, "DW", 1, "TILE_OC", 4)),
                Arguments.of(ConvSpec.full(4, 6, 3).groups(2).build(), Algorithm.DIRECT, "groups=2",
                        Map.of("KH", 3, "KW", 3, "SH", 1, "SW", 1, "DH", 1, "DW", 1, "TILE_OC", 3)),
                // 1x1 with stride 2 is not pointwise: it needs the strided direct kernel
                Arguments.of(ConvSpec.full(8, 8, 1).stride(2).build(), Algorithm.DIRECT, "stride 2x2",
                        Map.of("KH", 1, "KW", 1, "SH", 2, "SW", 2, "DH", 1, "DW", 1, "TILE_OC", 4)),
                Arguments.of(ConvSpec.builder(4, 4, 5, 1).padding(2, 0).build(), Algorithm.DIRECT, "k5x1",
                        Map.of("KH", 5, "KW", 1, "SH", 1, "SW", 1, "DH", 1, "DW", 1, "TILE_OC", 4)));
    }

    @ParameterizedTest
    @MethodSource("table")
    void choosesAlgorithmDefinesAndReason(ConvSpec spec, Algorithm algorithm, String reasonPart, Map<String, Integer> defines) {
        Plan plan = Planner.plan(spec, null, CPU);
        assertEquals(algorithm, plan.algorithm(), spec::toString);
        assertEquals(defines, plan.defines(), spec::toString);
        assertTrue(plan.reason().startsWith(algorithm == Algorithm.DIRECT ? "direct" : algorithm.name().toLowerCase()),
                plan.reason());
        assertTrue(plan.reason().contains(reasonPart), plan.reason());
    }

    @Test
    void definesDoNotDependOnImageSizeButLocalSizeShrinksForSmallImages() {
        ConvSpec spec = ConvSpec.depthwise(8, 1, 3).padding(1).build();
        Plan large = Planner.plan(spec, new Shape(1, 8, 224, 224), CPU);
        Plan small = Planner.plan(spec, new Shape(2, 8, 3, 5), CPU);
        assertEquals(large.defines(), small.defines());
        assertArrayEquals(new long[] {8, 8, 1}, large.local());
        assertArrayEquals(new long[] {2, 4, 1}, small.local()); // ceil(5/4)=2 tiles along x, 3 rows -> 4
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
        // 5x7 = 35 pixels / 4 -> 9 tiles; 10 channels / 4 -> 3 tiles; batch 3
        assertArrayEquals(new long[] {9, 3, 3}, p.globalSize(pw, new Shape(3, 10, 5, 7)));
        ConvSpec dw = ConvSpec.depthwise(4, 2, 3).build();
        assertArrayEquals(new long[] {3, 6, 16}, Planner.plan(dw, null, CPU).globalSize(dw, new Shape(2, 8, 6, 9)));
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
}
