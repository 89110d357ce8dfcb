package org.convcl.hardening;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Provide;

/** {@link RandomParity} over depthwise (γ 1 and 2) and pointwise convolutions. */
class RandomParityDepthwisePointwiseTest extends RandomParity {
    @Override
    @Provide
    Arbitrary<Kind> kinds() { return Arbitraries.of(Kind.DEPTHWISE, Kind.POINTWISE); }
}
