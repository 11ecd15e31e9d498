package io.octet.onnx;

import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.octet.error.QuantErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where an externally stored tensor's bytes live: a file next to the model, an offset and a length.
 * ONNX stores tensors this way when a model would not fit the 2 GB protobuf limit.
 *
 * @param file the resolved data file
 * @param offset byte offset of the tensor in the file
 * @param length number of bytes, or -1 for "to the end of the file"
 */
public record ExternalData(Path file, long offset, long length) {

  /**
   * Returns true when the tensor's bytes are stored outside the model file.
   *
   * @param tensor the tensor
   * @return whether {@code data_location} is EXTERNAL
   */
  public static boolean isExternal(TensorProto tensor) {
    return tensor.hasDataLocation()
        && tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
  }

  /**
   * Resolves a tensor's external-data entries against the model's directory.
   *
   * @param tensor an external tensor
   * @param baseDir the directory of the model file
   * @param modelName the model's name, for errors
   * @return the location of the tensor's bytes
   * @throws io.octet.error.QuantException if the entries are malformed or point outside {@code
   *     baseDir}
   */
  public static ExternalData of(TensorProto tensor, Path baseDir, String modelName) {
    String location = null;
    long offset = 0;
    long length = -1;
    for (StringStringEntryProto e : tensor.getExternalDataList()) {
      switch (e.getKey()) {
        case "location" -> location = e.getValue();
        case "offset" -> offset = parseLong(e.getValue(), "offset", tensor, modelName);
        case "length" -> length = parseLong(e.getValue(), "length", tensor, modelName);
        default -> {
          // "checksum" and future keys carry nothing we need to read the bytes.
        }
      }
    }
    if (location == null || location.isEmpty()) {
      throw QuantErrors.badModel(
          modelName,
          "tensor '" + tensor.getName() + "' is marked external but has no 'location' entry",
          null);
    }
    if (baseDir == null) {
      throw QuantErrors.badModel(
          modelName,
          "tensor '"
              + tensor.getName()
              + "' stores its data in external file '"
              + location
              + "' but the model was loaded from bytes, not from a directory",
          null);
    }
    Path base = baseDir.toAbsolutePath().normalize();
    Path file = base.resolve(location).normalize();
    if (!file.startsWith(base)) {
      // A location such as "../../etc/passwd" must never make us read outside the model's folder.
      throw QuantErrors.badModel(
          modelName,
          "tensor '"
              + tensor.getName()
              + "' points its external data outside the model's directory ('"
              + location
              + "')",
          null);
    }
    return new ExternalData(file, offset, length);
  }

  /**
   * Reads the tensor's bytes.
   *
   * @param modelName the model's name, for errors
   * @return the bytes, little-endian as ONNX stores them
   * @throws io.octet.error.QuantException if the file is missing or too short
   */
  public byte[] read(String modelName) {
    if (!Files.isRegularFile(file)) {
      throw QuantErrors.badModel(
          modelName,
          "external data file '" + file.getFileName() + "' is missing next to the model",
          null);
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      long len = length < 0 ? size - offset : length;
      if (offset < 0 || len < 0 || offset + len > size) {
        throw QuantErrors.badModel(
            modelName,
            String.format(
                java.util.Locale.ROOT,
                "external data file '%s' is %d bytes but a tensor needs bytes %d..%d (truncated"
                    + " file?)",
                file.getFileName(),
                size,
                offset,
                offset + len),
            null);
      }
      if (len > Integer.MAX_VALUE - 8) {
        throw QuantErrors.badModel(
            modelName, "an external tensor is larger than 2 GB, which one array cannot hold", null);
      }
      ByteBuffer buf = ByteBuffer.allocate((int) len);
      long pos = offset;
      while (buf.hasRemaining()) {
        int n = ch.read(buf, pos);
        if (n < 0) {
          throw new IOException("unexpected end of file");
        }
        pos += n;
      }
      return buf.array();
    } catch (IOException e) {
      throw QuantErrors.badModel(modelName, "cannot read external data '" + file + "'", e);
    }
  }

  private static long parseLong(String v, String key, TensorProto t, String modelName) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw QuantErrors.badModel(
          modelName,
          "tensor '" + t.getName() + "' has a non-numeric external '" + key + "': " + v,
          e);
    }
  }
}
