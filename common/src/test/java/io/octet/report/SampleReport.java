package io.octet.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Renders the sample run (a real run over the digits CNN, see {@link DigitsRun}) into a directory
 * for viewing by hand; used by {@code tools/report/render-sample.sh}.
 */
public final class SampleReport {
  private SampleReport() {}

  /**
   * Writes the sample warehouse.
   *
   * @param args the output directory (default /tmp/octet-report-sample)
   * @throws IOException if the directory cannot be created
   */
  public static void main(String[] args) throws IOException {
    Path out = Path.of(args.length > 0 ? args[0] : "/tmp/octet-report-sample").toAbsolutePath();
    Path warehouse = Files.createDirectories(out.resolve("octet-warehouse"));
    DigitsRun.Result r = DigitsRun.write(warehouse);
    System.out.println("Run report:   " + r.runPage().toUri());
    r.modelPages().forEach((k, v) -> System.out.println("Model report: " + v.toUri()));
  }
}
