package io.octet.util;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers (hex output), streaming so large models never sit on the heap. */
public final class Hashing {
  private Hashing() {}

  /**
   * Returns a new SHA-256 digest.
   *
   * @return the digest
   */
  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * Hashes bytes.
   *
   * @param data the bytes
   * @return lowercase hex SHA-256
   */
  public static String sha256(byte[] data) {
    return HexFormat.of().formatHex(sha256().digest(data));
  }

  /**
   * Hashes a string's UTF-8 bytes.
   *
   * @param s the string
   * @return lowercase hex SHA-256
   */
  public static String sha256(String s) {
    return sha256(s.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Hashes a stream to its end and closes it.
   *
   * @param in the stream
   * @return lowercase hex SHA-256
   */
  public static String sha256(InputStream in) {
    MessageDigest d = sha256();
    byte[] buf = new byte[1 << 16];
    try (InputStream s = in) {
      int n;
      while ((n = s.read(buf)) > 0) {
        d.update(buf, 0, n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return HexFormat.of().formatHex(d.digest());
  }
}
