package io.hindsight.server.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.files.FileSync;
import io.hindsight.server.query.QueryEngine;
import io.hindsight.server.schema.EndpointSchema;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.schema.Table;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Every endpoint's monitoring config: those of the config file (fixed while the server runs) and
 * those put through the API (one JSON file per endpoint under {@code monitoring/}, written whole).
 * A config is checked before it is kept: its column references must name what the endpoint has
 * logged, and its derived columns must be SQL the sandbox accepts; the derived columns then
 * appear in {@code predictions}.
 */
public final class MonitoringConfigs {
  private final Path dir;
  private final ObjectMapper json;
  private final SchemaRegistry schemas;
  private final QueryEngine engine;
  private final Map<String, MonitoringConfig> fromFile;
  private final Map<String, MonitoringConfig> configs = new ConcurrentHashMap<>();

  /**
   * @param fromConfigFile {@code monitoring.endpoints} of the config file, by endpoint
   */
  public MonitoringConfigs(
      Path dir, Map<String, JsonNode> fromConfigFile, SchemaRegistry schemas, QueryEngine engine, ObjectMapper json)
      throws IOException {
    this.dir = dir;
    this.json = json;
    this.schemas = schemas;
    this.engine = engine;
    Files.createDirectories(dir);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".json"))::iterator) {
        String endpoint = f.getFileName().toString().replaceFirst("\\.json$", "");
        configs.put(endpoint, MonitoringConfig.parse(json.readTree(f.toFile())));
      }
    }
    Map<String, MonitoringConfig> file = new LinkedHashMap<>();
    fromConfigFile.forEach(
        (endpoint, node) -> {
          try {
            file.put(endpoint, MonitoringConfig.parse(node));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("monitoring.endpoints." + endpoint + ": " + e.getMessage(), e);
          }
        });
    this.fromFile = Map.copyOf(file);
    configs.putAll(fromFile);
    engine.derivedColumns(derivedByName());
  }

  /** The endpoint's config, or null when it has none. */
  public MonitoringConfig get(String endpoint) {
    return configs.get(endpoint);
  }

  /** Checks and keeps a config put through the API; 400 naming the field when it is wrong. */
  public synchronized void put(String endpoint, MonitoringConfig config) throws IOException {
    if (fromFile.containsKey(endpoint)) {
      throw new ApiException(
          409,
          "the monitoring of '" + endpoint + "' is set in the config file (monitoring.endpoints." + endpoint
              + "); change it there and restart");
    }
    check(endpoint, config);
    FileSync.writeAtomically(dir.resolve(endpoint + ".json"), json.writeValueAsBytes(config.toJson(json)));
    configs.put(endpoint, config);
    engine.derivedColumns(derivedByName());
    for (ConfigListener l : listeners) {
      l.changed(endpoint);
    }
  }

  /** Told after an endpoint's config changed through the API. */
  public interface ConfigListener {
    void changed(String endpoint) throws IOException;
  }

  private final List<ConfigListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  public void onChange(ConfigListener listener) {
    listeners.add(listener);
  }

  /**
   * Column references are checked against what the endpoint has logged so far; an endpoint with no
   * predictions yet may be configured ahead of its traffic, and its references are checked when
   * they are used.
   */
  private void check(String endpoint, MonitoringConfig config) {
    EndpointSchema schema = schemas.existing(Table.PREDICTIONS, endpoint);
    config.derived().forEach(
        (name, sql) -> {
          if (schema != null && schema.column(name) != null) {
            throw ApiException.badRequest(
                "derived column '" + name + "': endpoint '" + endpoint + "' already logs a key of that name; choose another");
          }
          if (Table.PREDICTIONS.isReserved(name) || name.equals("tags")) {
            throw ApiException.badRequest("derived column '" + name + "': the name is reserved");
          }
          String problem = engine.derivedColumnProblem(name, endpoint, sql);
          if (problem != null) {
            throw ApiException.badRequest("derived column '" + name + "': " + problem);
          }
        });
    if (schema == null) {
      return;
    }
    ColumnReferences refs = new ColumnReferences(endpoint, schema, config.derived().keySet());
    try {
      resolveIfSet(refs, "score", config.score());
      resolveIfSet(refs, "prediction", config.prediction());
      if (config.features() != null) {
        config.features().forEach(f -> refs.resolve("features", f));
      }
      config.segments().forEach(s -> refs.resolve("segments", s));
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(e.getMessage());
    }
    EndpointSchema feedback = schemas.existing(Table.FEEDBACK, endpoint);
    if (config.label() != null && feedback != null && feedback.column(config.label()) == null) {
      throw ApiException.badRequest(labelProblem(endpoint, config.label(), feedback));
    }
  }

  /** Why {@code label} cannot be read from the endpoint's feedback, or null when it can. */
  static String labelProblem(String endpoint, String label, EndpointSchema feedback) {
    if (feedback == null) {
      return "'label': endpoint '" + endpoint + "' has no feedback yet, so no feedback key '" + label + "' to evaluate against";
    }
    if (feedback.column(label) != null) {
      return null;
    }
    Set<String> keys = new java.util.TreeSet<>();
    feedback.columns().forEach(c -> keys.add(c.name()));
    return "'label': no feedback of endpoint '" + endpoint + "' has the key '" + label + "'; its feedback keys: "
        + String.join(", ", keys);
  }

  private static void resolveIfSet(ColumnReferences refs, String field, String reference) {
    if (reference != null) {
      refs.resolve(field, reference);
    }
  }

  /** Derived columns of every endpoint, as the query engine takes them: name → endpoint → SQL. */
  private Map<String, Map<String, String>> derivedByName() {
    Map<String, Map<String, String>> out = new TreeMap<>();
    configs.forEach((endpoint, c) -> c.derived().forEach((name, sql) -> out.computeIfAbsent(name, k -> new TreeMap<>()).put(endpoint, sql)));
    return out;
  }
}
