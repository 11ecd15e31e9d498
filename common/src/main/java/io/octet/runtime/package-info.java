/**
 * ONNX Runtime plumbing: environment and session options, sessions cached per JVM, input tensors
 * built from rows, type probing, and activation collection for calibration.
 *
 * <p>Every native handle is closed in try-with-resources; handle-owning classes are final and
 * {@link java.lang.AutoCloseable}.
 */
package io.octet.runtime;
