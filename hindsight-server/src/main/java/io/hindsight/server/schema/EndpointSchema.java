package io.hindsight.server.schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The user columns one endpoint has in one table, learnt from its data. A key's type is fixed by
 * its first non-null value; a bigint column widens to double. Lookups are lock-free; changes are
 * serialized and mark the schema dirty until {@link SchemaRegistry#persistChanges()} writes it.
 */
public final class EndpointSchema {
  private final Table table;
  private final String endpoint;
  /** Spellings seen so far, so the common case skips lower-casing; bounded against odd clients. */
  private static final int MAX_SPELLINGS = 10_000;

  private final Map<String, Column> byLowerName = new ConcurrentHashMap<>();
  private final Map<String, Column> bySpelling = new ConcurrentHashMap<>();
  private volatile List<Column> columns = List.of();
  private volatile boolean dirty;
  /** Files written before a column widened still hold the old type until they are rewritten. */
  private volatile boolean rewritePending;

  EndpointSchema(Table table, String endpoint, List<Column> loaded, boolean rewritePending) {
    this.table = table;
    this.endpoint = endpoint;
    this.rewritePending = rewritePending;
    for (Column c : loaded) {
      byLowerName.put(c.name().toLowerCase(Locale.ROOT), c);
    }
    this.columns = List.copyOf(loaded);
  }

  public Table table() {
    return table;
  }

  public String endpoint() {
    return endpoint;
  }

  /** The user columns in the order they first appeared. */
  public List<Column> columns() {
    return columns;
  }

  /** The column a key maps to, matched case-insensitively; null if the key is new. */
  public Column column(String key) {
    Column c = bySpelling.get(key);
    if (c != null) {
      return c;
    }
    c = byLowerName.get(key.toLowerCase(Locale.ROOT));
    if (c != null && bySpelling.size() < MAX_SPELLINGS) {
      bySpelling.put(key, c);
    }
    return c;
  }

  /** Adds a column for a new key, or returns the one another request added first. */
  public synchronized Column addIfAbsent(String key, ColumnType type, long nowMicros) {
    String lower = key.toLowerCase(Locale.ROOT);
    Column existing = byLowerName.get(lower);
    if (existing != null) {
      return existing;
    }
    Column added = new Column(key, type, nowMicros);
    byLowerName.put(lower, added);
    List<Column> next = new ArrayList<>(columns);
    next.add(added);
    columns = List.copyOf(next);
    dirty = true;
    return added;
  }

  /**
   * Adds columns for new keys (in the map's order), all or none: none when the schema would pass
   * {@code maxColumns}. Keys another request added meanwhile count as present.
   *
   * @return how many columns were added, or -1 if they would pass the limit and none were
   */
  public synchronized int addAllIfAbsent(Map<String, ColumnType> keys, long nowMicros, int maxColumns) {
    List<String> absent = new ArrayList<>(keys.size());
    for (String key : keys.keySet()) {
      if (!byLowerName.containsKey(key.toLowerCase(Locale.ROOT))) {
        absent.add(key);
      }
    }
    if (absent.isEmpty()) {
      return 0;
    }
    if (columns.size() + absent.size() > maxColumns) {
      return -1;
    }
    List<Column> next = new ArrayList<>(columns);
    for (String key : absent) {
      Column added = new Column(key, keys.get(key), nowMicros);
      byLowerName.put(key.toLowerCase(Locale.ROOT), added);
      next.add(added);
    }
    columns = List.copyOf(next);
    dirty = true;
    return absent.size();
  }

  /** What {@link #fit} returns for a value that contradicts its column's type. */
  public static final Object CONTRADICTS = new Object();

  /**
   * Fits a value to its key's column by the schema rules (DESIGN §6): a value of the column's type
   * is stored as it is; a bigint in a double column becomes a double; a double in a bigint column
   * widens the column to double for good; a media reference in a json column is the object it is;
   * anything else contradicts the column and is returned as {@link #CONTRADICTS}, for the caller to
   * keep in {@code _conflicts}.
   */
  public Object fit(Column column, Object value) {
    ColumnType type = ColumnType.of(value);
    if (column.type() == type) {
      return value;
    }
    if (column.type() == ColumnType.DOUBLE && type == ColumnType.BIGINT) {
      return ((Long) value).doubleValue();
    }
    if (column.type() == ColumnType.BIGINT && type == ColumnType.DOUBLE) {
      widenToDouble(column);
      return value;
    }
    if (column.type() == ColumnType.JSON && type == ColumnType.MEDIA) {
      return value;
    }
    return CONTRADICTS;
  }

  /** Widens a bigint column to double; returns the column as it now is. */
  public synchronized Column widenToDouble(Column column) {
    String lower = column.name().toLowerCase(Locale.ROOT);
    Column current = byLowerName.get(lower);
    if (current.type() != ColumnType.BIGINT) {
      return current;
    }
    Column widened = new Column(current.name(), ColumnType.DOUBLE, current.firstSeenMicros());
    byLowerName.put(lower, widened);
    bySpelling.clear();
    List<Column> next = new ArrayList<>(columns);
    next.replaceAll(c -> c == current ? widened : c);
    columns = List.copyOf(next);
    rewritePending = true;
    dirty = true;
    return widened;
  }

  /**
   * Gives a key the type that the catalog shared by several ingest nodes agreed on (DESIGN §14: the
   * first change of a key in the shared order wins), adding the column if it is absent here.
   */
  public synchronized Column retype(String key, ColumnType type, long firstSeenMicros) {
    String lower = key.toLowerCase(Locale.ROOT);
    Column current = byLowerName.get(lower);
    if (current == null) {
      return addIfAbsent(key, type, firstSeenMicros);
    }
    if (current.type() == type) {
      return current;
    }
    if (current.type() == ColumnType.BIGINT && type == ColumnType.DOUBLE) {
      return widenToDouble(current);
    }
    Column agreed = new Column(current.name(), type, current.firstSeenMicros());
    byLowerName.put(lower, agreed);
    bySpelling.clear();
    List<Column> next = new ArrayList<>(columns);
    next.replaceAll(c -> c == current ? agreed : c);
    columns = List.copyOf(next);
    dirty = true;
    return agreed;
  }

  /** Whether some files may still hold a column's type from before it widened. */
  public boolean rewritePending() {
    return rewritePending;
  }

  /** Called once every file of the endpoint has its columns' current types. */
  synchronized void rewriteDone() {
    rewritePending = false;
    dirty = true;
  }

  boolean dirty() {
    return dirty;
  }

  void markClean() {
    dirty = false;
  }
}
