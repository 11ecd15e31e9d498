/**
 * Rows of model input as plain Java arrays, and their batching into ONNX Runtime tensors.
 *
 * <p>Spark, Parquet and Arrow stay outside: jobs turn their rows into {@link io.octet.data.Sample}s
 * and the engine never sees a dataset API.
 */
package io.octet.data;
