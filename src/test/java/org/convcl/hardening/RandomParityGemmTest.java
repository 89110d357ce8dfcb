package org.convcl.hardening;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Provide;

/** {@link RandomParity} over full and grouped convolutions (implicit GEMM and direct kernels). */
class RandomParityGemmTest extends RandomParity {
    @Override
    @Provide
    Arbitrary<Kind> kinds() { return Arbitraries.of(Kind.FULL, Kind.GROUPED); }
}
