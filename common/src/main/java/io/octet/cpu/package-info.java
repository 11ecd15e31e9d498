/**
 * Where an INT8 artifact will be served, and what that demands of it: {@link io.octet.cpu.Target}
 * (portable, vnni, arm64), which weight pairs ONNX Runtime's AVX2 kernels add in a saturating int16
 * ({@link io.octet.cpu.KernelPairing}), the saturation-aware weight encoding ({@link
 * io.octet.cpu.SaturationAwareEncoder}), a check of any INT8 model's weights ({@link
 * io.octet.cpu.Int8Check}) and the validating machine's features ({@link
 * io.octet.cpu.CpuFeatures}).
 */
package io.octet.cpu;
