package io.octet.tune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.octet.calib.CalibrationMethod;
import io.octet.onnx.ConstantFolding;
import io.octet.onnx.OnnxModel;
import io.octet.onnx.OnnxModelIO;
import io.octet.quant.QuantMode;
import io.octet.quant.QuantOptions;
import io.octet.testing.DigitsData;
import io.octet.testing.MiniLmData;
import io.octet.testing.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Auto mode's recipes follow from what real graphs contain. */
class AutoRecipesTest {
  private static final Config REFERENCE =
      ConfigFactory.defaultReference().getConfig("octet.quantization.auto");
  private static final AutoOptions DEFAULTS = AutoOptions.fromConfig(REFERENCE);
  private static final List<String> FULL = QuantOptions.defaults().opTypes();

  private static List<String> labels(List<Recipe> rs) {
    return rs.stream().map(Recipe::label).toList();
  }

  private static OnnxModel folded(java.nio.file.Path p) {
    return ConstantFolding.constantsToInitializers(OnnxModelIO.read(p));
  }

  @Test
  void aTransformerGetsStaticOnItsMatMulsDynamicAndFp16AndOffersItsEmbeddingTable() {
    AutoRecipes.GraphFacts f =
        AutoRecipes.GraphFacts.of(
            folded(MiniLmData.fp32Model()), DEFAULTS.embeddingMinBytes(), null);
    assertThat(f.attention()).isTrue();
    assertThat(f.convolutions()).isZero();
    assertThat(f.weightedMatMuls()).isEqualTo(36); // 6 layers x (Q, K, V, output, 2 feed-forward)
    assertThat(f.dynamicMatMuls()).isEqualTo(36);
    // The 30522 x 384 word table; the position and token-type tables are under 1 MiB.
    assertThat(f.embeddingTables()).isEqualTo(1);
    assertThat(f.largestTableBytes()).isEqualTo(30522L * 384 * 4);

    List<Recipe> rs = AutoRecipes.derive(f, DEFAULTS, FULL, true);
    assertThat(labels(rs))
        .containsExactly(
            "static-transformer/percentile", "static-transformer/mse", "dynamic", "fp16");
    assertThat(AutoRecipes.calibrationOpTypes(rs)).containsExactly("MatMul", "Gemm");
    assertThat(labels(AutoRecipes.derive(f, DEFAULTS, FULL, false)))
        .containsExactly("dynamic", "fp16");
  }

  @Test
  void aConvNetGetsTheFullOpSetAndOneCalibrationCoversEveryStaticRecipe() {
    AutoRecipes.GraphFacts f =
        AutoRecipes.GraphFacts.of(folded(DigitsData.model()), DEFAULTS.embeddingMinBytes(), null);
    assertThat(f.attention()).isFalse();
    assertThat(f.convolutions()).isPositive();
    assertThat(f.embeddingTables()).isZero();
    List<Recipe> rs = AutoRecipes.derive(f, DEFAULTS, FULL, true);
    assertThat(labels(rs))
        .containsExactly(
            "static-conv/percentile",
            "static-conv/mse",
            "static-full/percentile",
            "static-full/mse",
            "fp16");
    // The conv recipe's op types are a subset of the full set: one calibration pass serves both.
    assertThat(FULL).containsAll(AutoRecipes.CONV_OP_TYPES);
    assertThat(AutoRecipes.calibrationOpTypes(rs)).containsExactlyInAnyOrderElementsOf(FULL);
    for (Recipe r : rs) {
      QuantOptions o = r.apply(QuantOptions.defaults());
      assertThat(o.mode()).isEqualTo(r.mode());
      if (r.mode() == QuantMode.STATIC) {
        assertThat(o.method()).isEqualTo(r.method());
        assertThat(o.opTypes()).isEqualTo(r.opTypes());
      }
    }
  }

  @Test
  void dynamicIsOfferedOnlyWhereItRewritesAMatMul() {
    OnnxModel minilm = folded(MiniLmData.fp32Model());
    QuantOptions noMatMul =
        QuantOptions.fromConfig(
            ConfigFactory.parseString("exclude-op-types = [MatMul]")
                .withFallback(ConfigFactory.defaultReference().getConfig("octet.quantization")));
    AutoRecipes.GraphFacts excluded = AutoRecipes.GraphFacts.of(minilm, 1 << 20, noMatMul);
    assertThat(excluded.dynamicMatMuls()).isZero();
    assertThat(labels(AutoRecipes.derive(excluded, DEFAULTS, FULL, false)))
        .as("dynamic would publish FP32 relabelled")
        .containsExactly("fp16");
    // The digits CNN's head is a Gemm, which dynamic quantization leaves alone.
    AutoRecipes.GraphFacts digits =
        AutoRecipes.GraphFacts.of(folded(DigitsData.model()), 1 << 20, null);
    assertThat(digits.weightedMatMuls()).isEqualTo(2);
    assertThat(digits.dynamicMatMuls()).isZero();
    assertThat(labels(AutoRecipes.derive(digits, DEFAULTS, FULL, true))).doesNotContain("dynamic");
  }

  @Test
  void aPlainMlpWithoutAttentionOrConvolutionsGetsTheFullOpSet() {
    OnnxModel mlp = new OnnxModel(TestModels.mlp(3), null, "mlp");
    AutoRecipes.GraphFacts f = AutoRecipes.GraphFacts.of(mlp, 1, null);
    assertThat(f.attention()).isFalse();
    assertThat(labels(AutoRecipes.derive(f, DEFAULTS, FULL, true)))
        .contains("static-full/percentile")
        .doesNotContain("static-transformer/percentile");
  }

  @Test
  void theRecipeListRestrictsAndIsChecked() {
    AutoOptions onlyDynamic =
        AutoOptions.fromConfig(
            ConfigFactory.parseString("recipes = [dynamic]").withFallback(REFERENCE));
    AutoRecipes.GraphFacts f =
        AutoRecipes.GraphFacts.of(folded(MiniLmData.fp32Model()), 1 << 20, null);
    assertThat(labels(AutoRecipes.derive(f, onlyDynamic, FULL, true))).containsExactly("dynamic");
    assertThatThrownBy(
            () ->
                AutoOptions.fromConfig(
                    ConfigFactory.parseString("recipes = [static-fast]").withFallback(REFERENCE)))
        .hasMessageContaining("static-fast")
        .hasMessageContaining("quantization.auto.recipes");
    assertThatThrownBy(
            () ->
                new Recipe(
                    Recipe.DYNAMIC, QuantMode.DYNAMIC, List.of(), CalibrationMethod.MSE, false))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aTunedRecipeAddsItsFp32NodesToTheModelsOwnExclusions() {
    Recipe r =
        new Recipe(
                Recipe.STATIC_CONV,
                QuantMode.STATIC,
                List.of("Conv"),
                CalibrationMethod.PERCENTILE,
                false)
            .withFp32Nodes(List.of("conv3", "head"));
    QuantOptions base = QuantOptions.defaults().withExcludeNodes(List.of("head", "stem"));

    QuantOptions applied = r.apply(base);
    assertThat(applied.excludeNodes()).containsExactly("head", "stem", "conv3");
    assertThat(applied.mode()).isEqualTo(QuantMode.STATIC);
    assertThat(r.label()).isEqualTo("static-conv/percentile+2fp32");
    assertThat(r.withEmbeddings8bit().label()).isEqualTo("static-conv/percentile+2fp32+emb8");
    assertThat(r.withEmbeddings8bit().fp32Nodes()).containsExactly("conv3", "head");
    assertThatThrownBy(
            () -> new Recipe(Recipe.FP16, QuantMode.FP16, List.of(), null, false, List.of("conv3")))
        .hasMessageContaining("only a static recipe");
    assertThatThrownBy(
            () ->
                AutoOptions.fromConfig(
                    ConfigFactory.parseString("tune-trials = -1").withFallback(REFERENCE)))
        .hasMessageContaining("quantization.auto.tune-trials");
  }
}
