/**
 * Calibration and quantization math: clipping-range selection from histograms, scale and zero
 * point, and ONNX-compatible int8/uint8/int32/int4 quantization of activations, weights and biases.
 *
 * <p>Everything here is pure and deterministic: {@link io.octet.calib.RangeSelector} turns a {@link
 * io.octet.histogram.Histogram} into a {@link io.octet.calib.ClipRange} (minmax, percentile,
 * entropy or MSE), {@link io.octet.calib.QuantParams#fromRange} turns a range into a float32 scale
 * and integer zero point, and {@link io.octet.calib.Int8Math} quantizes with the rounding and
 * saturation of ONNX {@code QuantizeLinear}.
 */
package io.octet.calib;
