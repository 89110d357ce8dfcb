package org.convcl;

/**
 * A {@link SeparableBlock} ready to run on one backend: batch-norm folded into both steps' weights, weights
 * uploaded, kernels built. As a {@link PreparedConv} its {@link #spec()} is the standard convolution the block
 * replaces ({@link SeparableBlock#standardEquivalent()}), which has the block's input and output shapes.
 */
public interface PreparedBlock extends PreparedConv {

    /** The block this was prepared from. */
    SeparableBlock block();

    /** The path that runs: {@link BlockMode#FUSED} or {@link BlockMode#UNFUSED}, never {@code AUTO}. */
    BlockMode mode();
}
