package io.hindsight.server;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What one server process does when the work is spread over several (DESIGN §14, {@code hindsight
 * serve --role}). {@link #ALL}, the default, is the single process that does everything.
 */
public enum Role {
  /** Everything in one process: ingest, the lake writer, SQL, lookups, monitoring and the UI. */
  ALL,
  /** The ingest API: validates, learns schemas and hands entries to Kafka; no lake writer. */
  INGEST,
  /** Consumes Kafka and writes the lake; answers only health and metrics. */
  WRITER,
  /** Monitoring, alerts and the UI over the lake as it is; no ingest, no lake writer. */
  MONITOR,
  /** SQL and lookups over the lake as it is; no ingest, no lake writer. */
  QUERY;

  /** Whether this role answers the ingest API. */
  public boolean ingests() {
    return this == ALL || this == INGEST;
  }

  /** Whether this role writes rows into the lake. */
  public boolean writesLake() {
    return this == ALL || this == WRITER;
  }

  /** Whether this role only makes sense with the Kafka transport between ingest and writers. */
  public boolean needsKafka() {
    return this == INGEST || this == WRITER;
  }

  @JsonValue
  public String publicName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a role as the config file and {@code --role} write it. */
  @JsonCreator
  public static Role of(String name) {
    for (Role r : values()) {
      if (r.publicName().equals(name)) {
        return r;
      }
    }
    throw new IllegalArgumentException(
        "role '" + name + "' is unknown; use one of "
            + Arrays.stream(values()).map(Role::publicName).collect(Collectors.joining(", ")));
  }
}
