package io.octet.memory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** What this JVM's process and machine have: resident memory now and at peak, machine memory. */
public final class ProcessMemory {
  private static final Path STATUS = Path.of("/proc/self/status");

  private ProcessMemory() {}

  /**
   * Returns the process's peak resident memory ({@code VmHWM}), or -1 where the OS does not say.
   *
   * @return bytes
   */
  public static long peakRssBytes() {
    return statusField("VmHWM:");
  }

  /**
   * Returns the process's resident memory now ({@code VmRSS}), or -1 where the OS does not say.
   *
   * @return bytes
   */
  public static long rssBytes() {
    return statusField("VmRSS:");
  }

  /**
   * Returns the memory of this machine, or of its container when that is smaller (the JVM reads the
   * cgroup limit).
   *
   * @return bytes
   */
  public static long machineBytes() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getTotalMemorySize();
    }
    return Runtime.getRuntime().maxMemory() * 4;
  }

  private static long statusField(String field) {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith(field)) {
          String[] f = line.substring(field.length()).trim().split("\\s+");
          return Long.parseLong(f[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or /proc not mounted: the caller reports "unknown".
    }
    return -1;
  }
}
