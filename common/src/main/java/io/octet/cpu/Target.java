package io.octet.cpu;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The CPUs an INT8 artifact is published for. The integer kernels ONNX Runtime picks differ by CPU,
 * and so does the arithmetic an artifact must survive:
 *
 * <ul>
 *   <li>x86 without VNNI (AVX2, and AVX-512 without VNNI) multiplies uint8 activations by int8
 *       weights with {@code VPMADDUBSW}, which adds two adjacent products into a saturating int16:
 *       {@code 255 * (|w_a| + |w_b|)} must stay within 32767, so every pair of weights the kernel
 *       adds together must satisfy {@code |w_a| + |w_b| <= 128} (see {@link KernelPairing}).
 *   <li>x86 with AVX-512 VNNI or AVX-VNNI ({@code VPDPBUSD}) and AMX accumulate four products
 *       straight into int32: no intermediate can saturate.
 *   <li>ARM64 uses {@code SDOT}/{@code UDOT} (dot-product extension) or widening {@code
 *       UMULL}/{@code SMULL} into int16 lanes followed by pairwise int32 accumulation ({@code
 *       UADALP}/{@code SADALP}) where the extension is missing; a single product of two 8-bit
 *       values always fits int16, and sums are taken in int32, so nothing saturates there either.
 * </ul>
 */
public enum Target {
  /**
   * Safe on every CPU: weights encoded so that no pair the AVX2 kernel adds together can saturate.
   */
  PORTABLE("portable", WeightEncoding.SATURATION_AWARE),
  /** x86 with AVX-512 VNNI, AVX-VNNI or AMX: full 8-bit weights; saturable on AVX2-only CPUs. */
  VNNI("vnni", WeightEncoding.FULL_RANGE),
  /** ARM64 only: full 8-bit weights; saturable on AVX2-only x86 CPUs. */
  ARM64("arm64", WeightEncoding.FULL_RANGE);

  private final String configName;
  private final WeightEncoding defaultEncoding;

  Target(String configName, WeightEncoding defaultEncoding) {
    this.configName = configName;
    this.defaultEncoding = defaultEncoding;
  }

  /**
   * Returns the name used in config files, manifests and on the command line.
   *
   * @return e.g. {@code portable}
   */
  public String configName() {
    return configName;
  }

  /**
   * Returns the weight encoding {@code weight-encoding = auto} resolves to for this target.
   *
   * @return the encoding that keeps the most precision this target's kernels allow
   */
  public WeightEncoding defaultEncoding() {
    return defaultEncoding;
  }

  /**
   * Returns whether the kernels of this target add adjacent u8 x s8 products into a saturating
   * int16 (x86 without VNNI). Only the portable target includes such CPUs.
   *
   * @return true for {@link #PORTABLE}
   */
  public boolean includesPairSaturatingKernels() {
    return this == PORTABLE;
  }

  /**
   * Parses a config value.
   *
   * @param name {@code portable}, {@code vnni} or {@code arm64} (case-insensitive)
   * @return the target
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Target fromConfig(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (Target t : values()) {
      if (t.configName.equals(n)) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "quantization.target = '"
            + name
            + "' is not a target; use one of "
            + Arrays.stream(values()).map(Target::configName).collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return configName;
  }
}
