package io.octet.report;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Relative links between files of one warehouse. Pages use only relative links so that a report
 * works the same opened from disk ({@code file://}) or served from a bucket.
 */
final class Links {
  private Links() {}

  /**
   * Returns the relative URL from a page's directory to another file.
   *
   * <p>Both paths are relative to the warehouse root, with '/' separators. Every segment is
   * percent-encoded (a ':' in the first segment would otherwise read as a URL scheme).
   *
   * @param fromDir the directory holding the page, e.g. "_runs/20261129T153000Z-ab12cd"
   * @param target the file, e.g. "minilm/1/20261129T153000Z-ab12cd/model.int8.onnx"
   * @return e.g. "../../minilm/1/20261129T153000Z-ab12cd/model.int8.onnx", or null when the target
   *     is missing, absolute or a URI (those are shown as text, not linked)
   */
  static String relative(String fromDir, String target) {
    if (target == null || target.isBlank() || isAbsolute(target)) {
      return null;
    }
    List<String> from = segments(fromDir);
    List<String> to = segments(target);
    if (to.isEmpty()) {
      return null;
    }
    int common = 0;
    // The last target segment is the file itself: never consume it as a shared directory.
    while (common < from.size()
        && common < to.size() - 1
        && from.get(common).equals(to.get(common))) {
      common++;
    }
    StringBuilder b = new StringBuilder();
    for (int i = common; i < from.size(); i++) {
      b.append("../");
    }
    for (int i = common; i < to.size(); i++) {
      b.append(encode(to.get(i)));
      if (i < to.size() - 1) {
        b.append('/');
      }
    }
    return b.toString();
  }

  /**
   * Returns the directory part of a path.
   *
   * @param path e.g. "minilm/1/run/report.html"
   * @return e.g. "minilm/1/run"; "" for a top-level file
   */
  static String parent(String path) {
    List<String> s = segments(path);
    return s.size() <= 1 ? "" : String.join("/", s.subList(0, s.size() - 1));
  }

  /** Whether a path is a URI with a scheme, or absolute. */
  static boolean isAbsolute(String p) {
    return p.startsWith("/") || p.startsWith("\\") || p.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*");
  }

  private static List<String> segments(String path) {
    List<String> out = new ArrayList<>();
    if (path == null) {
      return out;
    }
    for (String s : path.replace('\\', '/').split("/")) {
      if (s.isEmpty() || s.equals(".")) {
        continue;
      }
      if (s.equals("..") && !out.isEmpty() && !out.get(out.size() - 1).equals("..")) {
        out.remove(out.size() - 1);
      } else {
        out.add(s);
      }
    }
    return out;
  }

  /** Percent-encodes one path segment: RFC 3986 unreserved characters stay, all else is %XX. */
  static String encode(String segment) {
    StringBuilder b = new StringBuilder();
    for (byte x : segment.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~') {
        b.append((char) c);
      } else {
        b.append('%').append(String.format(Locale.ROOT, "%02X", c));
      }
    }
    return b.toString();
  }
}
