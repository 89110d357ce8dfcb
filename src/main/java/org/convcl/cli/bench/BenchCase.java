package org.convcl.cli.bench;

import java.util.Locale;
import org.convcl.ConvSpec;
import org.convcl.Cost;
import org.convcl.Shape;

/**
 * One layer of a benchmark suite, as written in a suite file: the convolution and its input size.
 * The batch comes from the command line unless the case fixes it with {@code n}.
 *
 * @param suite  the suite it belongs to
 * @param name   unique within the suite
 * @param kind   the declared kind; must equal the kind {@link ConvSpec} derives
 * @param n      a fixed batch size, or 0 to use the command line's {@code --batch}
 * @param spec   the convolution
 * @param h      input height
 * @param w      input width
 * @param quick  whether {@code --quick} runs it
 */
public record BenchCase(String suite, String name, ConvSpec.Kind kind, int n, ConvSpec spec, int h, int w, boolean quick) {

    /** The input shape for a batch (ignored when the case fixes {@code n}). */
    public Shape input(int batch) {
        return new Shape(n > 0 ? n : batch, spec.inChannels(), h, w);
    }

    /** Params, MACs and bytes for a batch. */
    public Cost cost(int batch) {
        return Cost.of(spec, input(batch));
    }

    /** The lower-case kind name used in files and reports. */
    public String kindName() {
        return kindName(kind);
    }

    static String kindName(ConvSpec.Kind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }
}
