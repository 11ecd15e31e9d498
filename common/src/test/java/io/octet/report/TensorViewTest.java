package io.octet.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.octet.calib.CalibrationTable;
import io.octet.calib.CalibrationTable.TensorCalibration;
import io.octet.report.ModelResult.NodeSqnr;
import java.util.List;
import org.junit.jupiter.api.Test;

class TensorViewTest {
  @Test
  void clippedSharesCountWhatSaturates() {
    // 1000 x 0, 100 x 1, 10 x 2, 1 x 3 with range [0, 2.5]: only the 3 is clipped.
    TensorView v =
        TensorView.of(0, Fixtures.calibration("t", Fixtures.steps(), 0f, 2.5f), Double.NaN);
    assertThat(v.clippedBelow()).isZero();
    assertThat(v.clippedAbove()).isCloseTo(1.0 / 1111, within(1e-12));
    // Range [0.5, 2.5] is stored as [0, 2.5] (0 is always representable): the zeros are kept.
    TensorView w =
        TensorView.of(0, Fixtures.calibration("t", Fixtures.steps(), 0.5f, 2.5f), Double.NaN);
    assertThat(w.clippedBelow()).isZero();
    // Range [-3, 1.5]: the 2s and the 3 are clipped, 11 of 1111.
    TensorView x =
        TensorView.of(0, Fixtures.calibration("t", Fixtures.steps(), -3f, 1.5f), Double.NaN);
    assertThat(x.clippedAbove()).isCloseTo(11.0 / 1111, within(1e-9));
  }

  @Test
  void noiseEstimatesSplitRoundingAndClipping() {
    TensorCalibration t = Fixtures.calibration("t", Fixtures.steps(), 0f, 2.5f);
    TensorView v = TensorView.of(0, t, Double.NaN);
    double s = t.params().scale();
    // Values are taken as spread evenly over their bin, cut to [min, max]: the bins of 0, 1 and 2
    // are 2^-5 wide, the bin of the maximum 3 shrinks to the point 3.
    double w = 0.03125;
    double signal =
        (1000 * TensorView.meanSquare(0, w)
                + 100 * TensorView.meanSquare(1, 1 + w)
                + 10 * TensorView.meanSquare(2, 2 + w)
                + 9)
            / 1111;
    assertThat(v.signalPower()).isCloseTo(signal, within(1e-12));
    assertThat(TensorView.meanSquare(1, 2)).isCloseTo(7.0 / 3, within(1e-12));
    assertThat(v.roundingNoise()).isCloseTo(1110.0 / 1111 * s * s / 12, within(1e-12));
    double edge = t.params().representableMax();
    assertThat(v.clippingNoise()).isCloseTo((3 - edge) * (3 - edge) / 1111, within(1e-9));
    double db = 10 * Math.log10(v.signalPower() / (v.roundingNoise() + v.clippingNoise()));
    assertThat(v.estimatedSqnrDb()).isCloseTo(db, within(1e-9));
  }

  @Test
  void rankingPrefersMeasuredNodeSqnrThenClippedShare() {
    TensorCalibration clipsMuch = Fixtures.calibration("a", Fixtures.steps(), 0f, 0.5f);
    TensorCalibration clipsLittle = Fixtures.calibration("b", Fixtures.steps(), 0f, 2.5f);
    TensorCalibration clipsNone = Fixtures.calibration("c", Fixtures.steps(), 0f, 3f);
    CalibrationTable table = Fixtures.table("m", clipsMuch, clipsLittle, clipsNone);

    assertThat(TensorView.ranked(table, List.of()))
        .as("without node SQNR: most clipped first")
        .extracting(TensorView::name)
        .containsExactly("a", "b", "c");

    List<NodeSqnr> nodes =
        List.of(new NodeSqnr("nc", "Conv", "c", 12.0), new NodeSqnr("nb", "Conv", "b", 30.0));
    List<TensorView> ranked = TensorView.ranked(table, nodes);
    assertThat(ranked)
        .as("measured SQNR first, lowest first; unmatched tensors after")
        .extracting(TensorView::name)
        .containsExactly("c", "b", "a");
    assertThat(ranked.get(0).nodeSqnrDb()).isEqualTo(12.0);
    assertThat(ranked.get(2).nodeSqnrDb()).isNaN();
  }
}
