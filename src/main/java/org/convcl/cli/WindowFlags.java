package org.convcl.cli;

import org.convcl.ConvSpec;
import picocli.CommandLine.Option;

/**
 * The window flags of a layer whose channels and kernel come from a weight file ({@code convcl run}, {@code convcl
 * grad}): stride, padding, dilation, groups. A picocli mixin, so both commands spell and check them alike.
 */
final class WindowFlags {
    @Option(names = "--stride", defaultValue = "1", paramLabel = "S|SH,SW", converter = Flags.PairConverter.class,
            description = "Stride (default ${DEFAULT-VALUE}).")
    Flags.Pair stride;

    @Option(names = "--padding", defaultValue = Flags.Padding.DEFAULT, paramLabel = "P|T,L,B,R|same",
            converter = Flags.PaddingConverter.class, description = Flags.Padding.DESCRIPTION)
    Flags.Padding padding;

    @Option(names = "--dilation", defaultValue = "1", paramLabel = "D|DH,DW", converter = Flags.PairConverter.class,
            description = "Dilation (default ${DEFAULT-VALUE}).")
    Flags.Pair dilation;

    @Option(names = "--groups", defaultValue = "1", paramLabel = "G", description = "Groups (default ${DEFAULT-VALUE}).")
    int groups;

    /**
     * The spec implied by the input {@code x} (NCHW), the weight {@code w} (OIHW) and the flags; throws
     * {@link IllegalArgumentException} naming the mismatch.
     *
     * @param weightOption how the weight was given, for messages (e.g. {@code "--weight w.npy"})
     */
    ConvSpec specFor(Npy.Array x, Npy.Array w, String weightOption) {
        w.requireRank(weightOption, 4);
        if (groups <= 0) throw new IllegalArgumentException("--groups must be positive, got " + groups);
        int cout = w.dim(0);
        int cin = Math.multiplyExact(w.dim(1), groups);
        if (cout % groups != 0) {
            throw new IllegalArgumentException("--groups " + groups + " does not divide the weight's " + cout
                    + " output channels (weight shape " + w.shapeText() + ")");
        }
        if (x.dim(1) != cin) {
            throw new IllegalArgumentException("--input has " + x.dim(1) + " channels (shape " + x.shapeText()
                    + ") but weight dim 1 x groups = " + w.dim(1) + " x " + groups + " = " + cin);
        }
        ConvSpec.Builder builder = ConvSpec.builder(cin, cout, w.dim(2), w.dim(3))
                .stride(stride.h(), stride.w()).dilation(dilation.h(), dilation.w()).groups(groups);
        return padding.applyTo(builder, x.dim(2), x.dim(3)).build();
    }
}
