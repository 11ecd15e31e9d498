package io.octet.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.octet.error.QuantException;
import io.octet.testing.DigitsData;
import io.octet.testing.TestModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelIOTest {
  @TempDir Path dir;

  @Test
  void roundTripKeepsIrVersionOpsetsMetadataDocStringsAndUnknownFields() throws IOException {
    ModelProto base = TestModels.tinyConvNet(1, false);
    UnknownFieldSet unknown =
        UnknownFieldSet.newBuilder()
            .addField(
                999,
                UnknownFieldSet.Field.newBuilder()
                    .addVarint(42)
                    .addLengthDelimited(ByteString.copyFromUtf8("from a newer ONNX"))
                    .build())
            .build();
    GraphProto.Builder g = base.getGraph().toBuilder().setDocString("graph doc");
    NodeProto conv = g.getNode(0).toBuilder().setDocString("node doc").build();
    g.setNode(0, conv).setUnknownFields(unknown);
    g.setInitializer(0, g.getInitializer(0).toBuilder().setDocString("tensor doc"));
    ModelProto original =
        base.toBuilder()
            .setIrVersion(9)
            .setProducerVersion("1.2.3")
            .setDomain("io.octet.tests")
            .setModelVersion(7)
            .setDocString("model doc")
            .addOpsetImport(
                OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1))
            .addMetadataProps(entry("author", "tests"))
            .addMetadataProps(entry("license", "Apache-2.0"))
            .setGraph(g)
            .setUnknownFields(unknown)
            .build();
    Path file = dir.resolve("model.onnx");

    List<Path> written =
        OnnxModelIO.write(
            new OnnxModel(original, null, "model.onnx"), file, OnnxModelIO.WriteOptions.DEFAULT);
    OnnxModel back = OnnxModelIO.read(file);

    assertThat(written).as("files written").containsExactly(file);
    assertThat(back.proto().getIrVersion()).as("IR version").isEqualTo(9);
    assertThat(back.opsetVersion("")).as("default opset").isEqualTo(13);
    assertThat(back.opsetVersion("com.microsoft")).as("contrib opset").isEqualTo(1);
    assertThat(back.proto().getMetadataPropsList())
        .as("metadata_props, in order")
        .containsExactly(entry("author", "tests"), entry("license", "Apache-2.0"));
    assertThat(back.proto().getGraph().getNode(0).getDocString()).isEqualTo("node doc");
    assertThat(back.proto().getUnknownFields().getField(999).getVarintList())
        .as("unknown model field kept")
        .containsExactly(42L);
    assertThat(back.proto().getGraph().getUnknownFields().hasField(999))
        .as("unknown graph field kept")
        .isTrue();
    assertThat(back.proto()).as("the whole proto, field for field").isEqualTo(original);
    assertThat(Files.readAllBytes(file))
        .as("bytes on disk are the proto's serialization")
        .isEqualTo(original.toByteArray());
  }

  @Test
  void forcedExternalDataRoundTripsAndRunsInOrtFromTheFile() {
    ModelProto proto = TestModels.tinyConvNet(2, false);
    Path file = dir.resolve("ext/model.onnx");

    List<Path> written =
        OnnxModelIO.write(
            new OnnxModel(proto, null, "conv"), file, new OnnxModelIO.WriteOptions(0, true));
    OnnxModel back = OnnxModelIO.read(file);

    assertThat(written)
        .as("model then data file")
        .containsExactly(file, dir.resolve("ext/model.onnx.data"));
    for (TensorProto t : back.proto().getGraph().getInitializerList()) {
      assertThat(ExternalData.isExternal(t)).as("%s is external", t.getName()).isTrue();
      TensorProto orig =
          proto.getGraph().getInitializerList().stream()
              .filter(o -> o.getName().equals(t.getName()))
              .findFirst()
              .orElseThrow();
      assertThat(back.floats(t))
          .as("values of %s", t.getName())
          .containsExactly(TensorData.toFloats(orig, null, "conv"));
    }
    float[] x = TestModels.uniform(new SplittableRandom(3), 2 * 3 * 8 * 8, 1f);
    long[] shape = {2, 3, 8, 8};
    float[] expected = TestModels.run(new OnnxModel(proto, null, "conv"), "x", shape, x).get("y");
    assertThat(TestModels.run(file, "x", shape, x).get("y"))
        .as("ORT session opened on the file with external data")
        .containsExactly(expected);
    assertThat(TestModels.run(back, "x", shape, x).get("y"))
        .as("ORT session opened on the model read back")
        .containsExactly(expected);
  }

  @Test
  void externalTensorsAreCopiedVerbatimFromTheSourceDataFile() throws IOException {
    // A source model whose tensor sits at an odd offset of a file that also holds other bytes.
    SplittableRandom r = new SplittableRandom(4);
    int rows = 3000;
    int cols = 256;
    float[] table = TestModels.uniform(r, rows * cols, 2f);
    ByteBuffer bytes = ByteBuffer.allocate(table.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(table);
    byte[] junk = new byte[123];
    r.nextBytes(junk);
    Path src = dir.resolve("src");
    Files.createDirectories(src);
    try (var out = Files.newOutputStream(src.resolve("weights.bin"))) {
      out.write(junk);
      out.write(bytes.array());
      out.write(junk);
    }
    ModelProto proto = gatherModel(externalTensor("table", rows, cols, "weights.bin", 123));
    Files.write(src.resolve("model.onnx"), proto.toByteArray());

    OnnxModel read = OnnxModelIO.read(src.resolve("model.onnx"));
    Path out = dir.resolve("dst/copy.onnx");
    OnnxModelIO.write(read, out, OnnxModelIO.WriteOptions.DEFAULT);

    TensorProto t = OnnxModelIO.read(out).proto().getGraph().getInitializer(0);
    ExternalData where = ExternalData.of(t, out.getParent(), "copy.onnx");
    byte[] data = Files.readAllBytes(dir.resolve("dst/copy.onnx.data"));
    assertThat(where.file()).isEqualTo(dir.resolve("dst/copy.onnx.data").toAbsolutePath());
    assertThat(where.offset() % 4096).as("large tensors are page-aligned").isZero();
    assertThat(where.length()).isEqualTo(bytes.capacity());
    assertThat(
            Arrays.copyOfRange(data, (int) where.offset(), (int) (where.offset() + where.length())))
        .as("tensor bytes copied verbatim")
        .isEqualTo(bytes.array());
    assertThat((long) data.length)
        .as("nothing but the tensor is copied")
        .isEqualTo(where.offset() + where.length());
    long[] ids = {0, 2999, 17};
    float[] gathered =
        TestModels.run(out, "ids_f", new long[] {3}, new float[] {0, 2999, 17}).get("y");
    for (int i = 0; i < ids.length; i++) {
      float[] expectedRow =
          Arrays.copyOfRange(table, (int) ids[i] * cols, (int) (ids[i] + 1) * cols);
      assertThat(Arrays.copyOfRange(gathered, i * cols, (i + 1) * cols))
          .as("row %s gathered by ORT from the copied data", ids[i])
          .containsExactly(expectedRow);
    }
  }

  @Test
  void externalLocationOutsideTheModelDirectoryIsRefused() throws IOException {
    Path modelDir = dir.resolve("models");
    Files.createDirectories(modelDir);
    Files.write(dir.resolve("x"), new byte[4 * 4 * 2]);
    for (String location : List.of("../x", dir.resolve("x").toAbsolutePath().toString())) {
      ModelProto proto = gatherModel(externalTensor("table", 4, 2, location, 0));
      Path file = modelDir.resolve("evil.onnx");
      Files.write(file, proto.toByteArray());

      assertThatThrownBy(() -> OnnxModelIO.read(file))
          .as("location %s", location)
          .isInstanceOf(QuantException.class)
          .hasMessageContaining(file.toString())
          .hasMessageContaining("tensor 'table'")
          .hasMessageContaining("outside the model's directory")
          .hasMessageContaining(location);
    }
  }

  @Test
  void missingExternalDataFileIsNamed() throws IOException {
    ModelProto proto = gatherModel(externalTensor("table", 4, 2, "gone.bin", 0));
    Path file = dir.resolve("m.onnx");
    Files.write(file, proto.toByteArray());

    assertThatThrownBy(() -> OnnxModelIO.read(file))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("'gone.bin'")
        .hasMessageContaining("missing");
  }

  @Test
  void shortExternalDataFileIsNamedWithTheBytesItLacks() throws IOException {
    Files.createDirectories(dir.resolve("w"));
    Files.write(dir.resolve("w/part.bin"), new byte[20]);
    ModelProto proto = gatherModel(externalTensor("table", 4, 2, "w/part.bin", 0));
    Path file = dir.resolve("short.onnx");
    Files.write(file, proto.toByteArray());

    assertThatThrownBy(() -> OnnxModelIO.read(file))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("tensor 'table' needs bytes 0..32")
        .hasMessageContaining("w/part.bin")
        .hasMessageContaining("only 20 bytes");
  }

  @Test
  void missingFileSaysItDoesNotExist() {
    Path file = dir.resolve("nope.onnx");
    assertThatThrownBy(() -> OnnxModelIO.read(file))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("does not exist");
  }

  @Test
  void emptyFileSaysItIsEmpty() throws IOException {
    Path file = Files.createFile(dir.resolve("empty.onnx"));
    assertThatThrownBy(() -> OnnxModelIO.read(file))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("is empty");
  }

  @Test
  void truncatedRealModelSaysItIsTruncated() throws IOException {
    byte[] full = Files.readAllBytes(DigitsData.model());
    Path file = dir.resolve("half.onnx");
    Files.write(file, Arrays.copyOf(full, full.length / 2));

    assertThatThrownBy(() -> OnnxModelIO.read(file))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("truncated");
  }

  @Test
  void randomBytesAreNotAnOnnxModel() throws IOException {
    byte[] noise = new byte[5000];
    new SplittableRandom(5).nextBytes(noise);
    Path file = dir.resolve("noise.onnx");
    Files.write(file, noise);

    assertThatThrownBy(() -> OnnxModelIO.read(file))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("not a valid ONNX protobuf");
  }

  @Test
  void textFileIsNotAnOnnxModel() throws IOException {
    Path file = dir.resolve("README.onnx");
    Files.writeString(
        file,
        "This is not a model.\nIt is a text file someone saved with the wrong name.\n",
        StandardCharsets.UTF_8);

    assertThatThrownBy(() -> OnnxModelIO.read(file))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("text file");
  }

  @Test
  void validProtobufThatIsNotOnnxIsRefused() throws IOException {
    TensorProto tensor = TensorData.ofFloats("", new long[] {2, 2}, new float[] {1f, 2f, 3f, 4f});
    Path file = dir.resolve("tensor.pb");
    Files.write(file, tensor.toByteArray());

    assertThatThrownBy(() -> OnnxModelIO.read(file))
        .isInstanceOf(QuantException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("not an ONNX model");
  }

  @Test
  void writeIsAtomicAndLeavesNoTemporaryFiles() throws IOException {
    Path file = dir.resolve("a.onnx");
    OnnxModel m = new OnnxModel(TestModels.denseNet(1), null, "dense");
    OnnxModelIO.write(m, file, OnnxModelIO.WriteOptions.DEFAULT);
    OnnxModelIO.write(m, file, new OnnxModelIO.WriteOptions(16, true));

    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .as("only the model and its data, no temporaries")
          .containsExactly("a.onnx", "a.onnx.data");
    }
    float[] x = TestModels.uniform(new SplittableRandom(9), 8, 1f);
    assertThat(TestModels.run(file, "x", new long[] {1, 8}, x).get("y"))
        .as("rewritten model still runs")
        .containsExactly(TestModels.run(m, "x", new long[] {1, 8}, x).get("y"));
  }

  /** Gather(table, Cast(ids_f → int64)) → y; ids_f is a float vector so tests can feed floats. */
  static ModelProto gatherModel(TensorProto table) {
    GraphProto g =
        GraphProto.newBuilder()
            .setName("gather")
            .addInput(Nodes.valueInfo("ids_f", TensorProto.DataType.FLOAT_VALUE, "K"))
            .addOutput(Nodes.untyped("y"))
            .addInitializer(table)
            .addNode(
                Nodes.node(
                    "Cast",
                    "to_int",
                    List.of("ids_f"),
                    List.of("ids"),
                    Nodes.attr("to", (long) TensorProto.DataType.INT64_VALUE)))
            .addNode(Nodes.node("Gather", "lookup", List.of("table", "ids"), List.of("y")))
            .build();
    return TestModels.model(g, 13);
  }

  static TensorProto externalTensor(
      String name, long rows, long cols, String location, long offset) {
    return TensorProto.newBuilder()
        .setName(name)
        .setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addDims(rows)
        .addDims(cols)
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(entry("location", location))
        .addExternalData(entry("offset", Long.toString(offset)))
        .addExternalData(entry("length", Long.toString(rows * cols * 4)))
        .build();
  }

  private static StringStringEntryProto entry(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }
}
