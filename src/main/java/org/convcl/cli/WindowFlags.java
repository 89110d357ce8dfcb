package org.convcl.cli;

import org.convcl.ConvSpec;
import picocli.CommandLine.Option;

/**
 * The window flags of a layer: stride, padding, dilation, groups. A picocli mixin of {@link LayerFiles} (channels and
 * kernel from a weight file) and {@link LayerFlags} (channels and kernel as flags), so every command spells and checks
 * them alike.
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
        return spec(cin, cout, w.dim(2), w.dim(3), x.dim(2), x.dim(3));
    }

    /** The spec of a layer with these channels and kernel on an {@code h × w} input, windowed by the flags. */
    ConvSpec spec(int cin, int cout, int kh, int kw, int h, int w) {
        if (groups <= 0) throw new IllegalArgumentException("--groups must be positive, got " + groups);
        ConvSpec.Builder builder = ConvSpec.builder(cin, cout, kh, kw)
                .stride(stride.h(), stride.w()).dilation(dilation.h(), dilation.w()).groups(groups);
        return padding.applyTo(builder, h, w).build();
    }
}
