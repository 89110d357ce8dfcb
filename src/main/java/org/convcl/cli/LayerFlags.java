package org.convcl.cli;

import org.convcl.ConvSpec;
import org.convcl.Shape;
import picocli.CommandLine.Option;

/**
 * The flags that describe one layer without files ({@code convcl plan}, {@code convcl cost}): channels, input
 * size, kernel, stride, padding, dilation, groups, batch. A picocli mixin, so every command spells them alike.
 */
final class LayerFlags {
    @Option(names = "--cin", paramLabel = "C", description = "Input channels.")
    Integer cin;

    @Option(names = "--cout", paramLabel = "C", description = "Output channels.")
    Integer cout;

    @Option(names = "--size", paramLabel = "S|H,W", converter = Flags.PairConverter.class,
            description = "Input height and width.")
    Flags.Pair size;

    @Option(names = "--kernel", defaultValue = "3", paramLabel = "K|KH,KW", converter = Flags.PairConverter.class,
            description = "Kernel (default ${DEFAULT-VALUE}).")
    Flags.Pair kernel;

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

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    /** True when any of the layer's required flags was given. */
    boolean anyLayerGiven() {
        return cin != null || cout != null || size != null;
    }

    /** True when every required flag was given. */
    boolean layerGiven() {
        return cin != null && cout != null && size != null;
    }

    /** The layer; throws {@link IllegalArgumentException} naming the missing flag or the bad value. */
    ConvSpec spec() {
        if (!layerGiven()) throw new IllegalArgumentException("a layer needs --cin, --cout and --size");
        if (cin <= 0) throw new IllegalArgumentException("--cin must be positive, got " + cin);
        if (cout <= 0) throw new IllegalArgumentException("--cout must be positive, got " + cout);
        return padding.applyTo(ConvSpec.builder(cin, cout, kernel.h(), kernel.w()).stride(stride.h(), stride.w())
                .dilation(dilation.h(), dilation.w()).groups(groups), size.h(), size.w()).build();
    }

    /** The input shape {@code [batch, cin, H, W]}. */
    Shape input() {
        if (batch <= 0) throw new IllegalArgumentException("--batch must be positive, got " + batch);
        return new Shape(batch, spec().inChannels(), size.h(), size.w());
    }
}
