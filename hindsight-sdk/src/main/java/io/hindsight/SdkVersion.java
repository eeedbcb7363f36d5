package io.hindsight;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The SDK's version, written by the build from the POM into {@code version.properties}, so there is one version. */
final class SdkVersion {
  private SdkVersion() {}

  static String fromBuild() {
    try (InputStream in = SdkVersion.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        throw new IllegalStateException("io/hindsight/version.properties is missing from the SDK jar; rebuild it with Maven");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read io/hindsight/version.properties from the SDK jar", e);
    }
  }
}
