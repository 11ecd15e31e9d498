package io.octet.it;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.parquet.example.data.Group;

/**
 * Recomputes each model's gate metric independently of Octet: the FP32 model (the bytes the test
 * uploaded) and the published INT8 model (read back from the bucket) in ONNX Runtime's Java API,
 * one row at a time, on the same validation rows Octet used (the first {@code max-rows} by id).
 */
final class OrtChecks {
  private OrtChecks() {}

  /** FP32 and INT8 top-1 accuracy on labelled digits. */
  record Accuracy(int rows, double fp32, double int8) {
    double dropPoints() {
      return 100 * (fp32 - int8);
    }
  }

  /** Mean and minimum cosine between FP32 and INT8 outputs. */
  record Cosine(int rows, double mean, double min) {}

  /** SQNR over all output values of all rows, in dB. */
  record Sqnr(int rows, double db) {}

  static Accuracy digitsAccuracy(byte[] fp32, byte[] int8, List<ItData.Digit> rows) {
    try (OrtSession a = open(fp32);
        OrtSession b = open(int8)) {
      int okA = 0;
      int okB = 0;
      for (ItData.Digit d : rows) {
        Map<String, OnnxTensor> in =
            Map.of(
                a.getInputNames().iterator().next(),
                OnnxTensor.createTensor(
                    env(), FloatBuffer.wrap(d.pixels()), new long[] {1, 1, 8, 8}));
        okA += argmax(first(a, in)) == d.label() ? 1 : 0;
        okB += argmax(first(b, in)) == d.label() ? 1 : 0;
        in.values().forEach(OnnxTensor::close);
      }
      return new Accuracy(rows.size(), (double) okA / rows.size(), (double) okB / rows.size());
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  /** MiniLM: cosine of the mean-pooled (attention mask) sentence embeddings. */
  static Cosine minilmCosine(byte[] fp32, byte[] int8, List<Group> rows) {
    try (OrtSession a = open(fp32);
        OrtSession b = open(int8)) {
      double sum = 0;
      double min = 1;
      for (Group row : rows) {
        long[] ids = ItData.longList(row, "input_ids");
        long[] mask = ItData.longList(row, "attention_mask");
        long[] types = ItData.longList(row, "token_type_ids");
        long[] shape = {1, ids.length};
        Map<String, OnnxTensor> in = new LinkedHashMap<>();
        in.put("input_ids", OnnxTensor.createTensor(env(), LongBuffer.wrap(ids), shape));
        in.put("attention_mask", OnnxTensor.createTensor(env(), LongBuffer.wrap(mask), shape));
        in.put("token_type_ids", OnnxTensor.createTensor(env(), LongBuffer.wrap(types), shape));
        double c = cosine(meanPool(first(a, in), mask), meanPool(first(b, in), mask));
        in.values().forEach(OnnxTensor::close);
        sum += c;
        min = Math.min(min, c);
      }
      return new Cosine(rows.size(), sum / rows.size(), min);
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  /** PP-OCR detection: SQNR of the probability maps over all pixels of all rows. */
  static Sqnr ppocrSqnr(byte[] fp32, byte[] int8, List<float[]> images) {
    try (OrtSession a = open(fp32);
        OrtSession b = open(int8)) {
      double signal = 0;
      double noise = 0;
      for (float[] image : images) {
        Map<String, OnnxTensor> in =
            Map.of(
                "x",
                OnnxTensor.createTensor(
                    env(), FloatBuffer.wrap(image), new long[] {1, 3, 320, 320}));
        float[] p = first(a, in);
        float[] q = first(b, in);
        in.values().forEach(OnnxTensor::close);
        for (int i = 0; i < p.length; i++) {
          signal += (double) p[i] * p[i];
          double d = (double) p[i] - q[i];
          noise += d * d;
        }
      }
      return new Sqnr(images.size(), 10 * Math.log10(signal / noise));
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Returns the first {@code n} rows by id, as Octet's {@code max-rows} picks them. */
  static <T> List<T> firstById(List<T> rows, Function<T, String> id, int n) {
    return rows.stream().sorted(Comparator.comparing(id)).limit(n).toList();
  }

  private static OrtEnvironment env() {
    return OrtEnvironment.getEnvironment();
  }

  private static OrtSession open(byte[] model) throws OrtException {
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(1);
      o.setInterOpNumThreads(1);
      return env().createSession(model, o);
    }
  }

  /** Runs a session and returns its first output, flattened. */
  private static float[] first(OrtSession s, Map<String, OnnxTensor> in) throws OrtException {
    Map<String, OnnxTensor> used = new LinkedHashMap<>();
    for (String name : s.getInputNames()) {
      used.put(name, in.get(name));
    }
    try (OrtSession.Result r = s.run(used)) {
      OnnxTensor t = (OnnxTensor) r.get(0);
      FloatBuffer fb = t.getFloatBuffer();
      float[] out = new float[fb.remaining()];
      fb.get(out);
      return out;
    }
  }

  private static double[] meanPool(float[] hidden, long[] mask) {
    int dim = hidden.length / mask.length;
    double[] out = new double[dim];
    long count = 0;
    for (int t = 0; t < mask.length; t++) {
      if (mask[t] != 0) {
        count++;
        for (int j = 0; j < dim; j++) {
          out[j] += hidden[t * dim + j];
        }
      }
    }
    for (int j = 0; j < dim; j++) {
      out[j] /= Math.max(1, count);
    }
    return out;
  }

  private static double cosine(double[] a, double[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  private static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
