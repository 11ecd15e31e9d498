package io.octet.jobs.validate;

import static org.assertj.core.api.Assertions.assertThat;

import io.octet.cpu.CpuFeatures;
import io.octet.cpu.TargetValidation;
import io.octet.validate.Gate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the target's assessment enters the gate, for CPUs this machine may not be. */
class TargetGateTest {
  private static final CpuFeatures AVX2 = new CpuFeatures("x86_64", List.of("avx2"));
  private static final Gate.Verdict PASS = new Gate.Verdict(true, List.of());

  private static TargetValidation vnniArtifact(List<CpuFeatures> cpus) {
    String why = cpus.get(0).cannotShow(io.octet.cpu.Target.VNNI, false);
    return new TargetValidation("vnni", "full-range", 3, 2, 240, cpus, "1.29.0", why);
  }

  @Test
  void anAvx2OnlyValidatorFailsTheGateOnlyWhenAsked() {
    TargetValidation t = vnniArtifact(List.of(AVX2));
    assertThat(t.showsTarget()).isFalse();
    assertThat(ValidateSparkAction.withTarget(PASS, t, false)).isSameAs(PASS);
    Gate.Verdict v = ValidateSparkAction.withTarget(PASS, t, true);
    assertThat(v.passed()).isFalse();
    assertThat(v.failures()).singleElement().asString().contains("require-target-cpu", "avx2");
  }

  @Test
  void aVnniValidatorShowsAVnniArtifact() {
    TargetValidation t =
        vnniArtifact(List.of(new CpuFeatures("x86_64", List.of("avx2", "avx512_vnni"))));
    assertThat(t.showsTarget()).isTrue();
    assertThat(ValidateSparkAction.withTarget(PASS, t, true)).isSameAs(PASS);
  }

  @Test
  void aPortableArtifactWithASaturableNodeAlwaysFails() {
    TargetValidation t =
        new TargetValidation("portable", "saturation-aware", 3, 1, 200, List.of(), "1.29.0", "x");
    Gate.Verdict v = ValidateSparkAction.withTarget(PASS, t, false);
    assertThat(v.passed()).isFalse();
    assertThat(v.failures()).singleElement().asString().contains("can saturate on AVX2");
  }
}
