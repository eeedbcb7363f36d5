package io.hindsight;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** Tests that open servers and SDK instances: {@link #later} closes each after the test, newest first. */
abstract class ClosesAfterEachTest {
  private final List<AutoCloseable> closeLater = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeLater) {
      c.close();
    }
  }

  <T extends AutoCloseable> T later(T c) {
    closeLater.add(0, c);
    return c;
  }
}
