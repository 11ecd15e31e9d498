package io.octet.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.util.Checks;
import java.nio.file.Path;

/**
 * An ONNX model in memory together with what is needed to read its tensors: the directory its
 * external data files live in, and a name for messages.
 *
 * <p>Immutable: editing goes through {@link OnnxGraph} on a copy of the proto.
 */
public final class OnnxModel {
  /** The default ONNX operator domain, written as the empty string or "ai.onnx". */
  public static final String DEFAULT_DOMAIN = "";

  /** ONNX Runtime's contrib operator domain. */
  public static final String MICROSOFT_DOMAIN = "com.microsoft";

  private final ModelProto proto;
  private final Path baseDir;
  private final String name;

  /**
   * Wraps a parsed model.
   *
   * @param proto the model
   * @param baseDir the directory external data is resolved against, or null when the model has no
   *     external data
   * @param name a display name (usually the file name), used in every error message
   */
  public OnnxModel(ModelProto proto, Path baseDir, String name) {
    this.proto = Checks.checkNotNull(proto, "proto");
    this.baseDir = baseDir;
    this.name = Checks.checkNotNull(name, "name");
  }

  /**
   * Returns the model proto.
   *
   * @return the proto (immutable)
   */
  public ModelProto proto() {
    return proto;
  }

  /**
   * Returns the directory external data files are resolved against.
   *
   * @return the directory, or null
   */
  public Path baseDir() {
    return baseDir;
  }

  /**
   * Returns the display name used in messages.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns a copy of this model with another proto but the same data directory and name.
   *
   * @param newProto the replacement proto
   * @return the new model
   */
  public OnnxModel withProto(ModelProto newProto) {
    return new OnnxModel(newProto, baseDir, name);
  }

  /**
   * Returns the opset version imported for a domain.
   *
   * @param domain the domain ("" or "ai.onnx" for the default domain)
   * @return the version, or -1 when the model does not import the domain
   */
  public long opsetVersion(String domain) {
    return opsetVersion(proto, domain);
  }

  /**
   * Returns the opset version a model imports for a domain.
   *
   * @param model the model
   * @param domain the domain ("" or "ai.onnx" for the default domain)
   * @return the version, or -1 when the model does not import the domain
   */
  public static long opsetVersion(ModelProto model, String domain) {
    for (OperatorSetIdProto op : model.getOpsetImportList()) {
      if (sameDomain(op.getDomain(), domain)) {
        return op.getVersion();
      }
    }
    return -1;
  }

  /**
   * Returns true when two domain strings name the same operator set.
   *
   * @param a a domain
   * @param b another domain
   * @return whether they are equal, treating "" and "ai.onnx" as the same
   */
  public static boolean sameDomain(String a, String b) {
    return normalize(a).equals(normalize(b));
  }

  private static String normalize(String domain) {
    return domain == null || domain.equals("ai.onnx") ? "" : domain;
  }

  /**
   * Reads a tensor of this model as floats, resolving external data.
   *
   * @param t a tensor of this model
   * @return its values
   */
  public float[] floats(TensorProto t) {
    return TensorData.toFloats(t, baseDir, name);
  }

  /**
   * Reads an integer tensor of this model as longs, resolving external data.
   *
   * @param t a tensor of this model
   * @return its values
   */
  public long[] longs(TensorProto t) {
    return TensorData.toLongs(t, baseDir, name);
  }
}
