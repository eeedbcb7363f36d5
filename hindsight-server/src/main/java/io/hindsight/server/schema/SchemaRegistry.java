package io.hindsight.server.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.server.files.FileSync;
import io.hindsight.server.files.UnreadableFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * Every endpoint's learnt schema, one JSON file per table and endpoint under {@code catalog/}.
 * A schema change is written (whole, fsynced) before the records that caused it are acknowledged,
 * so a restarted server types replayed records exactly as it did before. The registry is the only
 * writer of these files; callers say what happened (records typed, rows replayed, a rewrite done).
 */
public final class SchemaRegistry {
  private final Path dir;
  private final ObjectMapper json;
  private final Map<Table, Map<String, EndpointSchema>> schemas = new EnumMap<>(Table.class);
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  public SchemaRegistry(Path dir, ObjectMapper json) throws IOException {
    this.dir = dir;
    this.json = json;
    for (Table t : Table.values()) {
      Map<String, EndpointSchema> byEndpoint = new ConcurrentHashMap<>();
      schemas.put(t, byEndpoint);
      Path tableDir = dir.resolve(t.dirName());
      Files.createDirectories(tableDir);
      try (Stream<Path> files = Files.list(tableDir)) {
        for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".json"))::iterator) {
          EndpointSchema s = load(t, f);
          byEndpoint.put(s.endpoint(), s);
        }
      }
    }
  }

  /** The schema of an endpoint in a table, created empty on first use. */
  public EndpointSchema schema(Table table, String endpoint) {
    return schemas.get(table).computeIfAbsent(endpoint, e -> {
      return new EndpointSchema(table, e, List.of(), false);
    });
  }

  /** The schema if the endpoint has one in this table, else null. */
  public EndpointSchema existing(Table table, String endpoint) {
    return schemas.get(table).get(endpoint);
  }

  /** All endpoints known in a table, by name. */
  public List<EndpointSchema> all(Table table) {
    List<EndpointSchema> list = new ArrayList<>(schemas.get(table).values());
    list.sort(Comparator.comparing(EndpointSchema::endpoint));
    return list;
  }

  /** Called after a persisted change, e.g. to rebuild SQL views that name columns. */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  /**
   * A row replayed from the log on start-up may name a column whose schema change was not yet on
   * disk at the crash; the value's own type is what it was typed as, so the column is added with
   * that type and written before the row goes to the lake.
   */
  public void learnReplayed(List<Row> rows) throws IOException {
    for (Row row : rows) {
      EndpointSchema schema = schema(row.table(), row.endpoint());
      for (Map.Entry<String, Object> e : row.values().entrySet()) {
        if (e.getValue() != null && !row.table().isSystemColumn(e.getKey()) && schema.column(e.getKey()) == null) {
          schema.addIfAbsent(e.getKey(), ColumnType.of(e.getValue()), row.tsMicros());
        }
      }
    }
    persistChanges();
  }

  /** Every file of the endpoint now has its columns' current types: no rewrite is pending. */
  public void rewriteDone(EndpointSchema schema) throws IOException {
    schema.rewriteDone();
    persistChanges();
  }

  /** Writes every changed schema. Ingest calls it before handing the records that changed them to the log. */
  public void persistChanges() throws IOException {
    boolean changed = false;
    for (Map<String, EndpointSchema> byEndpoint : schemas.values()) {
      for (EndpointSchema s : byEndpoint.values()) {
        if (s.dirty()) {
          synchronized (s) {
            if (s.dirty()) {
              write(s);
              s.markClean();
              changed = true;
            }
          }
        }
      }
    }
    if (changed) {
      listeners.forEach(Runnable::run);
    }
  }

  /** Each schema's file, by its name below the catalog folder ({@code predictions/fraud.json}). */
  public Map<String, Path> files() throws IOException {
    Map<String, Path> out = new java.util.TreeMap<>();
    for (Table t : Table.values()) {
      try (Stream<Path> files = Files.list(dir.resolve(t.dirName()))) {
        files.filter(p -> p.toString().endsWith(".json")).forEach(f -> out.put(t.dirName() + "/" + f.getFileName(), f));
      }
    }
    return out;
  }

  /**
   * Takes the columns of a schema file that the server writing the lake keeps ({@link #files}
   * names them), for a node that only reads that lake: their types win over this node's. Returns
   * whether anything changed.
   */
  public boolean adopt(String name, byte[] content) throws IOException {
    Table table = Table.ofDirName(name.substring(0, name.indexOf('/')));
    EndpointSchema shared = parse(table, json.readTree(content));
    EndpointSchema schema = schema(table, shared.endpoint());
    boolean changed = false;
    for (Column c : shared.columns()) {
      Column local = schema.column(c.name());
      if (local == null || local.type() != c.type()) {
        schema.retype(c.name(), c.type(), c.firstSeenMicros());
        changed = true;
      }
    }
    if (changed) {
      persistChanges();
    }
    return changed;
  }

  private void write(EndpointSchema s) throws IOException {
    ObjectNode root = json.createObjectNode();
    root.put("endpoint", s.endpoint());
    root.put("rewrite_pending", s.rewritePending());
    ArrayNode cols = root.putArray("columns");
    for (Column c : s.columns()) {
      cols.addObject()
          .put("name", c.name())
          .put("type", c.type().publicName())
          .put("first_seen_us", c.firstSeenMicros());
    }
    Path target = dir.resolve(s.table().dirName()).resolve(s.endpoint() + ".json");
    FileSync.writeAtomically(target, json.writeValueAsBytes(root));
  }

  /** An endpoint's schema from its file; a file damaged outside the server stops the start, named. */
  private EndpointSchema load(Table table, Path file) throws IOException {
    try {
      return parse(table, json.readTree(file.toFile()));
    } catch (IOException | RuntimeException e) {
      throw UnreadableFile.error("schema file", file, e);
    }
  }

  private EndpointSchema parse(Table table, JsonNode root) {
    List<Column> cols = new ArrayList<>();
    for (JsonNode c : root.path("columns")) {
      cols.add(
          new Column(
              c.get("name").asText(),
              ColumnType.fromPublicName(c.get("type").asText()),
              c.path("first_seen_us").asLong()));
    }
    return new EndpointSchema(table, root.get("endpoint").asText(), cols, root.path("rewrite_pending").asBoolean(false));
  }
}
