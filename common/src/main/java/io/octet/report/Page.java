package io.octet.report;

/**
 * The page shell: document head, a Content-Security-Policy that forbids every fetch (scripts,
 * fonts, stylesheets, images other than data URIs), and the one inline stylesheet. Pages use no
 * JavaScript: collapsing is done with {@code <details>}.
 */
final class Page {
  /** Allows the inline stylesheet only; nothing may be fetched from the page. */
  static final String CSP =
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none';"
          + " form-action 'none'";

  private Page() {}

  /**
   * Wraps a body into a complete document.
   *
   * @param title the document title (plain text)
   * @param body the body markup
   * @return the HTML document
   */
  static String document(String title, String body) {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        + "<meta name=\"color-scheme\" content=\"light\">\n"
        + "<meta http-equiv=\"Content-Security-Policy\" content=\""
        + CSP
        + "\">\n"
        + "<link rel=\"icon\" href=\"data:,\">\n"
        + "<title>"
        + Html.esc(title)
        + "</title>\n<style>"
        + CSS
        + "</style>\n</head>\n<body>\n<main>\n"
        + body
        + "\n</main>\n</body>\n</html>\n";
  }

  private static final String CSS =
      """
      :root{color-scheme:light;--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--panel:#f6f8fa}
      *{box-sizing:border-box}
      body{margin:0;background:#fff;color:var(--fg);font:14px/1.5 system-ui,-apple-system,\
      "Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
      main{max-width:1320px;margin:0 auto;padding:20px 20px 64px}
      a{color:#0969da}a:focus-visible,summary:focus-visible{outline:2px solid #0969da;outline-offset:2px}
      h1{font-size:24px;margin:0 0 4px}
      h2{font-size:19px;margin:34px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
      h3{font-size:15px;margin:22px 0 6px}
      header.top{border-bottom:1px solid var(--line);padding-bottom:12px;margin-bottom:8px}
      nav.jump{font-size:13px;margin-top:6px}
      .meta,.note{color:var(--muted)}.note{font-size:13px;margin:4px 0 8px}
      .warn{color:#7d4e00;background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:6px 10px}
      code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
      .wrap{overflow-x:auto}
      table{border-collapse:collapse;width:100%;margin:6px 0 10px}
      th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
      th{background:var(--panel);font-weight:600;white-space:nowrap}
      td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
      td.name{word-break:break-all;min-width:16ch}
      td.reason{min-width:20ch;max-width:46ch}td.fig{white-space:nowrap}
      td.model{min-width:22ch;max-width:34ch}td.model .links{font-size:12.5px;margin-top:2px}
      tr.row-failed td:first-child{box-shadow:inset 3px 0 #cf222e}
      tr.row-gate-failed td:first-child{box-shadow:inset 3px 0 #bf8700}
      tr.row-passed td:first-child{box-shadow:inset 3px 0 #1a7f37}
      .badge{display:inline-block;padding:0 8px;border-radius:999px;font-size:12px;font-weight:600;\
      border:1px solid;white-space:nowrap}
      .badge.passed{color:#116329;background:#dafbe1;border-color:#4ac26b}
      .badge.gate-failed{color:#7d4e00;background:#fff8c5;border-color:#d4a72c}
      .badge.failed{color:#a40e26;background:#ffebe9;border-color:#ff8182}
      .badge.skipped,.badge.unknown{color:#57606a;background:#f6f8fa;border-color:#d0d7de}
      .ok{color:#116329}.bad{color:#a40e26;font-weight:600}
      .counts{display:flex;gap:8px;flex-wrap:wrap;margin:10px 0}
      .cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
      .card{border:1px solid var(--line);border-radius:8px;padding:8px 12px;min-width:150px}
      .card .k{color:var(--muted);font-size:12px}.card .v{font-size:18px;font-weight:600}
      .card .s{font-size:12px;color:var(--muted)}
      .error{border-left:4px solid #cf222e;background:#ffebe9;padding:8px 12px;border-radius:4px;\
      margin:8px 0;white-space:pre-wrap;word-break:break-word}
      .failures{margin:0;padding-left:18px}
      ul.links{margin:4px 0;padding-left:18px}
      details{border:1px solid var(--line);border-radius:6px;margin:8px 0}
      details>summary{cursor:pointer;padding:6px 10px;font-weight:600}
      details[open]>summary{border-bottom:1px solid var(--line)}
      details>.body{padding:6px 10px}
      summary .meta{font-weight:400}
      section.model{margin-top:8px}
      .tensor-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,600px),1fr));\
      gap:0 12px;align-items:start}
      .tensor-grid.compact{grid-template-columns:repeat(auto-fill,minmax(min(100%,370px),1fr))}
      .tensor-grid>details{margin:6px 0;min-width:0}
      .tensor-grid summary code{word-break:break-all}
      dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}
      dl.kv dt{color:var(--muted)}dl.kv dd{margin:0}
      svg{max-width:100%;height:auto;display:block;margin:4px 0}
      svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#1f2328}
      svg .tick,svg .label,svg .value,svg .legend,svg .note{font-size:11px}
      svg .axis-title{font-size:12px;fill:#57606a}
      svg .axis{stroke:#57606a;stroke-width:1}svg .grid{stroke:#e7ebef;stroke-width:1}
      svg .zero{stroke:#8c959f;stroke-dasharray:2 3}
      svg .point-pass{fill:#1a7f37}svg .point-fail{fill:#fff;stroke:#cf222e;stroke-width:1.5}
      svg .point-label{font-size:10px;fill:#57606a}svg .axis{font-size:12px}
      svg .bars{fill:#4c78a8}
      svg .clip-zone{fill:#cf222e;fill-opacity:.08}
      svg .clip{stroke:#cf222e;stroke-width:1.5;stroke-dasharray:5 3}
      svg .clip-label{font-size:11px;font-weight:600;fill:#a40e26}
      svg .reference{stroke:#1f2328;stroke-width:1;stroke-dasharray:4 3}
      svg .reference-label{font-size:11px;fill:#1f2328}
      .sq-good{fill:#54a24b}.sq-fair{fill:#e49b0f}.sq-poor{fill:#e45756}
      .rounding{fill:#4c78a8}.clipping{fill:#e45756}
      .st-calibrate{fill:#4c78a8}.st-quantize{fill:#f58518}.st-validate{fill:#54a24b}
      .st-publish{fill:#b279a2}.st-load{fill:#72b7b2}.st-other{fill:#9d9da1}
      footer{margin-top:40px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);\
      padding-top:8px}
      """;
}
