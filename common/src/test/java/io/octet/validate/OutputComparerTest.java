package io.octet.validate;

import static ai.onnx.proto.OnnxMl.TensorProto.DataType.FLOAT_VALUE;
import static ai.onnx.proto.OnnxMl.TensorProto.DataType.INT64_VALUE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.octet.data.Sample;
import io.octet.data.TensorValue;
import io.octet.error.QuantException;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.TensorData;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.testing.TestModels;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OutputComparerTest {
  private static final OrtRuntime.SessionSettings ONE = new OrtRuntime.SessionSettings(1, true);

  /** hidden [N, S, 3] → y = hidden × factor (+ 0 × mask so the mask is a model input). */
  private static OnnxModel scaler(float factor) {
    GraphProto g =
        GraphProto.newBuilder()
            .setName("scale")
            .addInput(Nodes.valueInfo("hidden", FLOAT_VALUE, "N", "S", 3))
            .addInput(Nodes.valueInfo("attention_mask", INT64_VALUE, "N", "S"))
            .addOutput(Nodes.valueInfo("y", FLOAT_VALUE, "N", "S", 3))
            .addOutput(Nodes.valueInfo("mask_out", INT64_VALUE, "N", "S"))
            .addInitializer(TensorData.ofFloats("f", new long[0], new float[] {factor}))
            .addNode(Nodes.node("Mul", "mul", List.of("hidden", "f"), List.of("y")))
            .addNode(Nodes.node("Identity", "id", List.of("attention_mask"), List.of("mask_out")))
            .build();
    return new OnnxModel(TestModels.model(g, 13), null, "scale" + factor);
  }

  @Test
  void meanPoolingCountsOnlyPositionsTheMaskKeeps() throws OrtException {
    SplittableRandom r = new SplittableRandom(91);
    float[] hidden = TestModels.uniform(r, 4 * 3, 1f);
    hidden[3 * 3] = 100f; // a padded position with a huge value: must not count
    long[] mask = {1, 1, 1, 0};
    Sample row =
        new Sample(
            "row",
            Map.of(
                "hidden", TensorValue.ofFloats(new long[] {4, 3}, hidden),
                "attention_mask", TensorValue.ofLongs(new long[] {4}, mask)),
            -1);
    MetricsAccumulator acc = new MetricsAccumulator(1);
    try (OrtSession a = OrtRuntime.open(scaler(1f), ONE);
        OrtSession b = OrtRuntime.open(scaler(3f), ONE);
        InputBatch in = InputBatch.of(List.of(row))) {
      new OutputComparer(a, b, "m", new ValidationOptions("y", Pooling.MEAN, "attention_mask", 1))
          .compare(in, acc);
    }

    ValidationMetrics m = acc.result();
    double maxPooled = 0;
    for (int d = 0; d < 3; d++) {
      double mean = (hidden[d] + hidden[3 + d] + hidden[6 + d]) / 3.0;
      maxPooled = Math.max(maxPooled, Math.abs(mean));
    }
    assertThat(m.meanCosine()).as("pooled vectors are parallel").isCloseTo(1.0, within(1e-6));
    assertThat(m.maxAbsError())
        .as("|3·pool − pool| over unmasked positions only")
        .isCloseTo(2 * maxPooled, within(1e-5));
  }

  @Test
  void anOutputTheModelDoesNotHaveIsNamed() throws OrtException {
    try (OrtSession a = OrtRuntime.open(scaler(1f), ONE)) {
      assertThatThrownBy(
              () ->
                  new OutputComparer(
                      a, a, "my-model", new ValidationOptions("logits", Pooling.NONE, "", 1)))
          .isInstanceOf(QuantException.class)
          .hasMessageContaining("my-model")
          .hasMessageContaining("'logits'")
          .hasMessageContaining("y");
    }
  }

  @Test
  void latencyComparesTwoSessionsOnTheSameBatches() throws OrtException {
    Sample row =
        new Sample(
            "r",
            Map.of(
                "hidden", TensorValue.ofFloats(new long[] {8, 3}, new float[24]),
                "attention_mask", TensorValue.ofLongs(new long[] {8}, new long[8])),
            -1);
    try (OrtSession a = OrtRuntime.open(scaler(1f), ONE);
        OrtSession b = OrtRuntime.open(scaler(2f), ONE);
        InputBatch in = InputBatch.of(List.of(row, row))) {
      Latency.Comparison c = Latency.compare(a, b, List.of(in, in), 3);

      assertThat(c.rounds()).isEqualTo(3);
      assertThat(c.msPerRowA()).as("A per row").isPositive();
      assertThat(c.msPerRowB()).as("B per row").isPositive();
      assertThat(c.ratio() * c.speedup()).isCloseTo(1.0, within(1e-9));
      assertThatThrownBy(() -> Latency.compare(a, b, List.of(), 1))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
