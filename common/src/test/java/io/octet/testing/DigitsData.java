package io.octet.testing;

import io.octet.data.Sample;
import io.octet.data.TensorValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The committed digits CNN and its labelled data (models/digits-cnn), for tests. */
public final class DigitsData {
  private DigitsData() {}

  /**
   * Returns the repository root (the directory holding models/).
   *
   * @return the root
   */
  public static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("models/digits-cnn"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException(
          "models/digits-cnn not found above " + Path.of("").toAbsolutePath());
    }
    return p;
  }

  /**
   * Returns the FP32 model file.
   *
   * @return the path
   */
  public static Path model() {
    return repoRoot().resolve("models/digits-cnn/digits_cnn.onnx");
  }

  /**
   * Loads the rows of one split ("train", "calib" or "test").
   *
   * @param split the split
   * @return rows with input "image" [1, 8, 8] and labels
   */
  public static List<Sample> rows(String split) {
    try {
      List<String> lines =
          Files.readAllLines(
              repoRoot().resolve("models/digits-cnn/digits.csv"), StandardCharsets.UTF_8);
      List<Sample> out = new ArrayList<>();
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.split(",");
        if (!f[1].equals(split)) {
          continue;
        }
        float[] px = new float[64];
        for (int i = 0; i < 64; i++) {
          px[i] = Float.parseFloat(f[3 + i]);
        }
        out.add(
            new Sample(
                f[0],
                Map.of("image", TensorValue.ofFloats(new long[] {1, 8, 8}, px)),
                Integer.parseInt(f[2])));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
