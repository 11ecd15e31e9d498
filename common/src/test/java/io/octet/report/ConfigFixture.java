package io.octet.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import io.octet.calib.CalibrationMethod;
import io.octet.testing.DigitsData;
import io.octet.util.Json;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A model's resolved config for fixtures: Octet's reference.conf defaults plus the entry's keys.
 */
final class ConfigFixture {
  private ConfigFixture() {}

  static JsonNode json(
      String name,
      String version,
      CalibrationMethod method,
      boolean nodeSqnr,
      Map<String, Double> gate) {
    Config ref = ConfigFactory.defaultReference().getConfig("octet");
    String data = DigitsData.repoRoot().resolve("models/digits-cnn/digits.csv").toUri().toString();
    Config c =
        ref.getConfig("model")
            .withValue("version", ConfigValueFactory.fromAnyRef(version))
            .withValue("uri", ConfigValueFactory.fromAnyRef(DigitsData.model().toUri().toString()))
            .withValue("label-column", ConfigValueFactory.fromAnyRef("label"))
            .withValue("quantization", ref.getConfig("quantization").root())
            .withValue("quantization.method", ConfigValueFactory.fromAnyRef(method.configName()))
            .withValue("calibration", ref.getConfig("calibration").root())
            .withValue("calibration.dataset", ConfigValueFactory.fromAnyRef(data + "#calib"))
            .withValue("validation", ref.getConfig("validation").root())
            .withValue("validation.dataset", ConfigValueFactory.fromAnyRef(data + "#test"))
            .withValue("validation.node-sqnr", ConfigValueFactory.fromAnyRef(nodeSqnr));
    for (Map.Entry<String, Double> e : gate.entrySet()) {
      c = c.withValue("validation.gate." + e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
    }
    String text = c.root().render(ConfigRenderOptions.concise());
    return Json.parse(text.getBytes(StandardCharsets.UTF_8), "config of " + name);
  }
}
