package io.octet.util;

import java.util.Locale;

/**
 * Argument and state checks for public boundaries.
 *
 * <p>Octet keeps its own tiny precondition helper instead of Guava's: Spark and Hadoop ship
 * conflicting Guava versions, and a shaded engine jar must not care which one wins.
 */
public final class Checks {
  private Checks() {}

  /**
   * Throws {@link IllegalArgumentException} with a formatted message when {@code condition} is
   * false.
   *
   * @param condition the condition that must hold
   * @param template a {@link String#format} template, formatted with {@link Locale#ROOT}
   * @param args the template's arguments
   * @throws IllegalArgumentException if the condition is false
   */
  public static void checkArgument(boolean condition, String template, Object... args) {
    if (!condition) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, template, args));
    }
  }

  /**
   * Throws {@link IllegalStateException} with a formatted message when {@code condition} is false.
   *
   * @param condition the condition that must hold
   * @param template a {@link String#format} template, formatted with {@link Locale#ROOT}
   * @param args the template's arguments
   * @throws IllegalStateException if the condition is false
   */
  public static void checkState(boolean condition, String template, Object... args) {
    if (!condition) {
      throw new IllegalStateException(String.format(Locale.ROOT, template, args));
    }
  }

  /**
   * Returns {@code value} or throws {@link NullPointerException} naming it.
   *
   * @param value the value to check
   * @param name what the value is, for the message
   * @param <T> the value's type
   * @return {@code value}, never null
   * @throws NullPointerException if {@code value} is null
   */
  public static <T> T checkNotNull(T value, String name) {
    if (value == null) {
      throw new NullPointerException(name + " must not be null");
    }
    return value;
  }
}
