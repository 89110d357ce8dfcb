/**
 * Whole CNNs from ONNX models: {@link org.convcl.net.Network} loads, validates and prepares a model on a
 * {@link org.convcl.Backend} and runs it; {@link org.convcl.net.InvalidModelException} says why a model is refused.
 * Uses the public {@code Backend} API only. Needs the optional dependency {@code com.google.protobuf:protobuf-java}
 * at run time (see {@code docs/networks.md}).
 */
package org.convcl.net;
