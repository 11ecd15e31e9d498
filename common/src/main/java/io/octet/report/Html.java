package io.octet.report;

import java.time.Duration;
import java.util.Locale;

/** Escaping and number formatting for report text. Every string from data goes through here. */
final class Html {
  /** What a missing figure shows. */
  static final String NONE = "—";

  private Html() {}

  /**
   * Escapes text for HTML and SVG element content and for quoted attribute values.
   *
   * @param s any text, may be null (gives "")
   * @return the text with {@code & < > " '} replaced by entities
   */
  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String rep =
          switch (c) {
            case '&' -> "&amp;";
            case '<' -> "&lt;";
            case '>' -> "&gt;";
            case '"' -> "&quot;";
            case '\'' -> "&#39;";
            default -> c < 0x20 && c != '\n' && c != '\t' ? "" : null;
          };
      if (rep != null && b == null) {
        b = new StringBuilder(s.length() + 16).append(s, 0, i);
      }
      if (b != null) {
        if (rep != null) {
          b.append(rep);
        } else {
          b.append(c);
        }
      }
    }
    return b == null ? s : b.toString();
  }

  /** Formats with fixed decimals; NaN or infinite gives {@link #NONE}. */
  static String num(double v, int decimals) {
    if (!Double.isFinite(v)) {
      return NONE;
    }
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  /** Formats a value with about four significant digits (axis labels, ranges). */
  static String sig(double v) {
    if (!Double.isFinite(v)) {
      return NONE;
    }
    if (v == 0) {
      return "0";
    }
    double a = Math.abs(v);
    if (a >= 1e5 || a < 1e-3) {
      // "1.23e-04" -> "1.23e-4", "1.00e+05" -> "1e5"
      String[] parts = String.format(Locale.ROOT, "%.2e", v).split("e");
      String mantissa = parts[0].replaceAll("0+$", "").replaceAll("\\.$", "");
      return mantissa + "e" + Integer.parseInt(parts[1]);
    }
    String s = String.format(Locale.ROOT, "%.4g", v);
    return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
  }

  /** A fraction in [0, 1] as a percentage. */
  static String pct(double fraction, int decimals) {
    return Double.isFinite(fraction) ? num(fraction * 100, decimals) + "%" : NONE;
  }

  /** Bytes in decimal units: "90.4 MB". Negative means unknown. */
  static String bytes(long n) {
    if (n < 0) {
      return NONE;
    }
    if (n < 1000) {
      return n + " B";
    }
    String[] units = {"kB", "MB", "GB", "TB"};
    double v = n;
    int u = -1;
    while (v >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return num(v, v < 10 ? 2 : 1) + " " + units[u];
  }

  /** A count with thin grouping: 1k, 12k, 3.4M (axis ticks). */
  static String compact(double v) {
    double a = Math.abs(v);
    if (a >= 1e9) {
      return sig(v / 1e9) + "G";
    }
    if (a >= 1e6) {
      return sig(v / 1e6) + "M";
    }
    if (a >= 1e3) {
      return sig(v / 1e3) + "k";
    }
    return sig(v);
  }

  /** Seconds as "0.4 s", "12.3 s", "3 min 05 s", "1 h 02 min". */
  static String seconds(double s) {
    if (!Double.isFinite(s) || s < 0) {
      return NONE;
    }
    if (s < 60) {
      return num(s, s < 10 ? 2 : 1) + " s";
    }
    long t = Math.round(s);
    if (t < 3600) {
      return String.format(Locale.ROOT, "%d min %02d s", t / 60, t % 60);
    }
    return String.format(Locale.ROOT, "%d h %02d min", t / 3600, (t % 3600) / 60);
  }

  /** A duration, or {@link #NONE} when null. */
  static String duration(Duration d) {
    return d == null ? NONE : seconds(d.toMillis() / 1000.0);
  }

  /** An id usable in HTML id attributes and fragments: letters, digits, '-' and '_' only. */
  static String id(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : (s == null ? "" : s).toCharArray()) {
      b.append(Character.isLetterOrDigit(c) && c < 128 || c == '-' || c == '_' ? c : '-');
    }
    return b.toString();
  }
}
