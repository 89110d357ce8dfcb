package org.convcl;

/**
 * The unfused path of a {@link SeparableBlock}, on any {@link Backend}: the depthwise step and the pointwise
 * step prepared as two convolutions (batch-norm folded into each), the intermediate tensor in device memory.
 * Backends return it from {@link Backend#prepareBlock} when the unfused path is chosen.
 */
public final class UnfusedBlock implements PreparedBlock {
    private final SeparableBlock block;
    private final ChainedConv chain;

    private UnfusedBlock(SeparableBlock block, ChainedConv chain) {
        this.block = block;
        this.chain = chain;
    }

    /**
     * Prepares both steps on {@code backend}, input shape unknown.
     *
     * @param depthwiseWeights OIHW {@code [γC][1][KH][KW]}
     * @param pointwiseWeights OIHW {@code [Cout][γC][1][1]}
     * @param reason           why the unfused path was chosen, reported by {@link #plan()}
     */
    public static UnfusedBlock prepare(Backend backend, SeparableBlock block, float[] depthwiseWeights,
                                       float[] pointwiseWeights, String reason) {
        return prepare(backend, block, depthwiseWeights, pointwiseWeights, reason, null);
    }

    /**
     * Prepares both steps on {@code backend} for inputs of {@code expectedInput} (null: unknown): the depthwise
     * step with that shape, the pointwise step with the intermediate shape, and the intermediate tensor
     * allocated now ({@link Backend#prepare(ConvSpec, float[], Epilogue, Shape)}).
     */
    public static UnfusedBlock prepare(Backend backend, SeparableBlock block, float[] depthwiseWeights,
                                       float[] pointwiseWeights, String reason, Shape expectedInput) {
        if (backend == null) throw new IllegalArgumentException("backend must not be null");
        if (block == null) throw new IllegalArgumentException("block must not be null");
        return new UnfusedBlock(block, ChainedConv.prepare(backend, block.depthwise(), depthwiseWeights,
                block.depthwiseEpilogue(), block.pointwise(), pointwiseWeights, block.pointwiseEpilogue(),
                block.standardEquivalent(), "unfused (" + reason + ")", expectedInput));
    }

    @Override
    public SeparableBlock block() { return block; }

    @Override
    public BlockMode mode() { return BlockMode.UNFUSED; }

    @Override
    public ConvSpec spec() { return chain.spec(); }

    @Override
    public String plan() { return chain.plan(); }

    @Override
    public Shape outputShape(Shape input) { return block.outputShape(input); }

    @Override
    public void forward(DeviceTensor input, DeviceTensor output) { chain.forward(input, output); }

    @Override
    public long forwardTimed(DeviceTensor input, DeviceTensor output) { return chain.forwardTimed(input, output); }

    @Override
    public Tensor forward(Tensor input) { return chain.forward(input); }

    @Override
    public Backend backend() { return chain.backend(); }

    @Override
    public void close() { chain.close(); }
}
