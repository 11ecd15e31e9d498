package io.octet.quant;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.calib.CalibrationTable;
import io.octet.cpu.CpuFeatures;
import io.octet.cpu.Int8Check;
import io.octet.cpu.KernelPairing;
import io.octet.cpu.Target;
import io.octet.cpu.WeightEncoding;
import io.octet.data.Sample;
import io.octet.data.TensorValue;
import io.octet.engine.LocalEngine;
import io.octet.onnx.Nodes;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.onnx.TensorData;
import io.octet.testing.TestModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A MatMul whose full-range int8 weights do saturate ONNX Runtime's AVX2 kernel: each output column
 * has one adjacent pair of large weights ({@code 127 + 114} after full-range rounding), and the
 * activations are all positive, so the uint8 inputs reach 255. The portable artifact must stay
 * close to FP32 on whatever CPU runs this test; the AVX2 arithmetic of both artifacts is also
 * computed exactly here (saturating int16 pair sums, as {@code VPMADDUBSW}), so the test shows the
 * full-range artifact failing on AVX2 even on a VNNI machine.
 */
class TargetPortabilityTest {
  private static final int K = 128;
  private static final int N = 64;

  @TempDir Path dir;

  @Test
  void portableArtifactIsSaturationFreeAndCloseToFp32OnAnyCpu() throws Exception {
    OnnxModel fp32 = OnnxModelIO.read(model().toByteArray(), "saturating-matmul");
    float[] x = rows(new SplittableRandom(2), 64);
    float[] ref = TestModels.run(fp32, "x", new long[] {64, K}, x).get("y");

    QuantOptions portable = QuantOptions.defaults();
    assertThat(portable.target()).as("default target").isEqualTo(Target.PORTABLE);
    assertThat(portable.weightEncoding()).isEqualTo(WeightEncoding.SATURATION_AWARE);
    QuantOptions vnni = portable.toBuilder().target(Target.VNNI, WeightEncoding.FULL_RANGE).build();
    QuantOptions sevenBit =
        portable.toBuilder().target(Target.PORTABLE, WeightEncoding.REDUCE_RANGE).build();

    OnnxModel pInt8 = quantize(fp32, portable);
    OnnxModel vInt8 = quantize(fp32, vnni);
    OnnxModel sInt8 = quantize(fp32, sevenBit);

    Int8Check.Result pCheck = Int8Check.check(pInt8);
    Int8Check.Result vCheck = Int8Check.check(vInt8);
    assertThat(pCheck.nodes()).hasSize(1);
    assertThat(pCheck.saturable(Target.PORTABLE)).as("portable artifact").isEmpty();
    assertThat(pCheck.nodes().get(0).worstPairSum()).isLessThanOrEqualTo(KernelPairing.PAIR_BOUND);
    assertThat(vCheck.saturable(Target.PORTABLE)).as("full-range artifact on AVX2").hasSize(1);
    assertThat(vCheck.saturable(Target.VNNI)).as("full-range artifact on VNNI").isEmpty();
    assertThat(vCheck.nodes().get(0).saturablePairs()).isEqualTo(N);

    double pOrt = TestModels.sqnrDb(ref, run(pInt8, x));
    double sOrt = TestModels.sqnrDb(ref, run(sInt8, x));
    double pAvx2 = TestModels.sqnrDb(ref, Avx2.emulate(pInt8, x, 64));
    double vAvx2 = TestModels.sqnrDb(ref, Avx2.emulate(vInt8, x, 64));
    double vExact = TestModels.sqnrDb(ref, Avx2.exact(vInt8, x, 64));
    System.out.printf(
        "saturating MatMul on %s: portable %.1f dB (ORT here), %.1f dB (AVX2 arithmetic);"
            + " 7-bit %.1f dB; full-range %.1f dB exact, %.1f dB with AVX2 arithmetic%n",
        CpuFeatures.detect(), pOrt, pAvx2, sOrt, vExact, vAvx2);
    assertThat(pOrt).as("portable artifact SQNR on this CPU").isGreaterThanOrEqualTo(30);
    assertThat(pAvx2).as("portable artifact SQNR with AVX2 arithmetic").isGreaterThanOrEqualTo(30);
    assertThat(vAvx2).as("full-range artifact with AVX2 arithmetic saturates").isLessThan(20);
    assertThat(pAvx2).as("saturation-aware beats 7-bit").isGreaterThan(sOrt);
    // Saturation-free means every kernel computes the same integers.
    assertThat(Avx2.emulate(pInt8, x, 64)).containsExactly(Avx2.exact(pInt8, x, 64));
  }

  @Test
  void theTargetAppliesAtQuantizeTimeWhateverThePlanWasMadeWith() {
    OnnxModel fp32 = OnnxModelIO.read(model().toByteArray(), "saturating-matmul");
    QuantOptions portable = QuantOptions.defaults();
    QuantOptions vnni = portable.toBuilder().target(Target.VNNI, WeightEncoding.FULL_RANGE).build();
    // One plan and one calibration table serve both targets (the tuner and the benches reuse them).
    Quantizer.Prepared prepared = Quantizer.prepare(fp32, vnni);
    List<Sample> calibration = new ArrayList<>();
    float[] c = rows(new SplittableRandom(1), 16);
    for (int i = 0; i < 16; i++) {
      float[] row = java.util.Arrays.copyOfRange(c, i * K, (i + 1) * K);
      calibration.add(
          new Sample("c" + i, Map.of("x", TensorValue.ofFloats(new long[] {K}, row)), -1));
    }
    CalibrationTable table = LocalEngine.calibrate(prepared, calibration, 16, 2048, 1);
    OnnxModel p = Quantizer.quantize(fp32, portable, prepared, table, Map.of());
    OnnxModel v = Quantizer.quantize(fp32, vnni, prepared, table, Map.of());
    assertThat(Int8Check.check(p).saturable(Target.PORTABLE)).isEmpty();
    assertThat(Int8Check.check(v).saturable(Target.PORTABLE)).hasSize(1);
  }

  @Test
  void dynamicModeHonoursTheTargetToo() {
    OnnxModel fp32 = OnnxModelIO.read(model().toByteArray(), "saturating-matmul");
    QuantOptions dynamic = QuantOptions.defaults().withMode(QuantMode.DYNAMIC);
    OnnxModel portable = Quantizer.quantize(fp32, dynamic, null, null, Map.of());
    OnnxModel vnni =
        Quantizer.quantize(
            fp32,
            dynamic.toBuilder().target(Target.VNNI, WeightEncoding.FULL_RANGE).build(),
            null,
            null,
            Map.of());
    assertThat(Int8Check.check(portable).saturable(Target.PORTABLE)).isEmpty();
    assertThat(Int8Check.check(vnni).saturable(Target.PORTABLE)).hasSize(1);
    float[] x = rows(new SplittableRandom(3), 16);
    float[] ref = TestModels.run(fp32, "x", new long[] {16, K}, x).get("y");
    assertThat(TestModels.sqnrDb(ref, run(portable, x))).isGreaterThanOrEqualTo(30);
  }

  private OnnxModel quantize(OnnxModel fp32, QuantOptions opts) {
    Quantizer.Prepared prepared = Quantizer.prepare(fp32, opts);
    List<Sample> calibration = new ArrayList<>();
    float[] c = rows(new SplittableRandom(1), 64);
    for (int i = 0; i < 64; i++) {
      float[] row = java.util.Arrays.copyOfRange(c, i * K, (i + 1) * K);
      calibration.add(
          new Sample("c" + i, Map.of("x", TensorValue.ofFloats(new long[] {K}, row)), -1));
    }
    CalibrationTable table = LocalEngine.calibrate(prepared, calibration, 16, 2048, 1);
    return Quantizer.quantize(fp32, opts, prepared, table, Map.of());
  }

  private float[] run(OnnxModel m, float[] x) {
    return TestModels.run(m, "x", new long[] {x.length / K, K}, x).get("y");
  }

  /** All-positive activations: after uint8 quantization (zero point 0) they reach 255. */
  private static float[] rows(SplittableRandom r, int n) {
    float[] x = new float[n * K];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextDouble();
    }
    return x;
  }

  private static ModelProto model() {
    SplittableRandom r = new SplittableRandom(5);
    float[] w = new float[K * N];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) ((r.nextDouble() * 2 - 1) * 0.05);
    }
    for (int n = 0; n < N; n++) {
      int k = 2 * (n % (K / 2));
      w[k * N + n] = 0.5f;
      w[(k + 1) * N + n] = 0.45f;
    }
    GraphProto g =
        GraphProto.newBuilder()
            .setName("saturating")
            .addInput(Nodes.valueInfo("x", TensorProto.DataType.FLOAT_VALUE, "B", K))
            .addOutput(Nodes.valueInfo("y", TensorProto.DataType.FLOAT_VALUE, "B", N))
            .addInitializer(TensorData.ofFloats("w", new long[] {K, N}, w))
            .addNode(Nodes.node("MatMul", "mm", List.of("x", "w"), List.of("y")))
            .build();
    return TestModels.model(g, 13);
  }

  /**
   * The integer arithmetic of the QDQ MatMul as ONNX Runtime's kernels compute it: uint8
   * activations times int8 weights, either exactly in int32 (VNNI, ARM64) or with each adjacent K
   * pair summed into a saturating int16 first (AVX2's {@code VPMADDUBSW}).
   */
  static final class Avx2 {
    static float[] emulate(OnnxModel m, float[] x, int rows) {
      return compute(m, x, rows, true);
    }

    static float[] exact(OnnxModel m, float[] x, int rows) {
      return compute(m, x, rows, false);
    }

    private static float[] compute(OnnxModel m, float[] x, int rows, boolean saturate) {
      GraphProto g = m.proto().getGraph();
      NodeProto qx = find(g, "QuantizeLinear", "x");
      float sx = floats(m, g, qx.getInput(1))[0];
      int zx = bytes(m, g, qx.getInput(2))[0] & 0xff;
      NodeProto dqw = null;
      for (NodeProto n : g.getNodeList()) {
        if (n.getOpType().equals("DequantizeLinear") && initializer(g, n.getInput(0)) != null) {
          TensorProto t = initializer(g, n.getInput(0));
          if (t.getDataType() == TensorProto.DataType.INT8_VALUE && t.getDimsCount() == 2) {
            dqw = n;
          }
        }
      }
      byte[] w = bytes(m, g, dqw.getInput(0));
      float[] sw = floats(m, g, dqw.getInput(1));
      float[] y = new float[rows * N];
      for (int r = 0; r < rows; r++) {
        int[] a = new int[K];
        for (int k = 0; k < K; k++) {
          a[k] = (int) Math.max(0, Math.min(255, Math.rint(x[r * K + k] / sx) + zx));
        }
        for (int n = 0; n < N; n++) {
          long acc = 0;
          long colSum = 0;
          for (int k = 0; k < K; k += 2) {
            int pair = a[k] * w[k * N + n] + a[k + 1] * w[(k + 1) * N + n];
            acc += saturate ? Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, pair)) : pair;
            colSum += w[k * N + n] + w[(k + 1) * N + n];
          }
          // The zero point is applied apart from the products (column sums), as MLAS does.
          y[r * N + n] =
              (float) ((acc - (long) zx * colSum) * (double) sx * sw[sw.length == 1 ? 0 : n]);
        }
      }
      return y;
    }

    private static NodeProto find(GraphProto g, String op, String input) {
      return g.getNodeList().stream()
          .filter(n -> n.getOpType().equals(op) && n.getInput(0).equals(input))
          .findFirst()
          .orElseThrow();
    }

    private static TensorProto initializer(GraphProto g, String name) {
      return g.getInitializerList().stream()
          .filter(t -> t.getName().equals(name))
          .findFirst()
          .orElse(null);
    }

    private static float[] floats(OnnxModel m, GraphProto g, String name) {
      return m.floats(initializer(g, name));
    }

    private static byte[] bytes(OnnxModel m, GraphProto g, String name) {
      return TensorData.rawBytes(initializer(g, name), m.baseDir(), m.name());
    }
  }
}
