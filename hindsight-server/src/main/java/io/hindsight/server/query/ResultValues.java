package io.hindsight.server.query;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.duckdb.DuckDBStruct;

/** Turns what DuckDB's JDBC driver returns into values Jackson writes as plain JSON. */
public final class ResultValues {
  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'");

  private ResultValues() {}

  /**
   * Reads a result into a sink: its columns, then at most {@code limit} rows. Returns whether rows
   * were left over (the answer is truncated); the caller ends the sink.
   */
  static boolean stream(ResultSet rs, int limit, ResultSink sink) throws SQLException, IOException {
    ResultSetMetaData md = rs.getMetaData();
    int n = md.getColumnCount();
    List<ResultSink.ResultColumn> columns = new ArrayList<>(n);
    String[] types = new String[n];
    for (int i = 1; i <= n; i++) {
      types[i - 1] = md.getColumnTypeName(i);
      columns.add(new ResultSink.ResultColumn(md.getColumnLabel(i), types[i - 1]));
    }
    sink.columns(columns);
    int count = 0;
    while (rs.next()) {
      if (count == limit) {
        return true;
      }
      Object[] row = new Object[n];
      for (int i = 0; i < n; i++) {
        row[i] = value(rs, i + 1, types[i]);
      }
      sink.row(row);
      count++;
    }
    return false;
  }

  /** Column {@code i} of the current row; timestamps as RFC 3339 UTC text, dates as ISO text. */
  public static Object value(ResultSet rs, int i, String type) throws SQLException {
    if (type.equals("TIMESTAMP") || type.startsWith("TIMESTAMP_")) {
      LocalDateTime t = rs.getObject(i, LocalDateTime.class);
      return t == null ? null : TS.format(t);
    }
    if (type.equals("TIMESTAMP WITH TIME ZONE")) {
      OffsetDateTime t = rs.getObject(i, OffsetDateTime.class);
      return t == null ? null : TS.format(t.withOffsetSameInstant(ZoneOffset.UTC));
    }
    if (type.equals("DATE")) {
      LocalDate d = rs.getObject(i, LocalDate.class);
      return d == null ? null : d.toString();
    }
    return plain(rs.getObject(i));
  }

  static Object plain(Object v) throws SQLException {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Integer) {
      return v;
    }
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      return Double.isFinite(d) ? v : String.valueOf(d);
    }
    if (v instanceof Short || v instanceof Byte || v instanceof BigInteger || v instanceof BigDecimal) {
      return v;
    }
    if (v instanceof Array) {
      Object[] items = (Object[]) ((Array) v).getArray();
      List<Object> out = new ArrayList<>(items.length);
      for (Object o : items) {
        out.add(plain(o));
      }
      return out;
    }
    if (v instanceof DuckDBStruct) {
      return plain(((DuckDBStruct) v).getMap());
    }
    if (v instanceof Map) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        out.put(String.valueOf(e.getKey()), plain(e.getValue()));
      }
      return out;
    }
    if (v instanceof byte[]) {
      return Base64.getEncoder().encodeToString((byte[]) v);
    }
    if (v instanceof java.sql.Timestamp) {
      return TS.format(((java.sql.Timestamp) v).toInstant().atOffset(ZoneOffset.UTC));
    }
    if (v instanceof java.sql.Blob) {
      java.sql.Blob b = (java.sql.Blob) v;
      return Base64.getEncoder().encodeToString(b.getBytes(1, (int) b.length()));
    }
    return v.toString();
  }
}
