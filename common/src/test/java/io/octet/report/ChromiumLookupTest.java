package io.octet.report;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without Chromium the browser tests must fail and say how to install it, never pass silently. */
class ChromiumLookupTest {
  @Test
  void missingChromiumFailsWithTheInstallCommand(@TempDir Path emptyDir) {
    assertThatThrownBy(() -> HeadlessChromium.binary(Map.of("PATH", emptyDir.toString())))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("apt-get install chromium")
        .hasMessageContaining(emptyDir.toString());
  }
}
