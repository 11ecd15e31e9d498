package io.octet.jobs.validate;

import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.octet.config.ModelConfig;
import io.octet.error.QuantErrors;
import io.octet.onnx.OnnxModel;
import io.octet.validate.ValidationMetrics;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which model output validation compares and gates on. The rule: {@code validation.output} when set
 * (it must be an output); else the model's only output; else, for a model with several outputs, a
 * configuration error when accuracy is measured (a label column is set: the scores must be named, a
 * feature tensor would give 0 % for both models and pass any drop gate), and the first output with
 * a warning otherwise. The choice and its rule go into {@code validation.json}.
 *
 * @param output the output's name
 * @param rule why it was chosen
 * @param warning a warning to show, if any
 * @param model the model's name, for errors
 * @param source the registry, for errors
 */
public record OutputChoice(
    String output, String rule, Optional<String> warning, String model, String source) {

  /**
   * Applies the rule.
   *
   * @param fp32 the FP32 model
   * @param configured {@code validation.output} ("" when not set)
   * @param m the model's config
   * @param source the registry, for errors
   * @return the choice
   */
  public static OutputChoice of(OnnxModel fp32, String configured, ModelConfig m, String source) {
    List<String> outputs =
        fp32.proto().getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList();
    if (!configured.isEmpty()) {
      if (!outputs.contains(configured)) {
        throw QuantErrors.badConfig(
            source,
            "models." + m.name() + ".validation.output",
            "'" + configured + "' is not an output of the model; use one of " + outputs,
            null);
      }
      return new OutputChoice(configured, "validation.output", Optional.empty(), m.name(), source);
    }
    if (outputs.size() == 1) {
      return new OutputChoice(outputs.get(0), "only output", Optional.empty(), m.name(), source);
    }
    if (m.labelColumn() != null) {
      throw QuantErrors.badConfig(
          source,
          "models." + m.name() + ".validation.output",
          "the model has "
              + outputs.size()
              + " outputs "
              + outputs
              + " and accuracy against label-column '"
              + m.labelColumn()
              + "' needs the one that holds the class scores; set validation.output to it",
          null);
    }
    String first = outputs.get(0);
    return new OutputChoice(
        first,
        "first of " + outputs.size() + " outputs",
        Optional.of(
            "comparing output '"
                + first
                + "', the first of "
                + outputs
                + "; set validation.output to choose another"),
        m.name(),
        source);
  }

  /**
   * Refuses a task metric that is 0 for FP32: the reference model cannot be that wrong on its own
   * task, so the output or the labels are misconfigured, and a gate on the drop would pass
   * anything.
   *
   * @param metrics the metrics
   */
  public void checkTaskMetric(ValidationMetrics metrics) {
    if (metrics.labeledRows() > 0 && metrics.fp32Accuracy() == 0.0) {
      throw QuantErrors.badConfig(
          source,
          "models." + model + ".label-column",
          String.format(
              Locale.ROOT,
              "FP32 top-1 accuracy on output '%s' is 0 %% over %d labelled rows: that output does"
                  + " not hold class scores indexed by the labels, or the labels are not the"
                  + " model's classes. Set validation.output to the scores output, or fix"
                  + " label-column",
              output,
              metrics.labeledRows()),
          null);
    }
  }
}
