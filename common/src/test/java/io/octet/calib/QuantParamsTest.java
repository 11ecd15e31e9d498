package io.octet.calib;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class QuantParamsTest {

  @Test
  void typesCarryOnnxConstants() {
    assertThat(QuantType.INT8.qmin()).as("int8 qmin").isEqualTo(-128);
    assertThat(QuantType.INT8.qmax()).as("int8 qmax").isEqualTo(127);
    assertThat(QuantType.INT8.symmetricQmin()).as("int8 symmetric qmin").isEqualTo(-127);
    assertThat(QuantType.INT8.onnxDataType()).as("TensorProto.INT8").isEqualTo(3);
    assertThat(QuantType.UINT8.qmax()).as("uint8 qmax").isEqualTo(255);
    assertThat(QuantType.UINT8.symmetricZeroPoint()).as("uint8 symmetric zp").isEqualTo(128);
    assertThat(QuantType.UINT8.onnxDataType()).as("TensorProto.UINT8").isEqualTo(2);
    assertThat(QuantType.fromConfig(" UINT8")).as("config name").isEqualTo(QuantType.UINT8);
    assertThatThrownBy(() -> QuantType.fromConfig("int4"))
        .as("unknown type lists valid names")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'int4'")
        .hasMessageContaining("int8, uint8");
  }

  @Test
  void calibrationMethodsParseAndListValidNames() {
    for (CalibrationMethod m : CalibrationMethod.values()) {
      assertThat(CalibrationMethod.fromConfig(m.configName())).as(m.configName()).isEqualTo(m);
    }
    assertThat(CalibrationMethod.fromConfig("Entropy"))
        .as("case")
        .isEqualTo(CalibrationMethod.ENTROPY);
    assertThatThrownBy(() -> CalibrationMethod.fromConfig("kl"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'kl'")
        .hasMessageContaining("minmax, percentile, entropy, mse");
  }

  @Test
  void symmetricRangesUseTheRestrictedInt8RangeAndUint8MidPoint() {
    QuantParams i8 = QuantParams.fromRange(-2f, 1f, QuantType.INT8, true);
    assertThat(i8.scale()).as("int8 scale = max|x| / 127").isEqualTo((float) (2.0 / 127));
    assertThat(i8.zeroPoint()).as("int8 zp").isZero();
    QuantParams u8 = QuantParams.fromRange(-2f, 1f, QuantType.UINT8, true);
    assertThat(u8.scale()).as("uint8 scale = max|x| / 127.5").isEqualTo((float) (2.0 / 127.5));
    assertThat(u8.zeroPoint()).as("uint8 zp").isEqualTo(128);
  }

  @Test
  void asymmetricRangesAreWidenedToZeroAndRoundTheZeroPoint() {
    QuantParams p = QuantParams.fromRange(-1f, 3f, QuantType.UINT8, false);
    assertThat(p.scale()).as("scale = (hi - lo) / 255").isEqualTo((float) (4.0 / 255));
    assertThat(p.zeroPoint()).as("zp = round(0 - lo / scale) = round(63.75)").isEqualTo(64);
    assertThat(Int8Math.dequantize(p.zeroPoint(), p)).as("0 is exact").isZero();

    QuantParams positive = QuantParams.fromRange(1f, 2f, QuantType.UINT8, false);
    assertThat(positive.scale()).as("range widened to [0, 2]").isEqualTo((float) (2.0 / 255));
    assertThat(positive.zeroPoint()).as("zp at qmin").isZero();

    QuantParams negative = QuantParams.fromRange(-4f, -1f, QuantType.INT8, false);
    assertThat(negative.zeroPoint()).as("range widened to [-4, 0]: zp at qmax").isEqualTo(127);

    QuantParams i8 = QuantParams.fromRange(-1f, 3f, QuantType.INT8, false);
    assertThat(i8.zeroPoint()).as("int8 zp = round(-128 + 63.75)").isEqualTo(-64);
  }

  @Test
  void degenerateRangesGetUnitScale() {
    QuantParams zeroU8 = QuantParams.fromRange(0f, 0f, QuantType.UINT8, false);
    assertThat(zeroU8).as("uint8 [0, 0]").isEqualTo(new QuantParams(1f, 128, QuantType.UINT8));
    QuantParams zeroI8 = QuantParams.fromRange(0f, 0f, QuantType.INT8, true);
    assertThat(zeroI8).as("int8 [0, 0]").isEqualTo(new QuantParams(1f, 0, QuantType.INT8));
    QuantParams tiny = QuantParams.fromRange(0f, Float.MIN_VALUE, QuantType.INT8, false);
    assertThat(tiny.scale()).as("a scale below the smallest normal float").isEqualTo(1f);
  }

  @Test
  void invalidParametersAreRejected() {
    assertThatThrownBy(() -> new QuantParams(0f, 0, QuantType.INT8)).hasMessageContaining("Scale");
    assertThatThrownBy(() -> new QuantParams(Float.NaN, 0, QuantType.INT8))
        .hasMessageContaining("Scale");
    assertThatThrownBy(() -> new QuantParams(1f, 200, QuantType.INT8))
        .hasMessageContaining("Zero point");
    assertThatThrownBy(() -> new QuantParams(1f, -1, QuantType.UINT8))
        .hasMessageContaining("Zero point");
    assertThatThrownBy(() -> QuantParams.fromRange(2f, 1f, QuantType.INT8, false))
        .hasMessageContaining("lo <= hi");
    assertThatThrownBy(
            () -> QuantParams.fromRange(Float.NEGATIVE_INFINITY, 1f, QuantType.INT8, false))
        .hasMessageContaining("finite");
    assertThatThrownBy(() -> new ClipRange(1f, 0f)).hasMessageContaining("lo <= hi");
    assertThatThrownBy(() -> new RangeOptions(0, true, QuantType.INT8))
        .hasMessageContaining("Percentile");
  }
}
