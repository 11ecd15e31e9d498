package io.octet.report;

import java.util.Locale;

/**
 * A small writer for inline SVG. Every chart carries {@code role="img"}, a {@code <title>} (its
 * accessible name, also shown as a tooltip) and a {@code <desc>}; colours and fonts come from the
 * page's stylesheet through class names.
 */
final class Svg {
  private final StringBuilder b = new StringBuilder(4096);

  /**
   * Starts a chart.
   *
   * @param cssClass the chart's class
   * @param width width in CSS pixels (the chart scales down on narrow screens)
   * @param height height in CSS pixels
   * @param title the accessible name
   * @param desc a longer description for screen readers
   */
  Svg(String cssClass, double width, double height, String title, String desc) {
    b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"")
        .append(Html.esc(cssClass))
        .append("\" role=\"img\" width=\"")
        .append(n(width))
        .append("\" height=\"")
        .append(n(height))
        .append("\" viewBox=\"0 0 ")
        .append(n(width))
        .append(' ')
        .append(n(height))
        .append("\"><title>")
        .append(Html.esc(title))
        .append("</title><desc>")
        .append(Html.esc(desc))
        .append("</desc>");
  }

  Svg rect(double x, double y, double w, double h, String cls) {
    return rect(x, y, w, h, cls, null);
  }

  /** A rectangle with an optional tooltip. */
  Svg rect(double x, double y, double w, double h, String cls, String tooltip) {
    b.append("<rect class=\"")
        .append(cls)
        .append("\" x=\"")
        .append(n(x))
        .append("\" y=\"")
        .append(n(y))
        .append("\" width=\"")
        .append(n(Math.max(0, w)))
        .append("\" height=\"")
        .append(n(Math.max(0, h)))
        .append('"');
    if (tooltip == null) {
      b.append("/>");
    } else {
      b.append("><title>").append(Html.esc(tooltip)).append("</title></rect>");
    }
    return this;
  }

  Svg line(double x1, double y1, double x2, double y2, String cls) {
    b.append("<line class=\"")
        .append(cls)
        .append("\" x1=\"")
        .append(n(x1))
        .append("\" y1=\"")
        .append(n(y1))
        .append("\" x2=\"")
        .append(n(x2))
        .append("\" y2=\"")
        .append(n(y2))
        .append("\"/>");
    return this;
  }

  /**
   * Text at a point.
   *
   * @param anchor "start", "middle" or "end"
   */
  Svg text(double x, double y, String text, String cls, String anchor) {
    b.append("<text class=\"")
        .append(cls)
        .append("\" x=\"")
        .append(n(x))
        .append("\" y=\"")
        .append(n(y))
        .append("\" text-anchor=\"")
        .append(anchor)
        .append("\">")
        .append(Html.esc(text))
        .append("</text>");
    return this;
  }

  /** Text rotated by -90° around its anchor (vertical axis titles). */
  Svg verticalText(double x, double y, String text, String cls) {
    b.append("<text class=\"")
        .append(cls)
        .append("\" x=\"")
        .append(n(x))
        .append("\" y=\"")
        .append(n(y))
        .append("\" text-anchor=\"middle\" transform=\"rotate(-90 ")
        .append(n(x))
        .append(' ')
        .append(n(y))
        .append(")\">")
        .append(Html.esc(text))
        .append("</text>");
    return this;
  }

  Svg path(String d, String cls) {
    if (!d.isEmpty()) {
      b.append("<path class=\"").append(cls).append("\" d=\"").append(d).append("\"/>");
    }
    return this;
  }

  /** Ends the chart and returns its markup. */
  String close() {
    return b.append("</svg>").toString();
  }

  /** A coordinate with at most two decimals and no trailing zeros. */
  static String n(double v) {
    if (!Double.isFinite(v)) {
      return "0";
    }
    long r = Math.round(v * 100);
    if (r % 100 == 0) {
      return Long.toString(r / 100);
    }
    String s = String.format(Locale.ROOT, "%.2f", r / 100.0);
    return s.endsWith("0") ? s.substring(0, s.length() - 1) : s;
  }

  /** Truncates a label from the left, keeping its informative end ("…/layer.5/MatMul_0"). */
  static String fit(String label, int maxChars) {
    if (label == null) {
      return "";
    }
    return label.length() <= maxChars
        ? label
        : "…" + label.substring(label.length() - maxChars + 1);
  }
}
