package io.hindsight.server.query;

import io.hindsight.server.lake.FreshRows;
import io.hindsight.server.lake.Partition;
import io.hindsight.server.schema.SqlText;
import io.hindsight.server.schema.Table;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The SQL that shows a table as its lake files plus the rows not yet in the lake ({@link
 * FreshRows}), each row once. Each table's view reads its lake files with their names, keeps a
 * file of a partition named in the variable {@value #CUTS} only when its highest seq (in its name)
 * is at or below the partition's cut, and adds the view {@code _fresh_<table>}. Before each query
 * a worker sets both from a snapshot ({@link #statements}): the cut is the partition's first
 * pending seq minus one, and the fresh view shows fresh rows above it. Without a snapshot the
 * variable is unset (every file kept) and the fresh views are empty: the server's own connections
 * read the lake alone.
 *
 * <p>The filter reads only the file name, so DuckDB applies it to the file list before it opens a
 * file.
 */
final class FreshViews {
  /** The variable holding each cut partition's highest seq to show from the lake, by its {@link Partition#folder()}. */
  static final String CUTS = "hindsight_cuts";
  /** The column naming the file a row came from. */
  static final String FILE = "_hindsight_file";
  private static final String SEQ = FreshRows.SEQ_COLUMN;

  private FreshViews() {}

  /** The view of a table's rows not yet in the lake: {@code _fresh_<table>}. */
  static String name(Table table) {
    return "_fresh_" + table.dirName();
  }

  /** The partition key of the file in {@link #FILE}: the last two or three folders of its path. */
  private static String keyOfFile(Table table) {
    String folders = table.partitionedByDate() ? "[^/]+/[^/]+/[^/]+" : "[^/]+/[^/]+";
    return "regexp_extract(" + FILE + ", '(" + folders + ")/[^/]+$', 1)";
  }

  private static String cutOf(Table table) {
    return "CAST(getvariable('" + CUTS + "') AS MAP(VARCHAR, BIGINT))[" + keyOfFile(table) + "]";
  }

  /** The condition that keeps a lake file: its partition has no cut, or its highest seq is at most the cut. */
  static String lakeFileShown(Table table) {
    return "coalesce(CAST(regexp_extract(" + FILE + ", 'part-([0-9]{20})', 1) AS BIGINT) <= " + cutOf(table) + ", true)";
  }

  /** The fresh view of a table without a snapshot: no rows, the columns of {@code emptyRelation}. */
  static String empty(Table table, String emptyRelation) {
    return "CREATE OR REPLACE VIEW " + name(table) + " AS SELECT * FROM (" + emptyRelation + ") WHERE false";
  }

  /** What a worker runs before a query to read {@code snapshot}; {@code empty} gives each table's empty fresh view. */
  static List<String> statements(FreshRows.Snapshot snapshot, java.util.function.Function<Table, String> empty) {
    List<String> out = new ArrayList<>();
    StringBuilder cuts = new StringBuilder("SET VARIABLE " + CUTS + " = CAST(MAP {");
    String sep = "";
    for (Map.Entry<Partition, Long> e : snapshot.firstPendingSeq().entrySet()) {
      cuts.append(sep).append(SqlText.string(e.getKey().folder())).append(": ").append(e.getValue() - 1);
      sep = ", ";
    }
    out.add(cuts.append("} AS MAP(VARCHAR, BIGINT))").toString());
    for (Table table : Table.values()) {
      List<Path> files = snapshot.files(table);
      if (files.isEmpty()) {
        out.add(empty.apply(table));
        continue;
      }
      List<String> names = files.stream().map(f -> SqlText.string(f.toAbsolutePath().toString())).toList();
      out.add(
          "CREATE OR REPLACE VIEW " + name(table) + " AS SELECT * EXCLUDE (" + SEQ + ", " + FILE + ") FROM read_parquet(["
              + String.join(", ", names) + "], hive_partitioning = true, union_by_name = true, hive_types = "
              + hiveTypes(table) + ", filename = '" + FILE + "') WHERE " + SEQ + " > coalesce(" + cutOf(table) + ", -1)");
    }
    return out;
  }

  /** The types of a table's Hive columns. */
  static String hiveTypes(Table table) {
    return table.partitionedByDate() ? "{'endpoint': 'VARCHAR', 'date': 'DATE'}" : "{'endpoint': 'VARCHAR'}";
  }
}
