package io.octet.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.octet.calib.CalibrationMethod;
import io.octet.error.QuantException;
import io.octet.quant.QuantMode;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
  private static final String GOOD =
      """
      warehouse = "s3a://bucket/zoo"
      run { parallel-models = 3 }
      hadoop { "fs.s3a.endpoint" = "http://127.0.0.1:9000" }
      defaults { calibration { num-bins = 2048 }, validation { gate { min-mean-cosine = 0.98 } } }
      models {
        bert {
          uri = "s3a://bucket/bert.onnx"
          calibration { dataset = "s3a://bucket/cal" }
          validation { dataset = "s3a://bucket/val", pooling = mean }
          quantization {
            method = mse
            op-types = [MatMul]
            tensor-overrides { "x/y" { range = [-4.0, 4.0] } }
          }
          inputs = [ { name = ids, column = input_ids, dtype = int64, shape = [-1] } ]
        }
        cnn {
          uri = "file:///m/cnn.onnx"
          quantization { mode = dynamic }
          validation { dataset = "file:///d/val" }
        }
      }
      """;

  private static RegistryConfig load(
      String text, List<String> sets, Map<String, String> env, Properties p) {
    return ConfigLoader.load(text, "registry.conf", sets, env, p);
  }

  private static RegistryConfig load(String text) {
    return load(text, List.of(), Map.of(), new Properties());
  }

  @Test
  void mergesReferenceDefaultsRegistryDefaultsAndModelEntries() {
    RegistryConfig r = load(GOOD);
    assertThat(r.warehouse()).isEqualTo("s3a://bucket/zoo");
    assertThat(r.run().parallelModels()).isEqualTo(3);
    assertThat(r.hadoop()).containsEntry("fs.s3a.endpoint", "http://127.0.0.1:9000");
    ModelConfig bert = r.models().get("bert");
    assertThat(bert.calibration().numBins()).as("registry defaults").isEqualTo(2048);
    assertThat(bert.calibration().batchSize()).as("reference.conf default").isEqualTo(32);
    assertThat(bert.quantization().method()).isEqualTo(CalibrationMethod.MSE);
    assertThat(bert.quantization().opTypes()).containsExactly("MatMul");
    assertThat(bert.quantization().tensorOverrides().get("x/y").fixedRange()).isTrue();
    assertThat(bert.validation().gate().minMeanCosine()).isEqualTo(0.98);
    assertThat(bert.inputs()).hasSize(1);
    assertThat(bert.inputs().get(0).column()).isEqualTo("input_ids");
    ModelConfig cnn = r.models().get("cnn");
    assertThat(cnn.quantization().mode()).isEqualTo(QuantMode.DYNAMIC);
    assertThat(cnn.calibration().dataset()).as("dynamic needs no calibration data").isNull();
    assertThat(r.models().keySet()).containsExactly("bert", "cnn");
  }

  @Test
  void overridesApplyInPrecedenceOrder() {
    Properties p = new Properties();
    p.setProperty("octet.calibration.num-bins", "1024");
    p.setProperty("octet.run.parallel-models", "5");
    Map<String, String> env =
        Map.of("OCTET__CALIBRATION__NUM_BINS", "512", "OCTET__RUN__PARALLEL_MODELS", "7");
    RegistryConfig r = load(GOOD, List.of("calibration.num-bins=256"), env, p);
    assertThat(r.models().get("bert").calibration().numBins()).as("--set wins").isEqualTo(256);
    assertThat(r.models().get("cnn").calibration().numBins())
        .as("model sections apply to all")
        .isEqualTo(256);
    assertThat(r.run().parallelModels()).as("-D beats the environment").isEqualTo(5);
    RegistryConfig envOnly = load(GOOD, List.of(), env, new Properties());
    assertThat(envOnly.run().parallelModels()).as("environment beats the file").isEqualTo(7);
    RegistryConfig set =
        load(
            GOOD, List.of("warehouse=/tmp/wh", "models.cnn.version=7"), Map.of(), new Properties());
    assertThat(set.warehouse()).isEqualTo("/tmp/wh");
    assertThat(set.models().get("cnn").version()).isEqualTo("7");
  }

  @Test
  void unknownKeysAreRefusedNamingKeyFileAndClosestKey() {
    assertThatThrownBy(
            () ->
                load(
                    GOOD.replace(
                        "calibration { dataset = \"s3a://bucket/cal\" }",
                        "calibraton { dataset = \"x\" }")))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining("registry.conf")
        .hasMessageContaining("models.bert.calibraton")
        .hasMessageContaining("did you mean 'calibration'");
    assertThatThrownBy(() -> load(GOOD.replace("num-bins = 2048", "num-bin = 2048")))
        .hasMessageContaining("defaults.calibration.num-bin")
        .hasMessageContaining("num-bins");
    assertThatThrownBy(
            () -> load(GOOD.replace("run { parallel-models = 3 }", "runn { parallel-models = 3 }")))
        .hasMessageContaining("'runn'")
        .hasMessageContaining("did you mean 'run'");
    assertThatThrownBy(() -> load(GOOD.replace("range = [-4.0, 4.0]", "rnage = [-4.0, 4.0]")))
        .hasMessageContaining("tensor-overrides")
        .hasMessageContaining("rnage");
    assertThatThrownBy(
            () -> load(GOOD, List.of("calibration.partitons=3"), Map.of(), new Properties()))
        .hasMessageContaining("partitons");
  }

  @Test
  void wrongTypesAndBadValuesNameTheKey() {
    assertThatThrownBy(() -> load(GOOD.replace("num-bins = 2048", "num-bins = lots")))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining("registry.conf")
        .hasMessageContaining("calibration.num-bins");
    assertThatThrownBy(() -> load(GOOD.replace("num-bins = 2048", "num-bins = 1000")))
        .hasMessageContaining("calibration")
        .hasMessageContaining("power of two");
    assertThatThrownBy(() -> load(GOOD.replace("method = mse", "method = fancy")))
        .hasMessageContaining("models.bert.quantization")
        .hasMessageContaining("minmax");
    assertThatThrownBy(() -> load(GOOD.replace("dtype = int64", "dtype = int65")))
        .hasMessageContaining("models.bert.inputs[0]")
        .hasMessageContaining("int65");
  }

  @Test
  void aBadValueFromAnOverrideNamesTheOverrideNotTheRegistry() {
    assertThatThrownBy(
            () -> load(GOOD, List.of("calibration.num-bins=lots"), Map.of(), new Properties()))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining("Config error in '--set calibration.num-bins=lots'")
        .hasMessageContaining("num-bins")
        .hasMessageNotContaining("registry.conf")
        .hasMessageNotContaining("String: 1");
    assertThatThrownBy(
            () ->
                load(
                    GOOD,
                    List.of(),
                    Map.of("OCTET__RUN__PARALLEL_MODELS", "many"),
                    new Properties()))
        .hasMessageContaining("environment variable OCTET__RUN__PARALLEL_MODELS")
        .hasMessageContaining("parallel-models")
        .hasMessageNotContaining("registry.conf");
    Properties p = new Properties();
    p.setProperty("octet.run.gc-grace", "soon");
    assertThatThrownBy(() -> load(GOOD, List.of(), Map.of(), p))
        .hasMessageContaining("-Doctet.run.gc-grace")
        .hasMessageNotContaining("registry.conf");
  }

  @Test
  void calibrationBatchMemoryIsASizeWithAReferenceDefaultAndZeroForNoCap() {
    assertThat(load(GOOD).models().get("bert").calibration().batchMemory()).isEqualTo(64L << 20);
    RegistryConfig off =
        load(GOOD, List.of("calibration.batch-memory=0"), Map.of(), new Properties());
    assertThat(off.models().get("bert").calibration().batchMemory()).isZero();
    assertThatThrownBy(
            () -> load(GOOD, List.of("calibration.batch-memory=-1m"), Map.of(), new Properties()))
        .hasMessageContaining("batch-memory");
    assertThatThrownBy(
            () ->
                load(GOOD, List.of("calibration.batch-memory=plenty"), Map.of(), new Properties()))
        .hasMessageContaining("batch-memory");
  }

  @Test
  void theMemoryBudgetIsAutoOrASize() {
    assertThat(load(GOOD).run().memoryBudgetBytes()).isZero();
    assertThat(
            load(GOOD, List.of("run.memory-budget=12g"), Map.of(), new Properties())
                .run()
                .memoryBudgetBytes())
        .isEqualTo(12L << 30);
    assertThat(
            load(GOOD, List.of("run.memory-budget=AUTO"), Map.of(), new Properties())
                .run()
                .memoryBudgetBytes())
        .isZero();
    for (String bad : List.of("lots", "0", "-1g")) {
      assertThatThrownBy(
              () -> load(GOOD, List.of("run.memory-budget=" + bad), Map.of(), new Properties()))
          .as(bad)
          .isInstanceOf(QuantException.class)
          .hasMessageContaining("memory-budget")
          .hasMessageContaining("--set run.memory-budget=" + bad);
    }
  }

  @Test
  void missingRequiredFieldsAndUnsafeNamesAreRefused() {
    assertThatThrownBy(() -> load(GOOD.replace("uri = \"s3a://bucket/bert.onnx\"", "")))
        .hasMessageContaining("models.bert.uri")
        .hasMessageContaining("no uri");
    assertThatThrownBy(
            () -> load(GOOD.replace("calibration { dataset = \"s3a://bucket/cal\" }", "")))
        .hasMessageContaining("models.bert.calibration.dataset")
        .hasMessageContaining("static");
    assertThatThrownBy(() -> load(GOOD.replace("validation { dataset = \"file:///d/val\" }", "")))
        .hasMessageContaining("models.cnn.validation.dataset");
    assertThatThrownBy(() -> load(GOOD.replace("  cnn {", "  \"../escape\" {")))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining("../escape")
        .hasMessageContaining("not allowed");
    assertThatThrownBy(() -> load("warehouse = x\nmodels {}"))
        .hasMessageContaining("lists no models");
    assertThatThrownBy(() -> load("models { a { uri = ")).hasMessageContaining("not valid HOCON");
  }

  @Test
  void autoIsTheDefaultAndHoldsModelsWithoutAFidelityGateToTheDefaultGate() {
    String reg =
        """
        warehouse = "file:///w"
        models {
          text { uri = "file:///m/a.onnx", validation { dataset = "file:///v" } }
          labelled {
            uri = "file:///m/b.onnx", label-column = label
            validation { dataset = "file:///v", gate { max-latency-ratio = 1.0 } }
          }
          own {
            uri = "file:///m/c.onnx"
            validation { dataset = "file:///v", gate { min-sqnr-db = 30 } }
          }
          fixed {
            uri = "file:///m/d.onnx", quantization { mode = dynamic }
            validation { dataset = "file:///v" }
          }
        }
        """;
    RegistryConfig r = load(reg);
    ModelConfig text = r.models().get("text");
    assertThat(text.quantization().mode()).isEqualTo(io.octet.quant.QuantMode.AUTO);
    // No calibration data is fine: auto then tries only the recipes that need none.
    assertThat(text.calibration().dataset()).isNull();
    assertThat(text.validation().gate().minMeanCosine()).isEqualTo(0.98);
    assertThat(text.validation().gate().maxAccuracyDropPoints()).isNaN();
    io.octet.validate.Gate labelled = r.models().get("labelled").validation().gate();
    assertThat(labelled.maxAccuracyDropPoints()).isEqualTo(1.0);
    assertThat(labelled.minMeanCosine()).isNaN();
    assertThat(labelled.maxLatencyRatio()).as("the model's own latency bound stays").isEqualTo(1.0);
    io.octet.validate.Gate own = r.models().get("own").validation().gate();
    assertThat(own.minSqnrDb()).isEqualTo(30);
    assertThat(own.minMeanCosine()).as("a fidelity gate of its own replaces the default").isNaN();
    assertThat(r.models().get("fixed").validation().gate().minMeanCosine())
        .as("a named mode keeps the gate it was given")
        .isNaN();
    assertThat(text.auto().recipes())
        .containsExactly("static-transformer", "static-conv", "static-full", "dynamic", "fp16");
  }

  @Test
  void explicitRecipeSettingsWinOverAuto() {
    String reg =
        """
        warehouse = "file:///w"
        defaults { validation { dataset = "file:///v" }, calibration { dataset = "file:///c" } }
        models {
          method { uri = "file:///m/a.onnx", quantization { method = mse } }
          ops { uri = "file:///m/b.onnx", quantization { op-types = [MatMul] } }
          emb { uri = "file:///m/c.onnx", quantization { quantize-embeddings = false } }
          named { uri = "file:///m/d.onnx", quantization { mode = auto, method = mse } }
        }
        """;
    RegistryConfig r = load(reg);
    assertThat(r.models().get("method").quantization().mode())
        .isEqualTo(io.octet.quant.QuantMode.STATIC);
    assertThat(r.models().get("method").quantization().method())
        .isEqualTo(io.octet.calib.CalibrationMethod.MSE);
    assertThat(r.models().get("ops").quantization().mode())
        .isEqualTo(io.octet.quant.QuantMode.STATIC);
    ModelConfig emb = r.models().get("emb");
    assertThat(emb.quantization().mode()).isEqualTo(io.octet.quant.QuantMode.AUTO);
    assertThat(emb.auto().embeddings()).as("an explicit quantize-embeddings holds").isFalse();
    assertThat(r.models().get("named").quantization().mode())
        .as("mode = auto named explicitly stays auto")
        .isEqualTo(io.octet.quant.QuantMode.AUTO);
    RegistryConfig viaDefaults =
        load(reg.replace("defaults {", "defaults { quantization { mode = auto },"));
    assertThat(viaDefaults.models().get("method").quantization().mode())
        .as("a model's own method beats a mode = auto from the defaults block")
        .isEqualTo(io.octet.quant.QuantMode.STATIC);
    assertThat(viaDefaults.models().get("named").quantization().mode())
        .isEqualTo(io.octet.quant.QuantMode.AUTO);
    assertThatThrownBy(
            () ->
                load(
                    reg.replace("quantize-embeddings = false", "auto { recipes = [static-fast] }")))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining("models.emb.quantization.auto")
        .hasMessageContaining("static-fast");
  }
}
