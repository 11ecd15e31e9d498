package io.octet.report;

import io.octet.calib.CalibrationTable;
import io.octet.calib.CalibrationTable.TensorCalibration;
import io.octet.report.ModelResult.Artifacts;
import io.octet.report.ModelResult.NodeSqnr;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model with hundreds of tensors for scale tests, made by repeating a real model's calibrated
 * tensors and node SQNRs under block-numbered names. The numbers are real; only the repetition is
 * made up, to check that a page stays usable (and its checks pass) at transformer scale.
 */
final class StressFixture {
  private StressFixture() {}

  /**
   * The repeated model and its table.
   *
   * @param model the summary entry
   * @param table its calibration table
   */
  record Stressed(ModelResult model, CalibrationTable table) {}

  static Stressed repeat(String runId, ModelResult m, CalibrationTable t, int blocks) {
    Map<String, TensorCalibration> tensors = new LinkedHashMap<>();
    List<NodeSqnr> nodes = new ArrayList<>();
    for (int b = 0; b < blocks; b++) {
      String p = "/encoder/block." + b + "/";
      for (TensorCalibration c : t.tensors().values()) {
        String name = p + c.tensor();
        tensors.put(
            name,
            new TensorCalibration(
                name,
                c.method(),
                c.percentile(),
                c.type(),
                c.symmetric(),
                c.range(),
                c.params(),
                c.histogram()));
      }
      for (NodeSqnr n : m.nodeSqnr()) {
        nodes.add(new NodeSqnr(p + n.node(), n.op(), p + n.output(), n.sqnrDb()));
      }
    }
    String name = m.name() + "-x" + blocks;
    String prefix = name + "/" + m.version() + "/" + runId + "/";
    ModelResult model =
        new ModelResult(
            name,
            m.version(),
            m.status(),
            m.mode(),
            m.method(),
            m.error(),
            m.stages(),
            m.metrics(),
            m.latency(),
            m.size(),
            m.gate(),
            nodes,
            new Artifacts(
                prefix,
                prefix + "model.int8.onnx",
                prefix + "calibration.json",
                prefix + "report.html",
                prefix + "manifest.json"),
            m.config(),
            m.latestMoved(),
            m.tuning(),
            m.target(),
            m.auto());
    return new Stressed(model, new CalibrationTable(name, t.rows(), tensors));
  }
}
