package io.octet.util;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * JSON for every file Octet writes: objects indented, arrays on one line (a histogram is one line,
 * not four thousand), keys in insertion order, and a trailing newline; the same content always
 * gives the same bytes.
 */
public final class Json {
  /** The shared mapper; thread-safe once configured. */
  public static final ObjectMapper MAPPER =
      new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  private static final DefaultPrettyPrinter PRINTER =
      new DefaultPrettyPrinter()
          .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"))
          .withArrayIndenter(DefaultPrettyPrinter.FixedSpaceIndenter.instance);

  private Json() {}

  /**
   * Returns a new empty object node.
   *
   * @return the node
   */
  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /**
   * Serializes a tree to UTF-8 bytes with Octet's layout.
   *
   * @param node the tree
   * @return the bytes, ending with a newline
   */
  public static byte[] bytes(JsonNode node) {
    return (string(node) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Serializes a tree to a string with Octet's layout.
   *
   * @param node the tree
   * @return the text
   */
  public static String string(JsonNode node) {
    try {
      return MAPPER.writer(PRINTER).writeValueAsString(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Parses JSON text.
   *
   * @param bytes UTF-8 JSON
   * @param what what is being read, for the error
   * @return the tree
   * @throws IllegalArgumentException naming {@code what} when the text is not valid JSON
   */
  public static JsonNode parse(byte[] bytes, String what) {
    try {
      return MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot parse " + what + " as JSON: " + e.getMessage(), e);
    }
  }
}
