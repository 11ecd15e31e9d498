/**
 * Quantization: graph analysis (which tensors and weights to quantize), the calibration model
 * augmentation, and the rewriters for static QDQ INT8, dynamic INT8, FP16 and weight-only INT4.
 */
package io.octet.quant;
