package org.convcl.plan;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * What every kernel descriptor says, whatever it runs (a convolution spec, a separable block): whether it can run a
 * subject on a device and whether the planner picks it by itself, each answered by a named predicate that gives the
 * reason, and the kernel file it needs. A registry is an ordered list of descriptors, most preferred first;
 * {@link #firstChoice} is the walk every planner makes over its registry. The device facts (type included) reach every
 * predicate, so a descriptor for one device family declines the others.
 *
 * @param <S> what the descriptor runs, e.g. {@link org.convcl.ConvSpec}
 */
public interface KernelDescriptor<S> {
    /** Why this descriptor cannot run {@code subject} on {@code device}; empty when it can (forcing it then works). */
    Optional<String> declines(S subject, DeviceFacts device);

    /**
     * Why the planner does not pick this descriptor by itself for {@code subject}, which it can run (a measured
     * threshold, say); empty when it does. Forcing ignores this.
     */
    default Optional<String> passesOver(S subject, DeviceFacts device) {
        return Optional.empty();
    }

    /** The kernel source file under {@code /kernels} on the classpath. */
    String kernelFile();

    /**
     * The first entry of {@code registry} whose descriptor neither declines nor passes over {@code subject}; empty
     * when every one does.
     *
     * @param descriptor the descriptor of a registry entry
     */
    static <S, T> Optional<T> firstChoice(List<T> registry, Function<T, ? extends KernelDescriptor<S>> descriptor, S subject,
                                          DeviceFacts device) {
        for (T entry : registry) {
            KernelDescriptor<S> d = descriptor.apply(entry);
            if (d.declines(subject, device).isEmpty() && d.passesOver(subject, device).isEmpty()) return Optional.of(entry);
        }
        return Optional.empty();
    }
}
