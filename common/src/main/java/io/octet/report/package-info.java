/**
 * Static HTML run reports: one page per pipeline run ({@code _runs/<run-id>/report.html}) and one
 * per model ({@code <model>/<version>/<run-id>/report.html}), built from the run summary JSON and
 * the calibration tables.
 *
 * <p>Pages are self-contained: plots are inline SVG drawn here, styles are inline, and a
 * Content-Security-Policy forbids the page from fetching anything, so a report opens the same from
 * a local disk or from a bucket. Links between pages and to artifacts are relative. {@link
 * io.octet.report.RunSummary#parse} reads the summary; {@link io.octet.report.RunReport} and {@link
 * io.octet.report.ModelReport} render the pages.
 */
package io.octet.report;
