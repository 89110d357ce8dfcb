package org.convcl.cli;

import org.convcl.ConvSpec;
import org.convcl.Shape;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The flags that describe one layer without files ({@code convcl plan}, {@code convcl cost}): channels, input
 * size, kernel, the window ({@link WindowFlags}), batch. A picocli mixin, so every command spells them alike.
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

    @Mixin
    WindowFlags window;

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
        return window.spec(cin, cout, kernel.h(), kernel.w(), size.h(), size.w());
    }

    /** The input shape {@code [batch, cin, H, W]}. */
    Shape input() {
        if (batch <= 0) throw new IllegalArgumentException("--batch must be positive, got " + batch);
        return new Shape(batch, spec().inChannels(), size.h(), size.w());
    }
}
