package io.octet.cpu;

import io.octet.util.Checks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The integer-kernel features of a CPU, as ONNX Runtime's dispatch sees them: which arithmetic an
 * INT8 model gets on this machine.
 *
 * @param arch the architecture ({@code x86_64}, {@code aarch64}, ...)
 * @param flags the features that change integer kernels, e.g. {@code avx2}, {@code avx512_vnni},
 *     {@code avx_vnni}, {@code amx_int8}, {@code asimddp}; sorted
 */
public record CpuFeatures(String arch, List<String> flags) implements java.io.Serializable {
  private static final Set<String> RELEVANT =
      Set.of(
          "avx2",
          "avx512f",
          "avx512bw",
          "avx512_vnni",
          "avx_vnni",
          "amx_int8",
          "asimd",
          "asimddp",
          "i8mm",
          "sve");

  /** Validates and copies. */
  public CpuFeatures {
    Checks.checkNotNull(arch, "arch");
    flags = List.copyOf(new TreeSet<>(flags));
  }

  /**
   * Returns this machine's features, read once per JVM from {@code /proc/cpuinfo} (Linux; elsewhere
   * only the architecture is known). Every validation task asks; the CPU does not change.
   *
   * @return the features
   */
  public static CpuFeatures detect() {
    return Here.FEATURES;
  }

  /** Holder: read on first use, then shared. */
  private static final class Here {
    static final CpuFeatures FEATURES = read();
  }

  private static CpuFeatures read() {
    String arch = normalizeArch(System.getProperty("os.arch", "unknown"));
    try {
      return parse(arch, Files.readString(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      // Not Linux: the architecture alone is still worth recording.
      return new CpuFeatures(arch, List.of());
    } catch (IOException | UncheckedIOException e) {
      return new CpuFeatures(arch, List.of());
    }
  }

  /**
   * Parses the {@code flags} (x86) or {@code Features} (ARM) lines of a {@code /proc/cpuinfo} text.
   * A feature counts only when every processor listed has it.
   *
   * @param arch the architecture
   * @param cpuinfo the file's text
   * @return the features
   */
  public static CpuFeatures parse(String arch, String cpuinfo) {
    Set<String> common = null;
    for (String line : cpuinfo.split("\n", -1)) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String key = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      if (!key.equals("flags") && !key.equals("features")) {
        continue;
      }
      Set<String> here = new TreeSet<>();
      for (String f : line.substring(colon + 1).trim().split("\\s+")) {
        if (RELEVANT.contains(f)) {
          here.add(f);
        }
      }
      if (common == null) {
        common = here;
      } else {
        common.retainAll(here);
      }
    }
    return new CpuFeatures(normalizeArch(arch), common == null ? List.of() : List.copyOf(common));
  }

  /**
   * Returns whether ONNX Runtime's u8 x s8 kernels on this CPU accumulate in int32 without an int16
   * pair step (x86 VNNI or AMX; every ARM64 kernel), so that full-range weights are exact.
   *
   * @return false for x86 without VNNI, and for an unknown architecture
   */
  public boolean int32Accumulation() {
    if (isArm64()) {
      return true;
    }
    return flags.contains("avx512_vnni")
        || flags.contains("avx_vnni")
        || flags.contains("amx_int8");
  }

  /**
   * Returns whether this CPU runs the pair-saturating AVX2 kernels (x86 without VNNI).
   *
   * @return true for x86 with AVX2 and no VNNI
   */
  public boolean pairSaturatingKernels() {
    return isX86() && !int32Accumulation();
  }

  /**
   * Says whether validating here shows the arithmetic an artifact gets on its target, and why.
   *
   * @param target the artifact's target
   * @param pairSafe whether the artifact's weights have no pair above the AVX2 bound (then every
   *     kernel computes the same integers, and any machine shows them)
   * @return null when it does; otherwise a sentence for the report
   */
  public String cannotShow(Target target, boolean pairSafe) {
    if (pairSafe) {
      return null;
    }
    if (target == Target.PORTABLE) {
      return "weights have pairs above the AVX2 bound, so results differ by CPU: this machine ("
          + this
          + ") shows only its own kernels";
    }
    // vnni and arm64 artifacts run on kernels that accumulate exactly in int32; any CPU with such
    // kernels computes the same integers, whatever its architecture.
    return int32Accumulation()
        ? null
        : "target "
            + target.configName()
            + " is computed with exact int32 accumulation, but this machine ("
            + this
            + ") runs the AVX2 kernel whose int16 pair sums saturate; validate on a CPU with"
            + " avx512_vnni, avx_vnni or amx_int8, or on ARM64";
  }

  private boolean isArm64() {
    return arch.equals("aarch64");
  }

  private boolean isX86() {
    return arch.equals("x86_64");
  }

  private static String normalizeArch(String arch) {
    String a = arch.toLowerCase(Locale.ROOT);
    return switch (a) {
      case "amd64", "x86_64", "x64" -> "x86_64";
      case "arm64", "aarch64" -> "aarch64";
      default -> a;
    };
  }

  @Override
  public String toString() {
    return arch + (flags.isEmpty() ? "" : " " + String.join(" ", flags));
  }
}
