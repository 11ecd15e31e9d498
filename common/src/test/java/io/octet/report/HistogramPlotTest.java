package io.octet.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.octet.calib.CalibrationTable.TensorCalibration;
import io.octet.histogram.Histogram;
import io.octet.histogram.HistogramAccumulator;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class HistogramPlotTest {
  private static final double W = HistogramPlot.WIDTH;
  private static final double BOTTOM = HistogramPlot.HEIGHT - HistogramPlot.BOTTOM;
  private static final Pattern BAR =
      Pattern.compile("M([-\\d.]+),([-\\d.]+)V([-\\d.]+)H([-\\d.]+)V([-\\d.]+)Z");

  @Test
  void knownHistogramHasOneBarPerOccupiedBin() {
    Histogram h = Fixtures.steps();
    assertThat(h.binWidth()).isEqualTo(0.03125);
    assertThat(h.binHigh(h.spanBins() - 1)).isEqualTo(3.03125);
    HistogramPlot.Geometry g = HistogramPlot.geometry(h, 0, 2.5, 128, true, W);
    assertThat(g.binWidth()).as("97 bins fit: nothing merged").isEqualTo(h.binWidth());
    assertThat(g.counts()).hasSize(97);
    List<double[]> bars = bars(HistogramPlot.bars(g, BOTTOM));
    assertThat(bars).hasSize(4);
    // Bars start at the bins' lower edges: 0, 1, 2, 3 on a domain padded by 2% of 3.03125.
    double pad = 3.03125 * 0.02;
    for (int i = 0; i < 4; i++) {
      double expected = HistogramPlot.LEFT + (i + pad) / (3.03125 + 2 * pad) * plotWidth();
      assertThat(bars.get(i)[0]).as("x of bar %s", i).isCloseTo(expected, within(0.01));
    }
  }

  @Test
  void barHeightsFollowTheLogOfTheCount() {
    HistogramPlot.Geometry g = HistogramPlot.geometry(Fixtures.steps(), 0, 2.5, 128, true, W);
    List<double[]> bars = bars(HistogramPlot.bars(g, BOTTOM));
    double[] height = new double[4];
    for (int i = 0; i < 4; i++) {
      height[i] = BOTTOM - bars.get(i)[1];
    }
    // Counts 1000, 100, 10, 1 drawn from a floor of 0.5: heights are log10(count / 0.5).
    double perDecade = height[0] / Math.log10(1000 / HistogramPlot.LOG_FLOOR);
    assertThat(height[1]).isCloseTo(perDecade * Math.log10(200), within(0.02));
    assertThat(height[2]).isCloseTo(perDecade * Math.log10(20), within(0.02));
    assertThat(height[3])
        .as("a single value still shows")
        .isCloseTo(perDecade * Math.log10(2), within(0.02));
    assertThat(height[0] - height[1]).isCloseTo(height[1] - height[2], within(0.02));
    // The tallest bar stays under the top of the plot, whose domain ends at 1.5 x max(10, count).
    assertThat(bars.get(0)[1]).isGreaterThan(HistogramPlot.TOP);
  }

  @Test
  void clippingLinesSitAtTheRangeEnds() {
    TensorCalibration t = Fixtures.calibration("t", Fixtures.steps(), 0.5f, 2.5f);
    String svg = HistogramPlot.render(t, TensorView.of(0, t, Double.NaN), 128, W);
    double pad = 3.03125 * 0.02;
    double lo = HistogramPlot.LEFT + (0.5 + pad) / (3.03125 + 2 * pad) * plotWidth();
    double hi = HistogramPlot.LEFT + (2.5 + pad) / (3.03125 + 2 * pad) * plotWidth();
    assertThat(attr(svg, "clip clip-lo", "x1")).isCloseTo(lo, within(0.01));
    assertThat(attr(svg, "clip clip-hi", "x1")).isCloseTo(hi, within(0.01));
    assertThat(svg).contains(">lo 0.5<").contains(">hi 2.5<");
    // Shaded: what saturates. The representable range of uint8 [0.5, 2.5] is [0, 2.5]: the zeros
    // below lo are not clipped, so the left zone ends at 0; the right one starts at 2.5.
    double zero = HistogramPlot.LEFT + pad / (3.03125 + 2 * pad) * plotWidth();
    assertThat(attr(svg, "clip-zone", "width")).isCloseTo(zero - HistogramPlot.LEFT, within(0.01));
    double repHi = t.params().representableMax();
    assertThat(repHi).isCloseTo(2.5, within(1e-6));
    assertThat(svg).contains("class=\"clip-zone\" x=\"" + Svg.n(hi) + "\"");
  }

  @Test
  void wideHistogramsMergeAlignedBinsExactly() {
    HistogramAccumulator acc = new HistogramAccumulator(4096);
    SplittableRandom r = new SplittableRandom(7);
    float[] v = new float[20_000];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (r.nextGaussian() * 3);
    }
    acc.add(v, 0, v.length);
    Histogram h = acc.snapshot();
    assertThat(h.spanBins()).isGreaterThan(2048);
    HistogramPlot.Geometry g = HistogramPlot.geometry(h, -4, 4, 128, true, W);
    assertThat(g.counts().length).isLessThanOrEqualTo(128);
    assertThat(g.binWidth() / h.binWidth()).as("a power of two").isIn(32.0, 64.0);
    long sum = 0;
    for (long c : g.counts()) {
      sum += c;
    }
    assertThat(sum).isEqualTo(h.totalCount());
    assertThat(g.firstBin() * g.binWidth()).isLessThanOrEqualTo(h.min());
  }

  @Test
  void tensorNamesAreEscapedAndLabelsStayInside() {
    TensorCalibration t = Fixtures.calibration("/a<b>&\"c\"", Fixtures.steps(), 0f, 3f);
    String svg = HistogramPlot.render(t, TensorView.of(0, t, Double.NaN), 128, W);
    assertThat(svg).contains("/a&lt;b&gt;&amp;&quot;c&quot;").doesNotContain("<b>");
    assertThat(svg).startsWith("<svg").contains("role=\"img\"").contains("<title>Histogram of");
  }

  @Test
  void clipLabelsTurnInwardAtTheEdgesAndDodgeEachOther() {
    Svg edge = new Svg("t", W, 100, "t", "t");
    HistogramPlot.clipLabels(edge, 30, W - 10, W, "lo -0.5", "hi 3.03125");
    assertThat(edge.close())
        .as("no room left of lo or right of hi: both labels turn inward")
        .contains("x=\"33\" y=\"16\" text-anchor=\"start\">lo -0.5<")
        .contains("x=\"587\" y=\"16\" text-anchor=\"end\">hi 3.03125<");
    Svg close = new Svg("t", W, 100, "t", "t");
    HistogramPlot.clipLabels(close, 300, 310, W, "lo 0", "hi 0.01");
    assertThat(close.close())
        .as("lines 10 px apart in the middle: the labels point away from each other")
        .contains("x=\"297\" y=\"16\" text-anchor=\"end\">lo 0<")
        .contains("x=\"313\" y=\"16\" text-anchor=\"start\">hi 0.01<");
    Svg crowded = new Svg("t", W, 100, "t", "t");
    HistogramPlot.clipLabels(crowded, 580, 590, W, "lo 2.9", "hi 3");
    assertThat(crowded.close())
        .as("both lines at the right edge: hi turns inward onto lo, so it drops one row")
        .contains("x=\"577\" y=\"16\" text-anchor=\"end\">lo 2.9<")
        .contains("x=\"587\" y=\"30\" text-anchor=\"end\">hi 3<");
  }

  @Test
  void emptyHistogramSaysSo() {
    TensorCalibration t = Fixtures.calibration("t", Histogram.empty(128), 0f, 1f);
    String svg = HistogramPlot.render(t, TensorView.of(0, t, Double.NaN), 128, W);
    assertThat(svg).contains("No finite values");
  }

  private static double plotWidth() {
    return W - HistogramPlot.RIGHT - HistogramPlot.LEFT;
  }

  /** Each bar as {x0, yTop, x1}. */
  private static List<double[]> bars(String d) {
    List<double[]> out = new ArrayList<>();
    Matcher m = BAR.matcher(d);
    while (m.find()) {
      out.add(
          new double[] {
            Double.parseDouble(m.group(1)),
            Double.parseDouble(m.group(3)),
            Double.parseDouble(m.group(4))
          });
    }
    return out;
  }

  private static double attr(String svg, String cls, String attr) {
    Matcher m =
        Pattern.compile("class=\"" + cls + "\"[^>]*? " + attr + "=\"([-\\d.]+)\"").matcher(svg);
    assertThat(m.find()).as("element %s", cls).isTrue();
    return Double.parseDouble(m.group(1));
  }
}
