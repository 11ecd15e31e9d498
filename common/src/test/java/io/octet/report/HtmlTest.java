package io.octet.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HtmlTest {
  @Test
  void escapesMarkupQuotesAndAmpersands() {
    assertThat(Html.esc("<script>alert('x') & \"y\"</script>"))
        .isEqualTo("&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
    assertThat(Html.esc("/encoder/layer.0/attention/self/query/MatMul_output_0"))
        .as("slashes and dots stay")
        .isEqualTo("/encoder/layer.0/attention/self/query/MatMul_output_0");
    assertThat(Html.esc(null)).isEmpty();
    assertThat(Html.esc("a\u0000b\u001bc\td\ne"))
        .as("control characters dropped")
        .isEqualTo("abc\td\ne");
  }

  @Test
  void formatsNumbersForPeople() {
    assertThat(Html.num(Double.NaN, 2)).isEqualTo(Html.NONE);
    assertThat(Html.num(0.99069, 4)).isEqualTo("0.9907");
    assertThat(Html.sig(2.907)).isEqualTo("2.907");
    assertThat(Html.sig(21.8046875)).isEqualTo("21.8");
    assertThat(Html.sig(0.000123)).isEqualTo("1.23e-4");
    assertThat(Html.sig(-3)).isEqualTo("-3");
    assertThat(Html.sig(1.0e5)).isEqualTo("1e5");
    assertThat(Html.sig(8.56e-8)).isEqualTo("8.56e-8");
    assertThat(Html.sig(0)).isEqualTo("0");
    assertThat(Html.compact(100_000)).isEqualTo("100k");
    assertThat(Html.compact(1)).isEqualTo("1");
    assertThat(Html.pct(0.00871, 2)).isEqualTo("0.87%");
  }

  @Test
  void formatsBytesAndDurations() {
    assertThat(Html.bytes(90_387_606)).isEqualTo("90.4 MB");
    assertThat(Html.bytes(191_667)).isEqualTo("191.7 kB");
    assertThat(Html.bytes(999)).isEqualTo("999 B");
    assertThat(Html.bytes(-1)).isEqualTo(Html.NONE);
    assertThat(Html.seconds(0.4)).isEqualTo("0.40 s");
    assertThat(Html.seconds(12.34)).isEqualTo("12.3 s");
    assertThat(Html.duration(Duration.ofSeconds(667))).isEqualTo("11 min 07 s");
    assertThat(Html.seconds(3725)).isEqualTo("1 h 02 min");
    assertThat(Html.duration(null)).isEqualTo(Html.NONE);
  }

  @Test
  void makesSafeIds() {
    assertThat(Html.id("resnet<script> v2")).isEqualTo("resnet-script--v2");
  }
}
