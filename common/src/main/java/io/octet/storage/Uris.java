package io.octet.storage;

import java.net.URI;
import java.nio.file.Path;

/** Small helpers for the URIs Octet passes around. */
public final class Uris {
  private Uris() {}

  /**
   * Turns a plain path into an absolute {@code file:} URI; leaves URIs with a scheme alone.
   *
   * @param pathOrUri a path ("octet-warehouse", "/data/x") or a URI ("s3a://b/k")
   * @return a URI string
   */
  public static String normalize(String pathOrUri) {
    if (hasScheme(pathOrUri)) {
      return stripTrailingSlash(pathOrUri);
    }
    return stripTrailingSlash(Path.of(pathOrUri).toAbsolutePath().normalize().toUri().toString());
  }

  /**
   * Whether a string has a URI scheme (file:, s3a:, hdfs:...). A Windows-style drive letter is not
   * treated as a scheme.
   *
   * @param s the string
   * @return true if it starts with scheme ":"
   */
  public static boolean hasScheme(String s) {
    int c = s.indexOf(':');
    return c > 1 && s.substring(0, c).matches("[A-Za-z][A-Za-z0-9+.-]*");
  }

  /**
   * Joins a base URI and path segments with single slashes.
   *
   * @param base the base
   * @param parts the segments (no leading or trailing slashes needed)
   * @return the joined URI
   */
  public static String join(String base, String... parts) {
    StringBuilder b = new StringBuilder(stripTrailingSlash(base));
    for (String p : parts) {
      String s = p;
      while (s.startsWith("/")) {
        s = s.substring(1);
      }
      b.append('/').append(stripTrailingSlash(s));
    }
    return b.toString();
  }

  /**
   * Returns the last path segment.
   *
   * @param uri a URI
   * @return its file name
   */
  public static String fileName(String uri) {
    String s = stripTrailingSlash(uri);
    return s.substring(s.lastIndexOf('/') + 1);
  }

  /**
   * Returns the parent URI.
   *
   * @param uri a URI
   * @return everything before the last slash
   */
  public static String parent(String uri) {
    String s = stripTrailingSlash(uri);
    return s.substring(0, s.lastIndexOf('/'));
  }

  /**
   * Returns {@code uri} relative to {@code base}, or the URI itself when it is not below it.
   *
   * @param base the base
   * @param uri a URI under it
   * @return the relative path
   */
  public static String relativize(String base, String uri) {
    String b = stripTrailingSlash(base) + "/";
    return uri.startsWith(b) ? uri.substring(b.length()) : uri;
  }

  private static final java.util.regex.Pattern USER_INFO =
      java.util.regex.Pattern.compile("(?<=[A-Za-z][A-Za-z0-9+.-]{0,30}://)[^/@\\s]+@");

  /**
   * Masks the user info (credentials) of every URI inside a text, such as an error message.
   *
   * @param text the text; null stays null
   * @param mask what replaces each URI's user info
   * @return the text with the mask before each URI's host
   */
  public static String redactText(String text, String mask) {
    return text == null ? null : USER_INFO.matcher(text).replaceAll(mask + "@");
  }

  /**
   * Returns a URI with any user-info (credentials) removed, for messages and reports.
   *
   * @param uri a URI that might carry credentials
   * @return the URI without user-info
   */
  public static String redact(String uri) {
    try {
      URI u = new URI(uri);
      if (u.getUserInfo() == null) {
        return uri;
      }
      return new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), u.getQuery(), null)
          .toString();
    } catch (java.net.URISyntaxException e) {
      return uri.replaceAll("//[^/@]*@", "//");
    }
  }

  private static String stripTrailingSlash(String s) {
    String r = s;
    while (r.endsWith("/") && !r.endsWith(":/") && !r.endsWith("://")) {
      r = r.substring(0, r.length() - 1);
    }
    return r;
  }
}
