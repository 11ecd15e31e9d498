package io.octet.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading /proc/cpuinfo, and what each kind of CPU can show of each target. */
class CpuFeaturesTest {
  private static final String AVX2_ONLY =
      "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma bmi2\n\n"
          + "processor\t: 1\nflags\t\t: fpu sse2 avx avx2 fma bmi2\n";
  private static final String VNNI =
      "processor\t: 0\nflags\t\t: avx2 avx512f avx512bw avx512_vnni avx_vnni\n";
  private static final String ARM =
      "processor\t: 0\nFeatures\t: fp asimd evtstrm aes asimddp i8mm\n";

  @Test
  void parsesFlagsOfEveryArchitecture() {
    assertThat(CpuFeatures.parse("amd64", AVX2_ONLY))
        .isEqualTo(new CpuFeatures("x86_64", List.of("avx2")));
    assertThat(CpuFeatures.parse("x86_64", VNNI).flags())
        .containsExactly("avx2", "avx512_vnni", "avx512bw", "avx512f", "avx_vnni");
    assertThat(CpuFeatures.parse("arm64", ARM))
        .isEqualTo(new CpuFeatures("aarch64", List.of("asimd", "asimddp", "i8mm")));
  }

  @Test
  void aFeatureCountsOnlyWhenEveryProcessorHasIt() {
    String mixed = "flags\t: avx2 avx512_vnni\nflags\t: avx2\n";
    assertThat(CpuFeatures.parse("x86_64", mixed).flags()).containsExactly("avx2");
  }

  @Test
  void whichMachinesShowWhichTarget() {
    CpuFeatures avx2 = CpuFeatures.parse("x86_64", AVX2_ONLY);
    CpuFeatures vnni = CpuFeatures.parse("x86_64", VNNI);
    CpuFeatures arm = CpuFeatures.parse("aarch64", ARM);
    assertThat(avx2.pairSaturatingKernels()).isTrue();
    assertThat(vnni.pairSaturatingKernels()).isFalse();
    assertThat(arm.int32Accumulation()).isTrue();
    // Pair-safe weights compute the same integers everywhere.
    for (CpuFeatures c : List.of(avx2, vnni, arm)) {
      for (Target t : Target.values()) {
        assertThat(c.cannotShow(t, true)).isNull();
      }
    }
    assertThat(avx2.cannotShow(Target.VNNI, false)).contains("avx512_vnni");
    assertThat(avx2.cannotShow(Target.ARM64, false)).contains("int16 pair sums saturate");
    // Exact int32 accumulation on both: a VNNI machine shows an arm64 artifact and vice versa.
    assertThat(vnni.cannotShow(Target.VNNI, false)).isNull();
    assertThat(arm.cannotShow(Target.VNNI, false)).isNull();
    assertThat(vnni.cannotShow(Target.ARM64, false)).isNull();
    assertThat(arm.cannotShow(Target.ARM64, false)).isNull();
    assertThat(vnni.cannotShow(Target.PORTABLE, false)).contains("differ by CPU");
  }

  @Test
  void detectsThisMachine() {
    CpuFeatures here = CpuFeatures.detect();
    assertThat(here.arch()).isNotBlank();
    if (here.arch().equals("x86_64") && !here.flags().isEmpty()) {
      assertThat(here.flags()).contains("avx2");
    }
  }
}
