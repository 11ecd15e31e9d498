package io.octet.quant;

import static org.assertj.core.api.Assertions.assertThat;

import io.octet.calib.CalibrationMethod;
import io.octet.calib.CalibrationTable;
import io.octet.data.Sample;
import io.octet.engine.LocalEngine;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.testing.DigitsData;
import io.octet.validate.Pooling;
import io.octet.validate.ValidationMetrics;
import io.octet.validate.ValidationOptions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DigitsCnnQuantizationTest {
  private static final ValidationOptions TOP1 = new ValidationOptions("", Pooling.NONE, "", 3);

  @ParameterizedTest
  @EnumSource(CalibrationMethod.class)
  void staticInt8KeepsHeldOutAccuracyWithinHalfAPoint(CalibrationMethod method) {
    OnnxModel fp32 = OnnxModelIO.read(DigitsData.model());
    QuantOptions opts = QuantOptions.defaults().withMethod(method);
    Quantizer.Prepared prepared = Quantizer.prepare(fp32, opts);
    List<Sample> calib = DigitsData.rows("calib");
    CalibrationTable table = LocalEngine.calibrate(prepared, calib, 32, 4096, 2);
    OnnxModel int8 = Quantizer.quantize(fp32, opts, prepared, table, Map.of());

    ValidationMetrics m = LocalEngine.validate(fp32, int8, DigitsData.rows("test"), TOP1, 64, 2);

    assertThat(m.rows()).isEqualTo(539);
    assertThat(m.fp32Accuracy()).as("FP32 accuracy from ORT, as trained").isGreaterThan(0.98);
    assertThat(m.accuracyDropPoints()).as("INT8 top-1 drop, %s", method).isLessThanOrEqualTo(0.5);
    assertThat(m.top1Agreement()).isGreaterThan(0.98);
    assertThat(prepared.plan().nodes())
        .extracting(QuantPlan.NodeQuant::opType)
        .contains("Conv", "Gemm");
    System.out.printf(
        "digits %s: fp32 %.4f int8 %.4f cos %.5f sqnr %.2f dB%n",
        method, m.fp32Accuracy(), m.int8Accuracy(), m.meanCosine(), m.sqnrDb());
  }
}
