package io.octet.jobs.pipeline;

import io.octet.jobs.quantize.ConfigHash;
import io.octet.jobs.spark.HadoopObjectStore;
import io.octet.storage.Uris;
import io.octet.util.Hashing;
import java.util.ArrayList;
import java.util.List;

/**
 * Hashes of a model's inputs: model bytes, datasets and config. Two runs whose inputs hash the same
 * produce the same artifacts, so the second is skipped unless forced.
 */
public final class Fingerprints {
  private Fingerprints() {}

  /**
   * Fingerprints a dataset (a file, or every file under a directory).
   *
   * @param store storage
   * @param uri the dataset
   * @param mode "content" (SHA-256 of every byte) or "listing" (names, sizes, times)
   * @return the fingerprint, or "none" for a null URI
   */
  public static String dataset(HadoopObjectStore store, String uri, String mode) {
    if (uri == null) {
      return "none";
    }
    String root = Uris.normalize(uri);
    List<String> files = store.exists(root) ? List.of(root) : store.list(root);
    StringBuilder b = new StringBuilder();
    for (String f : files) {
      b.append(Uris.relativize(root, f)).append(' ');
      if (mode.equals("listing")) {
        b.append(store.size(f)).append(' ').append(store.modificationTime(f));
      } else {
        b.append(Hashing.sha256(store.open(f)));
      }
      b.append('\n');
    }
    return Hashing.sha256(b.toString());
  }

  /**
   * The combined hash of a model's inputs.
   *
   * @param ctx the model's context (downloads the model if needed)
   * @return the hash and its parts
   */
  public static Inputs of(StageContext ctx) {
    var m = ctx.requestedModel();
    String mode = ctx.registry().run().datasetFingerprint();
    String modelSha = ctx.fp32Sha();
    List<String> parts = new ArrayList<>();
    for (String f : ctx.fp32DataFiles()) {
      parts.add(Hashing.sha256(ctx.store().open(Uris.join(Uris.parent(ctx.fp32Uri()), f))));
    }
    String data = modelSha + " " + String.join(" ", parts);
    String cal = dataset(ctx.store(), m.calibration().dataset(), mode);
    String val = dataset(ctx.store(), m.validation().dataset(), mode);
    String cfg = ConfigHash.of(m);
    String all = Hashing.sha256(String.join("\n", Hashing.sha256(data), cal, val, cfg));
    return new Inputs(modelSha, cal, val, cfg, all);
  }

  /**
   * A model's input hashes.
   *
   * @param model SHA-256 of the FP32 model file
   * @param calibration fingerprint of the calibration data
   * @param validation fingerprint of the validation data
   * @param config SHA-256 of the resolved config
   * @param combined hash of all of them
   */
  public record Inputs(
      String model, String calibration, String validation, String config, String combined) {}
}
