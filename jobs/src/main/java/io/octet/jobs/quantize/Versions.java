package io.octet.jobs.quantize;

/** Versions recorded in manifests and model metadata. */
public final class Versions {
  private Versions() {}

  /**
   * Returns Octet's version from the jar manifest, or "dev" when running from classes.
   *
   * @return the version
   */
  public static String octet() {
    String v = Versions.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-SNAPSHOT" : v;
  }

  /**
   * Returns the Spark version on the classpath.
   *
   * @return the version
   */
  public static String spark() {
    return org.apache.spark.package$.MODULE$.SPARK_VERSION();
  }
}
