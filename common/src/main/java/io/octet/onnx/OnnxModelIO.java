package io.octet.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.octet.error.QuantErrors;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Reads and writes ONNX model files, including tensors kept in external data files.
 *
 * <p>Writes are atomic per file (temporary name, then rename) and the data file is written before
 * the model file, so a reader that sees the model also sees all of its data.
 */
public final class OnnxModelIO {
  /** Past this many inline tensor bytes a model must use external data (protobuf caps at 2 GB). */
  public static final long INLINE_LIMIT_BYTES = 1_800_000_000L;

  private static final int PAGE = 4096;

  /** Bytes looked at to tell a text file or a foreign file from a damaged model. */
  private static final int HEAD_BYTES = 512;

  /** Protobuf tag of ModelProto.ir_version (field 1, varint): the first byte of ONNX files. */
  private static final byte IR_VERSION_TAG = 0x08;

  private OnnxModelIO() {}

  /**
   * Reads a model file; external tensors are resolved lazily against the file's directory.
   *
   * @param file the .onnx file
   * @return the model
   * @throws io.octet.error.QuantException naming the file when it is missing, empty, truncated,
   *     corrupt or not ONNX
   */
  public static OnnxModel read(Path file) {
    String name = file.toString();
    long size;
    try {
      size = Files.size(file);
    } catch (NoSuchFileException e) {
      throw QuantErrors.badModel(name, "the file does not exist", e);
    } catch (IOException e) {
      throw QuantErrors.badModel(name, "the file cannot be read", e);
    }
    if (size == 0) {
      throw QuantErrors.badModel(name, "the file is empty", null);
    }
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      in.mark(HEAD_BYTES);
      byte[] head = in.readNBytes(HEAD_BYTES);
      in.reset();
      ModelProto proto = parse(in, name, head);
      Path dir = file.toAbsolutePath().getParent();
      checkExternalData(proto.getGraph(), dir, name, new java.util.HashMap<>());
      return new OnnxModel(proto, dir, file.getFileName().toString());
    } catch (IOException e) {
      throw QuantErrors.badModel(name, "the file cannot be read", e);
    }
  }

  /**
   * Parses a model from bytes (models without external data).
   *
   * @param bytes the serialized model
   * @param name a display name for messages
   * @return the model
   */
  public static OnnxModel read(byte[] bytes, String name) {
    if (bytes.length == 0) {
      throw QuantErrors.badModel(name, "the file is empty", null);
    }
    try {
      return new OnnxModel(
          parse(
              new java.io.ByteArrayInputStream(bytes),
              name,
              java.util.Arrays.copyOf(bytes, Math.min(bytes.length, HEAD_BYTES))),
          null,
          name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ModelProto parse(InputStream in, String name, byte[] head) throws IOException {
    CodedInputStream cis = CodedInputStream.newInstance(in);
    cis.setSizeLimit(Integer.MAX_VALUE);
    // Deeply nested control flow (If inside Loop inside Scan...) needs more than the default 100.
    cis.setRecursionLimit(1000);
    ModelProto proto;
    try {
      proto = ModelProto.parseFrom(cis);
    } catch (InvalidProtocolBufferException e) {
      String why;
      if (looksLikeText(head)) {
        why = "it is a text file, not an ONNX model (binary protobuf)";
      } else if (head.length > 0
          && head[0] == IR_VERSION_TAG
          && e.getMessage() != null
          && e.getMessage().contains("ended unexpectedly")) {
        // It starts like an ONNX model (ir_version comes first) but stops mid-message.
        why = "the file is truncated (the protobuf ends in the middle of a message)";
      } else {
        why = "the bytes are not a valid ONNX protobuf (" + e.getMessage() + ")";
      }
      throw QuantErrors.badModel(name, why, e);
    }
    validate(proto, name, head);
    return proto;
  }

  /** True when the first bytes are printable UTF-8 text (what a mislabeled text file holds). */
  private static boolean looksLikeText(byte[] head) {
    if (head.length == 0) {
      return false;
    }
    for (byte b : head) {
      int c = b & 0xff;
      boolean control = c < 0x20 && c != '\n' && c != '\r' && c != '\t';
      if (control || c == 0x7f) {
        return false;
      }
    }
    // Bytes >= 0x80 must form valid UTF-8 (a cut multi-byte character at the end is fine).
    java.nio.charset.CharsetDecoder d =
        java.nio.charset.StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
            .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
    java.nio.CharBuffer out = java.nio.CharBuffer.allocate(head.length);
    return !d.decode(ByteBuffer.wrap(head), out, false).isError();
  }

  /**
   * Refuses external tensors (of the graph and every subgraph) whose location escapes the model's
   * directory, whose data file is missing or too short: the user hears it when the model is read,
   * not halfway through a run.
   */
  private static void checkExternalData(
      GraphProto g, Path dir, String name, java.util.Map<Path, Long> sizes) throws IOException {
    for (TensorProto t : g.getInitializerList()) {
      if (!ExternalData.isExternal(t)) {
        continue;
      }
      ExternalData d = ExternalData.of(t, dir, name);
      Long size = sizes.get(d.file());
      if (size == null) {
        if (!Files.isRegularFile(d.file())) {
          throw QuantErrors.badModel(
              name,
              "tensor '"
                  + t.getName()
                  + "' keeps its data in external file '"
                  + dir.normalize().relativize(d.file())
                  + "', which is missing next to the model",
              null);
        }
        size = Files.size(d.file());
        sizes.put(d.file(), size);
      }
      if (d.offset() < 0 || d.offset() + Math.max(d.length(), 0) > size) {
        throw QuantErrors.badModel(
            name,
            String.format(
                Locale.ROOT,
                "tensor '%s' needs bytes %d..%d of external file '%s', which has only %d bytes"
                    + " (truncated data file?)",
                t.getName(),
                d.offset(),
                d.offset() + d.length(),
                dir.normalize().relativize(d.file()),
                size),
            null);
      }
    }
    for (NodeProto n : g.getNodeList()) {
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          checkExternalData(a.getG(), dir, name, sizes);
        }
        for (GraphProto sub : a.getGraphsList()) {
          checkExternalData(sub, dir, name, sizes);
        }
      }
    }
  }

  private static void validate(ModelProto proto, String name, byte[] head) {
    if (looksLikeText(head)) {
      throw QuantErrors.badModel(name, "it is a text file, not an ONNX model", null);
    }
    if (proto.getIrVersion() <= 0) {
      throw QuantErrors.badModel(
          name, "it has no IR version, so it is not an ONNX model (wrong file?)", null);
    }
    if (!proto.hasGraph()) {
      throw QuantErrors.badModel(name, "it has no graph, so it is not an ONNX model", null);
    }
    if (proto.getOpsetImportCount() == 0) {
      throw QuantErrors.badModel(name, "it imports no operator set", null);
    }
    if (proto.getGraph().getOutputCount() == 0) {
      throw QuantErrors.badModel(name, "its graph has no outputs", null);
    }
  }

  /**
   * Options for {@link #write}.
   *
   * @param externalThresholdBytes tensors at least this large move to the external data file when
   *     external data is used
   * @param forceExternal use external data even when the model would fit inline
   */
  public record WriteOptions(long externalThresholdBytes, boolean forceExternal) {
    /** Inline unless the model needs external data; large tensors out when it does. */
    public static final WriteOptions DEFAULT = new WriteOptions(1024, false);

    /** Validates the threshold. */
    public WriteOptions {
      if (externalThresholdBytes < 0) {
        throw new IllegalArgumentException(
            "externalThresholdBytes must be >= 0, got: " + externalThresholdBytes);
      }
    }
  }

  /**
   * Writes a model. When the source model keeps tensors in external files, or the inline tensors
   * would exceed {@link #INLINE_LIMIT_BYTES}, or the options force it, large tensors go to one data
   * file named {@code <out file name>.data} next to {@code out}; tensors that were external in the
   * source are streamed from their file, never loaded whole onto the heap.
   *
   * @param model the model (its base directory resolves the source's external data)
   * @param out the destination .onnx file
   * @param options where tensors go
   * @return the files written (the model file, then the data file if any)
   */
  public static java.util.List<Path> write(OnnxModel model, Path out, WriteOptions options) {
    ModelProto proto = model.proto();
    Sizes sizes = new Sizes();
    sizes.scan(proto.getGraph());
    boolean external =
        options.forceExternal() || sizes.external > 0 || sizes.inline > INLINE_LIMIT_BYTES;
    try {
      Path dir = out.toAbsolutePath().getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      if (!external) {
        writeAtomically(proto, out);
        return java.util.List.of(out);
      }
      String dataName = out.getFileName() + ".data";
      Path data = out.resolveSibling(dataName);
      Path dataTmp = tmpSibling(data);
      ModelProto rewritten;
      try (FileChannel ch =
          FileChannel.open(
              dataTmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE)) {
        Externalizer ext = new Externalizer(model, ch, dataName, options.externalThresholdBytes());
        rewritten = proto.toBuilder().setGraph(ext.graph(proto.getGraph())).build();
        ch.force(true);
      }
      move(dataTmp, data);
      writeAtomically(rewritten, out);
      return java.util.List.of(out, data);
    } catch (IOException e) {
      throw QuantErrors.storage(out.toString(), "writing ONNX model", e);
    }
  }

  /**
   * Serializes a model without external data to bytes.
   *
   * @param model the model
   * @return the bytes
   * @throws IllegalArgumentException if the model has external tensors or exceeds 2 GB
   */
  public static byte[] toBytes(ModelProto model) {
    Sizes sizes = new Sizes();
    sizes.scan(model.getGraph());
    if (sizes.external > 0 || sizes.inline > INLINE_LIMIT_BYTES) {
      throw new IllegalArgumentException(
          "The model keeps tensors in external files or is too large for one protobuf; write it"
              + " to a file with OnnxModelIO.write instead");
    }
    return model.toByteArray();
  }

  private static void writeAtomically(ModelProto proto, Path out) throws IOException {
    Path tmp = tmpSibling(out);
    try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
      proto.writeTo(os);
    }
    move(tmp, out);
  }

  private static Path tmpSibling(Path p) {
    return p.resolveSibling(
        "."
            + p.getFileName()
            + ".tmp-"
            + Long.toHexString(System.nanoTime()).toLowerCase(Locale.ROOT));
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Counts inline and external tensor bytes across a graph and its subgraphs. */
  private static final class Sizes {
    long inline;
    long external;

    void scan(GraphProto g) {
      for (TensorProto t : g.getInitializerList()) {
        if (ExternalData.isExternal(t)) {
          external++;
        } else {
          inline += t.getSerializedSize();
        }
      }
      for (NodeProto n : g.getNodeList()) {
        for (AttributeProto a : n.getAttributeList()) {
          if (a.hasG()) {
            scan(a.getG());
          }
          for (GraphProto sub : a.getGraphsList()) {
            scan(sub);
          }
          if (a.hasT()) {
            inline += a.getT().getSerializedSize();
          }
        }
      }
    }
  }

  /** Moves large initializers (of the graph and every subgraph) into one data file. */
  private static final class Externalizer {
    private final OnnxModel source;
    private final FileChannel out;
    private final String location;
    private final long threshold;

    Externalizer(OnnxModel source, FileChannel out, String location, long threshold) {
      this.source = source;
      this.out = out;
      this.location = location;
      this.threshold = threshold;
    }

    GraphProto graph(GraphProto g) throws IOException {
      GraphProto.Builder b = g.toBuilder();
      for (int i = 0; i < b.getInitializerCount(); i++) {
        b.setInitializer(i, tensor(b.getInitializer(i)));
      }
      for (int i = 0; i < b.getNodeCount(); i++) {
        NodeProto n = b.getNode(i);
        boolean hasSub = false;
        for (AttributeProto a : n.getAttributeList()) {
          hasSub |= a.hasG() || a.getGraphsCount() > 0;
        }
        if (!hasSub) {
          continue;
        }
        NodeProto.Builder nb = n.toBuilder();
        for (int j = 0; j < nb.getAttributeCount(); j++) {
          AttributeProto a = nb.getAttribute(j);
          AttributeProto.Builder ab = a.toBuilder();
          if (a.hasG()) {
            ab.setG(graph(a.getG()));
          }
          for (int k = 0; k < a.getGraphsCount(); k++) {
            ab.setGraphs(k, graph(a.getGraphs(k)));
          }
          nb.setAttribute(j, ab);
        }
        b.setNode(i, nb);
      }
      return b.build();
    }

    private TensorProto tensor(TensorProto t) throws IOException {
      if (ExternalData.isExternal(t)) {
        ExternalData src = ExternalData.of(t, source.baseDir(), source.name());
        return place(t, copyFrom(src));
      }
      if (t.getRawData().size() < threshold && t.getSerializedSize() < threshold) {
        return t;
      }
      byte[] bytes = TensorData.rawBytes(t, source.baseDir(), source.name());
      long offset = align(bytes.length);
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      long pos = offset;
      while (buf.hasRemaining()) {
        pos += out.write(buf, pos);
      }
      return place(t, new long[] {offset, bytes.length});
    }

    private long[] copyFrom(ExternalData src) throws IOException {
      try (FileChannel in = FileChannel.open(src.file(), StandardOpenOption.READ)) {
        long len = src.length() < 0 ? in.size() - src.offset() : src.length();
        if (src.offset() + len > in.size()) {
          throw QuantErrors.badModel(
              source.name(),
              "external data file '" + src.file().getFileName() + "' is truncated",
              null);
        }
        long offset = align(len);
        out.position(offset);
        long done = 0;
        while (done < len) {
          done += in.transferTo(src.offset() + done, len - done, out);
        }
        return new long[] {offset, len};
      }
    }

    private long align(long len) throws IOException {
      long end = out.size();
      // Page-aligned offsets let ONNX Runtime memory-map large tensors instead of copying them.
      long unit = len >= 65536 ? PAGE : 16;
      return (end + unit - 1) / unit * unit;
    }

    private TensorProto place(TensorProto t, long[] offsetAndLength) {
      TensorProto.Builder b = t.toBuilder();
      b.clearRawData()
          .clearFloatData()
          .clearDoubleData()
          .clearInt32Data()
          .clearInt64Data()
          .clearUint64Data()
          .clearExternalData();
      b.setDataLocation(TensorProto.DataLocation.EXTERNAL);
      b.addExternalData(entry("location", location));
      b.addExternalData(entry("offset", Long.toString(offsetAndLength[0])));
      b.addExternalData(entry("length", Long.toString(offsetAndLength[1])));
      return b.build();
    }

    private static StringStringEntryProto entry(String k, String v) {
      return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }
  }
}
