package io.octet.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ScaleTest {
  @Test
  void logScaleSpacesDecadesEvenly() {
    Scale y = Scale.log10(1, 1000, 300, 0);
    assertThat(y.map(1)).isCloseTo(300, within(1e-9));
    assertThat(y.map(10)).isCloseTo(200, within(1e-9));
    assertThat(y.map(100)).isCloseTo(100, within(1e-9));
    assertThat(y.map(1000)).isCloseTo(0, within(1e-9));
    assertThat(y.map(Math.sqrt(10))).as("half a decade").isCloseTo(250, within(1e-9));
    assertThat(y.mapClamped(0)).as("zero counts sit on the baseline").isEqualTo(300);
  }

  @Test
  void logTicksArePowersOfTen() {
    assertThat(Scale.log10(0.5, 1.5e5, 100, 0).ticks(6))
        .containsExactly(1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0);
    assertThat(Scale.log10(1, 1e11, 100, 0).ticks(6))
        .as("many decades: every second one")
        .containsExactly(1.0, 100.0, 1e4, 1e6, 1e8, 1e10);
  }

  @Test
  void linearTicksAreRoundSteps() {
    assertThat(Scale.linear(0, 3.2, 0, 100).ticks(6)).containsExactly(0.0, 1.0, 2.0, 3.0);
    assertThat(Scale.linear(0, 3.2, 0, 100).ticks(8))
        .containsExactly(0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0);
    assertThat(Scale.linear(-0.3, 0.3, 0, 100).ticks(6))
        .as("no -0.0 and no rounding dust")
        .containsExactly(-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3);
    assertThat(Scale.linear(-0.06, 3.09, 0, 100).ticks(6)).startsWith(0.0).endsWith(3.0);
    assertThat(Scale.niceStep(0.33)).isEqualTo(0.5);
    assertThat(Scale.niceStep(7)).isEqualTo(10);
    assertThat(Scale.niceStep(1)).isEqualTo(1);
    assertThat(Scale.niceStep(0.0019)).isCloseTo(0.002, within(1e-15));
  }

  @Test
  void rejectsEmptyAndNonPositiveLogDomains() {
    assertThatThrownBy(() -> Scale.linear(1, 1, 0, 1)).hasMessageContaining("Empty domain");
    assertThatThrownBy(() -> Scale.log10(0, 10, 0, 1)).hasMessageContaining("positive");
  }
}
