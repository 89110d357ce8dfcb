package org.convcl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Shape math, kind derivation, "same" padding and the table of invalid specs with their exact messages. */
class ConvSpecTest {

    @ParameterizedTest(name = "in={0} pads={1},{2} k={3} s={4} d={5} -> {6}")
    @CsvSource({
        "224, 1, 1, 3, 1, 1, 224",
        "224, 1, 1, 3, 2, 1, 112",
        "225, 1, 1, 3, 2, 1, 113",
        "7,   0, 0, 3, 1, 2, 3",
        "5,   0, 0, 5, 1, 1, 1",
        "4,   0, 0, 5, 1, 1, 0",
        "1,   0, 0, 1, 1, 1, 1",
        "10,  0, 1, 3, 3, 1, 3",
        "6,   2, 0, 4, 2, 2, 1",
        "8,   3, 3, 7, 2, 1, 4",
    })
    void outputSize(int in, int padBefore, int padAfter, int kernel, int stride, int dilation, int expected) {
        assertEquals(expected, ConvSpec.outputSize(in, padBefore, padAfter, kernel, stride, dilation));
    }

    @Test
    void outputShapeUsesTheFormulaOnEachAxis() {
        ConvSpec s = ConvSpec.builder(3, 8, 3, 1).stride(2, 1).padding(1, 0, 0, 2).dilation(1, 3).build();
        // H: (9 + 1 + 0 − 2 − 1)/2 + 1 = 4; W: (5 + 0 + 2 − 0 − 1)/1 + 1 = 7.
        assertEquals(new Shape(2, 8, 4, 7), s.outputShape(new Shape(2, 3, 9, 5)));
        assertEquals(8 * 3 * 3, s.weightCount());
        assertEquals(3 * 3, s.reductionLength());
    }

    static Stream<Arguments> kinds() {
        return Stream.of(
            Arguments.of(ConvSpec.pointwise(3, 8), ConvSpec.Kind.POINTWISE, 0),
            Arguments.of(ConvSpec.full(3, 8, 1).dilation(2).build(), ConvSpec.Kind.POINTWISE, 0),
            Arguments.of(ConvSpec.full(3, 8, 1).stride(2).build(), ConvSpec.Kind.FULL, 0),
            Arguments.of(ConvSpec.full(3, 8, 1).padding(0, 0, 0, 1).build(), ConvSpec.Kind.FULL, 0),
            Arguments.of(ConvSpec.full(3, 8, 3).build(), ConvSpec.Kind.FULL, 0),
            Arguments.of(ConvSpec.full(1, 1, 3).build(), ConvSpec.Kind.FULL, 0),
            Arguments.of(ConvSpec.full(4, 6, 3).groups(2).build(), ConvSpec.Kind.GROUPED, 0),
            Arguments.of(ConvSpec.full(4, 8, 1).groups(2).build(), ConvSpec.Kind.GROUPED, 0),
            Arguments.of(ConvSpec.depthwise(4, 1, 3).build(), ConvSpec.Kind.DEPTHWISE, 1),
            Arguments.of(ConvSpec.depthwise(4, 2, 3).build(), ConvSpec.Kind.DEPTHWISE, 2),
            Arguments.of(ConvSpec.depthwise(5, 3, 5).build(), ConvSpec.Kind.DEPTHWISE, 3),
            Arguments.of(ConvSpec.full(4, 4, 1).groups(4).build(), ConvSpec.Kind.DEPTHWISE, 1));
    }

    @ParameterizedTest(name = "{0} is {1}, γ={2}")
    @MethodSource("kinds")
    void kindIsDerived(ConvSpec spec, ConvSpec.Kind kind, int gamma) {
        assertEquals(kind, spec.kind());
        assertEquals(gamma, spec.depthMultiplier());
    }

    @ParameterizedTest(name = "k{0} s{1} d{2} in={3}: pads {4},{5}")
    @CsvSource({
        // kernel, stride, dilation, in, before, after
        "3, 1, 1, 17, 1, 1",
        "4, 1, 1, 17, 1, 2",   // even kernel: the odd extra pixel goes after
        "1, 1, 1, 17, 0, 0",
        "3, 1, 2, 17, 2, 2",   // dilated 3 → span 5
        "3, 2, 1, 224, 0, 1",  // out 112: 111·2 + 3 − 224 = 1
        "3, 2, 1, 225, 1, 1",  // out 113: 112·2 + 3 − 225 = 2
        "5, 2, 1, 7, 2, 2",    // out 4: 3·2 + 5 − 7 = 4
        "2, 2, 1, 8, 0, 0",    // out 4: 3·2 + 2 − 8 = 0
        "1, 2, 1, 7, 0, 0",    // total would be negative: clamped to 0
    })
    void samePadding(int kernel, int stride, int dilation, int in, int before, int after) {
        ConvSpec s = ConvSpec.builder(2, 2, kernel, kernel).stride(stride).dilation(dilation).samePadding(in, in).build();
        assertArrayEquals(new int[] {before, before, after, after}, new int[] {s.padTop(), s.padLeft(), s.padBottom(), s.padRight()});
        int expectedOut = (in + stride - 1) / stride;
        assertEquals(new Shape(1, 2, expectedOut, expectedOut), s.outputShape(new Shape(1, 2, in, in)));
    }

    @Test
    void samePaddingWithoutSizeIsIndependentOfTheInput() {
        ConvSpec s = ConvSpec.builder(1, 1, 3, 4).dilation(2, 1).samePadding().build();
        assertArrayEquals(new int[] {2, 1, 2, 2}, new int[] {s.padTop(), s.padLeft(), s.padBottom(), s.padRight()});
        for (int in : new int[] {1, 2, 9, 32}) assertEquals(new Shape(1, 1, in, in), s.outputShape(new Shape(1, 1, in, in)));
    }

    @Test
    void toBuilderRoundTripsAndEqualityCoversEveryField() {
        ConvSpec s = ConvSpec.builder(6, 9, 3, 5).stride(2, 1).dilation(1, 2).groups(3).padding(1, 2, 3, 4).build();
        assertEquals(s, s.toBuilder().build());
        assertEquals(s.hashCode(), s.toBuilder().build().hashCode());
        assertEquals("conv 6->9 k3x5 s2x1 p1,2,3,4 d1x2 g3 (GROUPED)", s.toString());
        assertEquals("conv 4->8 k3x3 s1x1 p1,1,1,1 d1x1 g4 (DEPTHWISE γ=2)",
                ConvSpec.depthwise(4, 2, 3).padding(1).build().toString());
        assertEquals(false, s.equals(s.toBuilder().padding(1, 2, 3, 5).build()));
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
            bad("zero inChannels", () -> ConvSpec.builder(0, 1, 3, 3).build(), "inChannels must be positive, got 0"),
            bad("negative outChannels", () -> ConvSpec.builder(1, -2, 3, 3).build(), "outChannels must be positive, got -2"),
            bad("zero kernelH", () -> ConvSpec.builder(1, 1, 0, 3).build(), "kernelH must be positive, got 0"),
            bad("negative kernelW", () -> ConvSpec.builder(1, 1, 3, -1).build(), "kernelW must be positive, got -1"),
            bad("zero strideH", () -> ConvSpec.full(1, 1, 3).stride(0, 1).build(), "strideH must be positive, got 0"),
            bad("negative strideW", () -> ConvSpec.full(1, 1, 3).stride(1, -1).build(), "strideW must be positive, got -1"),
            bad("zero dilationH", () -> ConvSpec.full(1, 1, 3).dilation(0).build(), "dilationH must be positive, got 0"),
            bad("zero dilationW", () -> ConvSpec.full(1, 1, 3).dilation(1, 0).build(), "dilationW must be positive, got 0"),
            bad("zero groups", () -> ConvSpec.full(2, 2, 3).groups(0).build(), "groups must be positive, got 0"),
            bad("negative padTop", () -> ConvSpec.full(1, 1, 3).padding(-1, 0, 0, 0).build(), "padTop must be non-negative, got -1"),
            bad("negative padLeft", () -> ConvSpec.full(1, 1, 3).padding(0, -2, 0, 0).build(), "padLeft must be non-negative, got -2"),
            bad("negative padBottom", () -> ConvSpec.full(1, 1, 3).padding(0, 0, -1, 0).build(), "padBottom must be non-negative, got -1"),
            bad("negative padRight", () -> ConvSpec.full(1, 1, 3).padding(0, 0, 0, -3).build(), "padRight must be non-negative, got -3"),
            bad("groups not dividing inChannels", () -> ConvSpec.full(6, 4, 3).groups(4).build(), "groups=4 does not divide inChannels=6"),
            bad("groups not dividing outChannels", () -> ConvSpec.full(4, 6, 3).groups(4).build(), "groups=4 does not divide outChannels=6"),
            bad("zero depth multiplier", () -> ConvSpec.depthwise(4, 0, 3), "multiplier must be positive, got 0"),
            bad("weight count overflow", () -> ConvSpec.pointwise(65536, 65536),
                    "weight count 4294967296 (outChannels=65536 x inChannels/groups=65536 x 1x1) exceeds 2147483647"),
            bad("kernel taller than the padded input", () -> ConvSpec.full(1, 1, 5).build().outHeight(4),
                    "kernel height 5 (dilated to 5) is larger than the padded input height 4"),
            bad("dilated kernel wider than the padded input", () -> ConvSpec.full(1, 1, 3).dilation(3).padding(1).build().outWidth(4),
                    "kernel width 3 (dilated to 7) is larger than the padded input width 6"),
            bad("kernel larger than the input via outputShape", () -> ConvSpec.full(2, 2, 3).build().outputShape(new Shape(1, 2, 8, 2)),
                    "kernel width 3 (dilated to 3) is larger than the padded input width 2"),
            bad("wrong input channels", () -> ConvSpec.full(3, 4, 3).build().outputShape(new Shape(1, 2, 8, 8)),
                    "input channels 2 do not match spec inChannels=3"),
            bad("zero input height", () -> ConvSpec.full(1, 1, 1).build().outHeight(0), "input height must be positive, got 0"),
            bad("samePadding() with stride 2", () -> ConvSpec.full(1, 1, 3).stride(2).samePadding(),
                    "samePadding() without input size needs stride 1, got stride 2x2; use samePadding(inH, inW)"),
            bad("samePadding with zero height", () -> ConvSpec.full(1, 1, 3).samePadding(0, 4), "inH must be positive, got 0"),
            bad("zero shape dimension", () -> new Shape(1, 0, 4, 4), "shape dimension c must be positive, got 0"));
    }

    private static Arguments bad(String what, Executable build, String message) {
        return Arguments.of(what, build, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidSpecsNameTheFieldAndValue(String what, Executable build, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build, what);
        assertEquals(message, e.getMessage());
    }
}
