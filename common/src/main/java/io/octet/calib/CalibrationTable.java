package io.octet.calib;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.octet.histogram.Histogram;
import io.octet.util.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The result of calibration: per tensor, the merged histogram, the chosen clipping range and the
 * quantization parameters. Stored as JSON next to the INT8 model; because the full histograms are
 * kept, any clipping method can be re-run later without another inference pass.
 *
 * @param model the model's name
 * @param rows calibration rows seen
 * @param tensors calibrations in graph order, by tensor name
 */
public record CalibrationTable(String model, long rows, Map<String, TensorCalibration> tensors) {
  /** Format tag written into every file. */
  public static final String FORMAT = "octet-calibration/1";

  /** Copies the map, keeping order. */
  public CalibrationTable {
    tensors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
  }

  /**
   * One calibrated tensor.
   *
   * @param tensor the tensor name
   * @param method the clipping method used
   * @param percentile the percentile (percentile method), else NaN
   * @param type the activation type
   * @param symmetric symmetric range
   * @param range the chosen clipping range
   * @param params the resulting scale and zero point
   * @param histogram the merged histogram
   */
  public record TensorCalibration(
      String tensor,
      CalibrationMethod method,
      double percentile,
      QuantType type,
      boolean symmetric,
      ClipRange range,
      QuantParams params,
      Histogram histogram) {

    /**
     * Calibrates one tensor from its histogram.
     *
     * @param tensor the tensor name
     * @param h its merged histogram (must hold finite values)
     * @param method the clipping method
     * @param percentile the percentile for the percentile method
     * @param type the activation type
     * @param symmetric symmetric range
     * @return the calibration
     */
    public static TensorCalibration of(
        String tensor,
        Histogram h,
        CalibrationMethod method,
        double percentile,
        QuantType type,
        boolean symmetric) {
      ClipRange r = RangeSelector.select(h, method, new RangeOptions(percentile, symmetric, type));
      return new TensorCalibration(
          tensor,
          method,
          method == CalibrationMethod.PERCENTILE ? percentile : Double.NaN,
          type,
          symmetric,
          r,
          r.toQuantParams(type, symmetric),
          h);
    }
  }

  /**
   * Returns the parameters of every tensor.
   *
   * @return scale and zero point by tensor name
   */
  public Map<String, QuantParams> params() {
    Map<String, QuantParams> out = new LinkedHashMap<>();
    tensors.forEach((k, v) -> out.put(k, v.params()));
    return out;
  }

  /**
   * Returns every tensor's merged histogram, from which any clipping method can be recomputed
   * without inference.
   *
   * @return histograms by tensor name
   */
  public Map<String, io.octet.histogram.Histogram> histograms() {
    Map<String, io.octet.histogram.Histogram> out = new LinkedHashMap<>();
    tensors.forEach((k, v) -> out.put(k, v.histogram()));
    return out;
  }

  /**
   * Serializes the table (deterministic bytes for equal tables).
   *
   * @return the JSON bytes
   */
  public byte[] toJson() {
    ObjectNode root = Json.object();
    root.put("format", FORMAT);
    root.put("model", model);
    root.put("rows", rows);
    ArrayNode arr = root.putArray("tensors");
    for (TensorCalibration t : tensors.values()) {
      ObjectNode o = arr.addObject();
      o.put("tensor", t.tensor());
      o.put("method", t.method().configName());
      if (!Double.isNaN(t.percentile())) {
        o.put("percentile", t.percentile());
      }
      o.put("type", t.type().configName());
      o.put("symmetric", t.symmetric());
      o.putArray("range").add(t.range().lo()).add(t.range().hi());
      o.put("scale", t.params().scale());
      o.put("zero-point", t.params().zeroPoint());
      Histogram h = t.histogram();
      ObjectNode hn = o.putObject("histogram");
      hn.put("count", h.totalCount());
      hn.put("min", h.min());
      hn.put("max", h.max());
      hn.put("nan", h.nanCount());
      hn.put("pos-inf", h.posInfCount());
      hn.put("neg-inf", h.negInfCount());
      hn.put("num-bins", h.numBins());
      hn.put("level", h.level());
      hn.put("bin-width", h.binWidth());
      hn.put("first-bin", h.firstBin());
      ArrayNode counts = hn.putArray("counts");
      for (long c : h.counts()) {
        counts.add(c);
      }
    }
    return Json.bytes(root);
  }

  /**
   * Parses a table written by {@link #toJson()}.
   *
   * @param bytes the JSON
   * @param source where it came from, for errors
   * @return the table
   */
  public static CalibrationTable fromJson(byte[] bytes, String source) {
    JsonNode root = Json.parse(bytes, "calibration table " + source);
    if (!FORMAT.equals(root.path("format").asText())) {
      throw new IllegalArgumentException(
          "'"
              + source
              + "' is not an Octet calibration table (format "
              + root.path("format")
              + ")");
    }
    Map<String, TensorCalibration> tensors = new LinkedHashMap<>();
    for (JsonNode o : root.path("tensors")) {
      JsonNode hn = o.path("histogram");
      long[] counts = new long[hn.path("counts").size()];
      for (int i = 0; i < counts.length; i++) {
        counts[i] = hn.path("counts").get(i).asLong();
      }
      Histogram h =
          new Histogram(
              hn.path("num-bins").asInt(),
              hn.path("level").asInt(),
              hn.path("first-bin").asLong(),
              counts,
              (float) hn.path("min").asDouble(),
              (float) hn.path("max").asDouble(),
              hn.path("count").asLong(),
              hn.path("nan").asLong(),
              hn.path("pos-inf").asLong(),
              hn.path("neg-inf").asLong(),
              false);
      QuantType type = QuantType.fromConfig(o.path("type").asText());
      QuantParams p =
          new QuantParams((float) o.path("scale").asDouble(), o.path("zero-point").asInt(), type);
      TensorCalibration t =
          new TensorCalibration(
              o.path("tensor").asText(),
              CalibrationMethod.fromConfig(o.path("method").asText()),
              o.has("percentile") ? o.path("percentile").asDouble() : Double.NaN,
              type,
              o.path("symmetric").asBoolean(),
              new ClipRange(
                  (float) o.path("range").get(0).asDouble(),
                  (float) o.path("range").get(1).asDouble()),
              p,
              h);
      tensors.put(t.tensor(), t);
    }
    return new CalibrationTable(root.path("model").asText(), root.path("rows").asLong(), tensors);
  }
}
