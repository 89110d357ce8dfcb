package org.convcl.plan;

/** The backward operations of a convolution, each with its own registry of kernels ({@link BackwardPlanner}). */
public enum BackwardPass {
    /** The input gradient {@code dx} from {@code dz}. */
    DATA,
    /** The weight gradient {@code dw} from the forward input and {@code dz}. */
    FILTER,
    /** The bias gradient {@code db} from {@code dz}. */
    BIAS,
    /** The activation's backward {@code dz} from the forward output and {@code dy}. */
    ACTIVATION,
    /** Adds a gradient computed apart to the one given (accumulation after a pass that only overwrites). */
    ACCUMULATE
}
