package io.hindsight.server.monitor;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where the metric store reads the prediction rows stored since its previous refresh, each once:
 * links to the lake files written meanwhile (the lake's {@code WrittenFiles}).
 */
public interface PredictionFiles {
  /**
   * @param links by endpoint, to delete with {@link #release} once read
   * @param incomplete endpoints whose new files could not all be linked: take a {@link #snapshot}
   */
  record Batch(Map<String, List<Path>> links, Set<String> incomplete) {}

  /** What was written since the previous take. */
  Batch take();

  /**
   * Links to every file of the endpoint's prediction partitions of the dates {@code from..to}
   * now; later takes hand out only files written after it.
   */
  List<Path> snapshot(String endpoint, LocalDate from, LocalDate to) throws IOException;

  /** Deletes links that were read (null is nothing). */
  void release(List<Path> links);
}
