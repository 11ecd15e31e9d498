package io.octet.publish;

import java.security.SecureRandom;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;

/** Run ids: UTC start time plus a random suffix, sortable and unique across concurrent runs. */
public final class RunIds {
  private static final DateTimeFormatter FMT =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT);
  private static final SecureRandom RANDOM = new SecureRandom();

  private RunIds() {}

  /**
   * Returns a new run id such as {@code 20261129T153000Z-3f9a1c}.
   *
   * @return the id
   */
  public static String next() {
    byte[] b = new byte[3];
    RANDOM.nextBytes(b);
    return ZonedDateTime.now(ZoneOffset.UTC).format(FMT) + "-" + HexFormat.of().formatHex(b);
  }

  /**
   * Whether a string is a valid run id (safe as a path segment).
   *
   * @param s the string
   * @return true if it matches the format
   */
  public static boolean isValid(String s) {
    return s.matches("[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}");
  }
}
