package io.octet.bench;

import ai.onnxruntime.OrtSession;
import io.octet.calib.CalibrationMethod;
import io.octet.calib.CalibrationTable;
import io.octet.calib.QuantType;
import io.octet.data.Batching;
import io.octet.data.Sample;
import io.octet.engine.LocalEngine;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.quant.QuantMode;
import io.octet.quant.QuantOptions;
import io.octet.quant.Quantizer;
import io.octet.runtime.InputBatch;
import io.octet.runtime.OrtRuntime;
import io.octet.testing.MiniLmData;
import io.octet.validate.Latency;
import io.octet.validate.Pooling;
import io.octet.validate.ValidationMetrics;
import io.octet.validate.ValidationOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Scratch driver to explore static INT8 settings on MiniLM. */
public final class MiniLmExplore {
  public static void main(String[] args) throws Exception {
    int nCal = Integer.parseInt(args.length > 0 ? args[0] : "300");
    int nVal = Integer.parseInt(args.length > 1 ? args[1] : "200");
    OnnxModel fp32 = OnnxModelIO.read(MiniLmData.fp32Model());
    List<Sample> cal = MiniLmData.tokenize(MiniLmData.passages(0, nCal), "c", 128);
    List<Sample> val = MiniLmData.tokenize(MiniLmData.passages(10000, nVal), "v", 128);
    ValidationOptions vo = new ValidationOptions("", Pooling.MEAN, "attention_mask", 5);
    QuantOptions base = QuantOptions.defaults();
    List<String> configs =
        new ArrayList<>(List.of(args).subList(Math.min(2, args.length), args.length));
    if (configs.isEmpty()) {
      configs = List.of("dynamic", "static:MatMul:percentile", "static:MatMul:minmax");
    }
    List<InputBatch> latBatches = new ArrayList<>();
    for (List<Sample> b : Batching.byShape(val, 32)) {
      latBatches.add(InputBatch.of(b));
    }
    for (String c : configs) {
      String[] p = c.split(":");
      QuantOptions o = base.withMode(QuantMode.fromConfig(p[0]));
      Quantizer.Prepared prep = null;
      CalibrationTable table = null;
      long t0 = System.nanoTime();
      if (o.mode() == QuantMode.STATIC) {
        o =
            o.withOpTypes(List.of(p[1].split("\\+")))
                .withMethod(CalibrationMethod.fromConfig(p[2]));
        if (p.length > 3) {
          o = o.withActivations(QuantType.fromConfig(p[3]), p.length > 4 && p[4].equals("sym"));
        }
        prep = Quantizer.prepare(fp32, o);
        table = LocalEngine.calibrate(prep, cal, 32, 4096, 2);
      }
      OnnxModel q = Quantizer.quantize(fp32, o, prep, table, Map.of());
      double calS = (System.nanoTime() - t0) / 1e9;
      ValidationMetrics m = LocalEngine.validate(fp32, q, val, vo, 32, 2);
      Latency.Comparison lat;
      try (OrtSession a = OrtRuntime.open(fp32, new OrtRuntime.SessionSettings(2, true));
          OrtSession b = OrtRuntime.open(q, new OrtRuntime.SessionSettings(2, true))) {
        lat = Latency.compare(a, b, latBatches, 3);
      }
      System.out.printf(
          "%-40s mean cos %.5f min %.5f sqnr %.2f speedup %.2fx size %.1f MB (%.1fs)%n",
          c,
          m.meanCosine(),
          m.minCosine(),
          m.sqnrDb(),
          lat.speedup(),
          q.proto().getSerializedSize() / 1e6,
          calS);
    }
    latBatches.forEach(InputBatch::close);
  }
}
