package io.octet.quant;

import io.octet.calib.CalibrationTable;
import io.octet.calib.CalibrationTable.TensorCalibration;
import io.octet.error.QuantErrors;
import io.octet.histogram.Histogram;
import io.octet.onnx.ConstantFolding;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OpsetUpgrader;
import io.octet.quant.QuantPlan.ActivationQuant;
import io.octet.quant.QuantPlan.Source;
import io.octet.runtime.TypeProbe;
import io.octet.runtime.TypeProbe.TensorType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The engine's entry points, shared by the local command and the Spark jobs: prepare (analyse and
 * augment), turn merged histograms into a calibration table, and quantize.
 */
public final class Quantizer {
  private Quantizer() {}

  /**
   * What the driver computes once per model before calibration.
   *
   * @param fp32 the FP32 model the plan refers to (upgraded to opset 13 when needed)
   * @param types tensor types from ONNX Runtime
   * @param plan the static quantization plan
   * @param augmented the calibration model (null when nothing needs calibration)
   */
  public record Prepared(
      OnnxModel fp32,
      Map<String, TensorType> types,
      QuantPlan plan,
      ModelAugmenter.Augmented augmented) {}

  /**
   * Analyses a model for static quantization and builds its calibration model.
   *
   * @param original the FP32 model
   * @param opts the options
   * @return the plan and the calibration model
   */
  public static Prepared prepare(OnnxModel original, QuantOptions opts) {
    // Per-channel QDQ needs opset 13; upgrade first so the plan names the nodes it will rewrite.
    // Weights stored as Constant nodes become initializers, where the planner looks for them.
    OnnxModel folded = ConstantFolding.constantsToInitializers(original);
    OnnxModel fp32 =
        opts.mode() == QuantMode.STATIC
                && opts.perChannel()
                && folded.opsetVersion(OnnxModel.DEFAULT_DOMAIN) < 13
            ? OpsetUpgrader.upgradeTo13(folded)
            : folded;
    Map<String, TensorType> types = TypeProbe.probe(fp32);
    QuantPlan plan = QuantPlanner.plan(fp32, types, opts);
    if (plan.nodes().isEmpty()) {
      throw QuantErrors.unsupported(
          fp32.name(),
          "no node can be quantized with op-types "
              + opts.opTypes()
              + " and the exclusions given"
              + (plan.notes().isEmpty() ? "" : " (" + String.join("; ", plan.notes()) + ")"),
          "Check quantization.op-types and the include/exclude lists.");
    }
    ModelAugmenter.Augmented aug =
        plan.histogramTensors().isEmpty()
            ? null
            : ModelAugmenter.augment(fp32, plan.histogramTensors());
    return new Prepared(fp32, types, plan, aug);
  }

  /**
   * Prepares a model for the modes that need no static plan (dynamic, fp16): constants folded into
   * initializers and the tensor types probed, no plan and no calibration model.
   *
   * @param original the FP32 model
   * @return the prepared model (plan and augmented model null)
   */
  public static Prepared unplanned(OnnxModel original) {
    OnnxModel folded = ConstantFolding.constantsToInitializers(original);
    return new Prepared(folded, TypeProbe.probe(folded), null, null);
  }

  /**
   * Re-plans an already prepared model with other options (exclusions, methods, op types), reusing
   * its tensor types and calibration model: the new plan calibrates a subset of the same tensors,
   * so stored histograms serve it without another inference pass.
   *
   * @param p the prepared model
   * @param opts the new options
   * @return the model prepared for the new options
   */
  public static Prepared replan(Prepared p, QuantOptions opts) {
    QuantPlan plan = QuantPlanner.plan(p.fp32(), p.types(), opts);
    return new Prepared(p.fp32(), p.types(), plan, p.augmented());
  }

  /**
   * Chooses clipping ranges from merged histograms.
   *
   * @param modelName the model's name
   * @param plan the plan the histograms were collected for
   * @param histograms merged histograms by tensor name
   * @param rows calibration rows seen
   * @return the calibration table
   * @throws io.octet.error.QuantException when a tensor saw no finite value
   */
  public static CalibrationTable calibrate(
      String modelName, QuantPlan plan, Map<String, Histogram> histograms, long rows) {
    if (rows == 0) {
      throw QuantErrors.badData(
          modelName, "the calibration dataset has no rows", "Point calibration.dataset at data.");
    }
    Map<String, TensorCalibration> out = new LinkedHashMap<>();
    for (ActivationQuant a : plan.activations().values()) {
      if (a.source() == Source.FIXED) {
        continue;
      }
      Histogram h = histograms.get(a.tensor());
      if (h == null && a.source() == Source.SHARED) {
        continue; // a plan made before shared tensors were collected
      }
      if (h == null) {
        throw new IllegalArgumentException(
            "No histogram for tensor '"
                + a.tensor()
                + "': the calibration data were collected for another plan; recalibrate");
      }
      // A shared tensor is calibrated like its root, so a re-plan that frees it has its range.
      ActivationQuant how =
          a.source() == Source.SHARED ? plan.activations().get(a.sharedWith()) : a;
      if (h.isEmpty()) {
        if (a.source() == Source.SHARED) {
          continue;
        }
        throw QuantErrors.nonFinite(modelName, a.tensor(), h.nonFiniteCount(), h.nonFiniteCount());
      }
      out.put(
          a.tensor(),
          TensorCalibration.of(
              a.tensor(), h, how.method(), how.percentile(), how.type(), how.symmetric()));
    }
    return new CalibrationTable(modelName, rows, out);
  }

  /**
   * Quantizes a model in the configured mode.
   *
   * @param fp32 the FP32 model
   * @param opts the options
   * @param prepared the result of {@link #prepare} (static and fp16 modes), else null
   * @param table the calibration table (static mode), else null
   * @param metadata provenance entries for metadata_props
   * @return the quantized model
   */
  public static OnnxModel quantize(
      OnnxModel fp32,
      QuantOptions opts,
      Prepared prepared,
      CalibrationTable table,
      Map<String, String> metadata) {
    Map<String, String> meta = new LinkedHashMap<>(metadata);
    meta.put("mode", opts.mode().configName());
    // Static mode works on prepared.fp32(), folded in prepare(); the others fold here.
    OnnxModel weights =
        opts.mode() == QuantMode.STATIC ? fp32 : ConstantFolding.constantsToInitializers(fp32);
    return switch (opts.mode()) {
      case STATIC -> {
        if (prepared == null || table == null) {
          throw new IllegalArgumentException(
              "Static quantization needs a plan and a calibration table");
        }
        meta.put("method", opts.method().configName());
        Map<String, io.octet.calib.QuantParams> params =
            QdqQuantizer.resolve(prepared.plan(), table.params());
        OnnxModel q =
            QdqQuantizer.quantize(
                prepared.fp32(),
                prepared.plan(),
                params,
                meta,
                QdqQuantizer.unclipped(params, table),
                opts.weightEncoding());
        yield opts.quantizeEmbeddings() ? EmbeddingQuantizer.quantize(q, opts) : q;
      }
      case DYNAMIC -> DynamicQuantizer.quantize(weights, opts, meta);
      case FP16 ->
          Fp16Converter.convert(
              weights, prepared != null ? prepared.types() : TypeProbe.probe(weights), opts, meta);
      case WEIGHT_ONLY_INT4 -> Int4WeightQuantizer.quantize(weights, opts, meta);
      case AUTO ->
          throw new IllegalArgumentException(
              "mode auto is resolved to a recipe per model before quantizing; pick one of its"
                  + " candidates' options");
    };
  }
}
