package io.octet.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import io.octet.data.ElemType;
import io.octet.data.Sample;
import io.octet.data.TensorValue;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InputBatchTest {

  private static Sample row(String id, long[] shape, float[] x, long[] ids) {
    return new Sample(
        id,
        Map.of(
            "x", TensorValue.ofFloats(shape, x),
            "ids", TensorValue.ofLongs(new long[] {ids.length}, ids)),
        -1);
  }

  @Test
  void tensorsStackRowsBehindABatchDimensionInRowOrder() {
    List<Sample> rows =
        List.of(
            row("a", new long[] {2, 2}, new float[] {1, 2, 3, 4}, new long[] {7, 8}),
            row("b", new long[] {2, 2}, new float[] {5, 6, 7, 8}, new long[] {9, 10}));
    try (InputBatch b = InputBatch.of(rows)) {
      OnnxTensor x = b.tensors().get("x");
      OnnxTensor ids = b.tensors().get("ids");

      assertThat(b.size()).isEqualTo(2);
      assertThat(x.getInfo().getShape()).as("x shape").containsExactly(2, 2, 2);
      assertThat(ids.getInfo().getShape()).as("ids shape").containsExactly(2, 2);
      FloatBuffer fb = x.getFloatBuffer();
      float[] xv = new float[fb.remaining()];
      fb.get(xv);
      assertThat(xv).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
      LongBuffer lb = ids.getLongBuffer();
      long[] iv = new long[lb.remaining()];
      lb.get(iv);
      assertThat(iv).containsExactly(7, 8, 9, 10);
      assertThat(b.tensorsFor(Set.of("ids")).keySet()).containsExactly("ids");
    }
  }

  @Test
  void everyElementTypeBecomesTheMatchingOrtType() {
    Sample s =
        new Sample(
            "t",
            Map.of(
                "f64", new TensorValue(ElemType.DOUBLE, new long[] {2}, new double[] {1.5, -2}),
                "i32", new TensorValue(ElemType.INT32, new long[] {2}, new int[] {3, -4}),
                "i8", new TensorValue(ElemType.INT8, new long[] {2}, new byte[] {-5, 6}),
                "u8", new TensorValue(ElemType.UINT8, new long[] {2}, new byte[] {(byte) 200, 7}),
                "b", new TensorValue(ElemType.BOOL, new long[] {2}, new byte[] {1, 0})),
            -1);
    try (InputBatch b = InputBatch.of(List.of(s, s))) {
      Map<String, OnnxTensor> t = b.tensors();
      assertThat(t.get("f64").getInfo().type).isEqualTo(OnnxJavaType.DOUBLE);
      assertThat(t.get("i32").getInfo().type).isEqualTo(OnnxJavaType.INT32);
      assertThat(t.get("i8").getInfo().type).isEqualTo(OnnxJavaType.INT8);
      assertThat(t.get("u8").getInfo().type).isEqualTo(OnnxJavaType.UINT8);
      assertThat(t.get("b").getInfo().type).isEqualTo(OnnxJavaType.BOOL);
      ByteBuffer u8 = t.get("u8").getByteBuffer();
      assertThat(Byte.toUnsignedInt(u8.get(2))).as("second row, uint8 200").isEqualTo(200);
      assertThat(t.get("i32").getIntBuffer().get(3)).isEqualTo(-4);
      assertThat(t.get("f64").getDoubleBuffer().get(2)).isEqualTo(1.5);
    }
  }

  @Test
  void mismatchedRowsAreRejectedNamingTheRowAndTheInput() {
    Sample a = row("first", new long[] {2, 2}, new float[4], new long[] {1, 2});
    Sample wrongShape = row("second", new long[] {4}, new float[4], new long[] {1, 2});
    Sample noIds =
        new Sample("third", Map.of("x", TensorValue.ofFloats(new long[] {2, 2}, new float[4])), -1);
    Sample wrongType =
        new Sample(
            "fourth",
            Map.of(
                "x",
                TensorValue.ofFloats(new long[] {2, 2}, new float[4]),
                "ids",
                new TensorValue(ElemType.INT32, new long[] {2}, new int[2])),
            -1);

    assertThatThrownBy(() -> InputBatch.of(List.of(a, wrongShape)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'second'")
        .hasMessageContaining("input 'x'")
        .hasMessageContaining("float32[4]")
        .hasMessageContaining("float32[2, 2]")
        .hasMessageContaining("batch rows by shape first");
    assertThatThrownBy(() -> InputBatch.of(List.of(a, noIds)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'third' has no value for input 'ids'");
    assertThatThrownBy(() -> InputBatch.of(List.of(a, wrongType)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'fourth'")
        .hasMessageContaining("int32[2]")
        .hasMessageContaining("int64[2]");
    assertThatThrownBy(() -> InputBatch.of(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one row");
  }

  @Test
  void missingModelInputsAreListedAndAClosedBatchRefusesUse() {
    InputBatch b = InputBatch.of(List.of(row("a", new long[] {1}, new float[1], new long[] {1})));
    assertThatThrownBy(() -> b.tensorsFor(List.of("x", "attention_mask")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[attention_mask]")
        .hasMessageContaining("ids")
        .hasMessageContaining("x");
    b.close();
    b.close();
    assertThatThrownBy(b::tensors)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("InputBatch is closed");
  }
}
