package io.hindsight.server.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.ApiException;
import io.hindsight.server.schema.SqlText;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The explorer's filters (as they stand in the page's URL) turned into one parameterised SELECT
 * over {@code predictions}.
 *
 * <p>Nothing a user typed is ever spliced into the SQL text: a column name is accepted only when
 * the endpoint's schema has it, and then written from the schema's own spelling through
 * {@link SqlText#identifier}; every value (times, versions, tag names and values, compared values,
 * the cursor) travels as a {@code ?} parameter, cast to the column's type in SQL. An unknown key,
 * operator or a value that does not fit the column is a 400 naming it.
 *
 * <p>Pages follow a keyset: rows are ordered by the sort column, then {@code prediction_id}, and
 * the next page starts after the last row's pair (the cursor), so page 1,000 costs what page 1
 * costs instead of scanning the 49,950 rows an OFFSET would skip.
 */
public final class ExplorerQuery {
  /** Rows a page holds unless {@code limit} says otherwise, and at most. */
  public static final int DEFAULT_PAGE = 50;

  public static final int MAX_PAGE = 500;
  /** User columns shown when the URL chooses none. */
  private static final int DEFAULT_USER_COLUMNS = 8;

  private static final List<String> DEFAULT_SYSTEM_COLUMNS =
      List.of("prediction_id", "ts", "model_version", "tags", "latency_ms", "status");
  private static final Set<String> SORTABLE_TYPES = Set.of("boolean", "bigint", "double", "string", "timestamp");
  private static final Pattern COMPARISON =
      Pattern.compile("\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*(!=|>=|<=|=|>|<|~)\\s*(.*?)\\s*", Pattern.DOTALL);
  private static final Pattern NULL_TEST =
      Pattern.compile("\\s*([A-Za-z_][A-Za-z0-9_]*)\\s+is\\s+(not\\s+)?null\\s*", Pattern.CASE_INSENSITIVE);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A column of the endpoint's schema: its name as stored and its public type. */
  public record SchemaColumn(String name, String type) {}

  private final String endpoint;
  private final Map<String, SchemaColumn> columns = new LinkedHashMap<>();
  private final List<String> where = new ArrayList<>();
  private final List<Object> params = new ArrayList<>();
  private final List<String> shown = new ArrayList<>();
  private SchemaColumn sort;
  private boolean descending = true;
  /** The days the filters allow, as far as they say (null: open); they bound {@link #dateWindow}. */
  private LocalDate firstDate;
  private LocalDate lastDate;
  private LocalDate cursorDate;
  private int limit = DEFAULT_PAGE;

  private ExplorerQuery(String endpoint, List<SchemaColumn> schema) {
    this.endpoint = endpoint;
    for (SchemaColumn c : schema) {
      columns.put(c.name().toLowerCase(Locale.ROOT), c);
    }
  }

  /**
   * Reads the explorer's URL parameters: {@code from, to} (RFC 3339), {@code version} (repeatable),
   * {@code status}, {@code decision} (the key of that name), {@code tags.<name>=<value>}, {@code feedback=present|absent}, {@code where}
   * (repeatable: {@code key op value} with op one of {@code = != > >= < <= ~}, or {@code key is
   * [not] null}), {@code id} (an id or its beginning), {@code sort}, {@code order=asc|desc},
   * {@code after} (the cursor of the previous page), {@code limit}, {@code columns} (comma
   * separated).
   */
  public static ExplorerQuery parse(String endpoint, List<SchemaColumn> schema, Map<String, List<String>> url) {
    ExplorerQuery q = new ExplorerQuery(endpoint, schema);
    q.where.add("endpoint = ?");
    q.params.add(endpoint);
    String from = first(url, "from");
    String to = first(url, "to");
    if (from != null) {
      Instant t = instant("from", from);
      q.firstDate = LocalDate.ofInstant(t, ZoneOffset.UTC);
      // The date condition lets DuckDB skip whole date partitions; the ts one is exact.
      q.where.add("date >= CAST(? AS DATE) AND ts >= CAST(? AS TIMESTAMPTZ)");
      q.params.add(LocalDate.ofInstant(t, ZoneOffset.UTC).toString());
      q.params.add(t.toString());
    }
    if (to != null) {
      Instant t = instant("to", to);
      q.lastDate = LocalDate.ofInstant(t, ZoneOffset.UTC);
      q.where.add("date <= CAST(? AS DATE) AND ts < CAST(? AS TIMESTAMPTZ)");
      q.params.add(LocalDate.ofInstant(t, ZoneOffset.UTC).toString());
      q.params.add(t.toString());
    }
    List<String> versions = url.getOrDefault("version", List.of()).stream().filter(v -> !v.isBlank()).toList();
    if (!versions.isEmpty()) {
      q.where.add("model_version IN (" + String.join(", ", versions.stream().map(v -> "?").toList()) + ")");
      q.params.addAll(versions);
    }
    String status = first(url, "status");
    if (status != null) {
      q.where.add("status = ?");
      q.params.add(status);
    }
    url.forEach(
        (name, values) -> {
          if (name.startsWith("tags.") && name.length() > 5) {
            for (String v : values) {
              q.where.add("tags[?] = ?");
              q.params.add(name.substring(5));
              q.params.add(v);
            }
          }
        });
    String feedback = first(url, "feedback");
    if (feedback != null) {
      if (!feedback.equals("present") && !feedback.equals("absent")) {
        throw ApiException.badRequest("'feedback' must be present or absent, not '" + feedback + "'");
      }
      q.where.add(
          (feedback.equals("absent") ? "NOT " : "")
              + "EXISTS (SELECT 1 FROM feedback f WHERE f.endpoint = ? AND f.prediction_id = p.prediction_id)");
      q.params.add(endpoint);
    }
    for (String condition : url.getOrDefault("where", List.of())) {
      if (!condition.isBlank()) {
        q.condition(condition);
      }
    }
    String decision = first(url, "decision");
    if (decision != null) {
      q.where.add("CAST(" + SqlText.identifier(q.column("decision", "decision").name()) + " AS VARCHAR) = ?");
      q.params.add(decision);
    }
    String id = first(url, "id");
    if (id != null) {
      q.where.add("starts_with(prediction_id, ?)");
      q.params.add(id.strip());
    }
    q.order(first(url, "sort"), first(url, "order"));
    q.limit = pageSize(first(url, "limit"));
    q.chooseColumns(first(url, "columns"));
    String after = first(url, "after");
    if (after != null) {
      q.after(after);
    }
    return q;
  }

  /** The SELECT of one page: {@link #limit()} + 1 rows, so the caller knows whether more follow. */
  public String pageSql() {
    return exportSql() + " LIMIT " + (limit + 1);
  }

  /**
   * Whether pages follow time, so one can be read from the newest (or oldest) days alone: a
   * record's date partition is the UTC day of its ts, so when the days a page starts from hold a
   * whole page, no row of an earlier (later) day can belong to it. See
   * {@link #pageSql(LocalDate, LocalDate)}.
   */
  public boolean followsTime() {
    return sort.name().equals("ts");
  }

  /** Whether the page runs from the newest rows to the oldest. */
  public boolean descending() {
    return descending;
  }

  /**
   * The nearest day a page of {@link #followsTime() time order} may come from, as far as the
   * filters and the cursor say: the newest allowed (descending) or the oldest; null when open.
   */
  public LocalDate nearestDay() {
    return descending ? min(lastDate, cursorDate) : max(firstDate, cursorDate);
  }

  /**
   * The page's SELECT limited to the days from {@code near} (null: open) to {@code far} in page
   * order, whose parameters are {@link #params(LocalDate, LocalDate)}. A probe of a few days
   * reads only their files; the caller widens it until the page is full or the days run out.
   */
  public String pageSql(LocalDate near, LocalDate far) {
    String farSide = descending ? ">=" : "<=";
    String nearSide = descending ? "<=" : ">=";
    return select(" AND date " + farSide + " CAST(? AS DATE)" + (near == null ? "" : " AND date " + nearSide + " CAST(? AS DATE)"))
        + " LIMIT " + (limit + 1);
  }

  /** The parameters of {@link #pageSql(LocalDate, LocalDate)}. */
  public List<Object> params(LocalDate near, LocalDate far) {
    List<Object> all = new ArrayList<>(params);
    all.add(far.toString());
    if (near != null) {
      all.add(near.toString());
    }
    return all;
  }

  /** The day {@code days} days further than {@code day} in page order. */
  public LocalDate step(LocalDate day, long days) {
    return descending ? day.minusDays(days) : day.plusDays(days);
  }

  private static LocalDate min(LocalDate a, LocalDate b) {
    return b == null || (a != null && a.isBefore(b)) ? a : b;
  }

  private static LocalDate max(LocalDate a, LocalDate b) {
    return b == null || (a != null && a.isAfter(b)) ? a : b;
  }

  /** The SELECT of every filtered row, in page order (for exports). */
  public String exportSql() {
    return select("");
  }

  private String select(String extraCondition) {
    List<String> cols = new ArrayList<>();
    for (String c : shown) {
      cols.add(SqlText.identifier(c));
    }
    String order =
        SqlText.identifier(sort.name()) + direction() + " NULLS LAST, prediction_id" + direction();
    return "SELECT " + String.join(", ", cols) + " FROM predictions p WHERE " + String.join(" AND ", where)
        + extraCondition + " ORDER BY " + order;
  }

  /** The values of the SQL's {@code ?} placeholders, in order. */
  public List<Object> params() {
    return List.copyOf(params);
  }

  public int limit() {
    return limit;
  }

  /** The columns a row holds, in order. */
  public List<String> columns() {
    return List.copyOf(shown);
  }

  public String endpoint() {
    return endpoint;
  }

  /** The cursor that starts the page after a row (the last one shown), given as the row's values. */
  public String cursorAfter(List<Object> row) {
    Object value = row.get(shown.indexOf(sort.name()));
    Object id = row.get(shown.indexOf("prediction_id"));
    List<Object> pair = new ArrayList<>();
    pair.add(value);
    pair.add(id);
    try {
      return Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(pair));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private String direction() {
    return descending ? " DESC" : " ASC";
  }

  private void condition(String text) {
    Matcher nullTest = NULL_TEST.matcher(text);
    if (nullTest.matches()) {
      SchemaColumn c = column(nullTest.group(1), "where");
      where.add(SqlText.identifier(c.name()) + (nullTest.group(2) == null ? " IS NULL" : " IS NOT NULL"));
      return;
    }
    Matcher m = COMPARISON.matcher(text);
    if (!m.matches()) {
      throw ApiException.badRequest(
          "the condition '" + text + "' is not understood; write key op value with op one of = != > >= < <= ~"
              + " (contains), or key is null / key is not null");
    }
    SchemaColumn c = column(m.group(1), "where");
    String op = m.group(2);
    String value = unquote(m.group(3));
    String name = SqlText.identifier(c.name());
    if (op.equals("~")) {
      where.add("contains(lower(CAST(" + name + " AS VARCHAR)), lower(?))");
      params.add(value);
      return;
    }
    if (c.type().equals("json") || c.type().equals("media") || c.type().equals("map")) {
      if (!op.equals("=") && !op.equals("!=")) {
        throw ApiException.badRequest(
            "'" + c.name() + "' holds " + c.type() + " values: compare it with = or != on its JSON text, or ~ (contains)");
      }
      where.add("CAST(" + name + " AS VARCHAR) " + (op.equals("=") ? "=" : "<>") + " ?");
      params.add(value);
      return;
    }
    where.add(name + " " + (op.equals("!=") ? "<>" : op) + " " + typedParam(c));
    params.add(typedValue(c, value));
  }

  private void order(String sortName, String order) {
    sort = sortName == null ? columns.get("ts") : column(sortName, "sort");
    if (!SORTABLE_TYPES.contains(sort.type())) {
      throw ApiException.badRequest("'" + sort.name() + "' holds " + sort.type() + " values and cannot be sorted on");
    }
    if (order != null && !order.equals("asc") && !order.equals("desc")) {
      throw ApiException.badRequest("'order' must be asc or desc, not '" + order + "'");
    }
    descending = !"asc".equals(order);
  }

  private void chooseColumns(String list) {
    Set<String> chosen = new LinkedHashSet<>();
    chosen.add("prediction_id");
    chosen.add("ts");
    if (list == null || list.isBlank()) {
      for (String s : DEFAULT_SYSTEM_COLUMNS) {
        if (columns.containsKey(s)) {
          chosen.add(s);
        }
      }
      columns.values().stream()
          .filter(c -> !c.name().startsWith("_") && !DEFAULT_SYSTEM_COLUMNS.contains(c.name()) && isUserColumn(c))
          .limit(DEFAULT_USER_COLUMNS)
          .forEach(c -> chosen.add(c.name()));
    } else {
      for (String name : list.split(",")) {
        if (!name.isBlank()) {
          chosen.add(column(name.strip(), "columns").name());
        }
      }
    }
    chosen.add(sort.name());
    shown.addAll(chosen);
  }

  private boolean isUserColumn(SchemaColumn c) {
    return !Set.of("request_id", "error", "sample_rate").contains(c.name());
  }

  private void after(String cursor) {
    JsonNode pair;
    try {
      pair = JSON.readTree(Base64.getUrlDecoder().decode(cursor));
    } catch (IOException | IllegalArgumentException e) {
      throw ApiException.badRequest("'after' is not a cursor this server gave out; start again from the first page");
    }
    if (pair == null || !pair.isArray() || pair.size() != 2 || !pair.get(1).isTextual()) {
      throw ApiException.badRequest("'after' is not a cursor this server gave out; start again from the first page");
    }
    String name = SqlText.identifier(sort.name());
    String cmp = descending ? "<" : ">";
    JsonNode value = pair.get(0);
    if (value.isNull()) {
      // Rows without a value come last: after one of them, only later ids without a value follow.
      where.add("(" + name + " IS NULL AND prediction_id " + cmp + " ?)");
      params.add(pair.get(1).asText());
      return;
    }
    String typed = typedParam(sort);
    where.add(
        "(" + name + " " + cmp + " " + typed + " OR (" + name + " = " + typed + " AND prediction_id " + cmp + " ?) OR "
            + name + " IS NULL)");
    Object v = typedValue(sort, value.asText());
    if (followsTime()) {
      cursorDate = LocalDate.ofInstant(Instant.parse((String) v), ZoneOffset.UTC);
    }
    params.add(v);
    params.add(v);
    params.add(pair.get(1).asText());
  }

  private SchemaColumn column(String name, String where) {
    SchemaColumn c = columns.get(name.toLowerCase(Locale.ROOT));
    if (c == null) {
      throw ApiException.badRequest(
          "'" + name + "' (in " + where + ") is not a column of endpoint '" + endpoint + "'; its columns are "
              + columns.values().stream().map(SchemaColumn::name).toList());
    }
    return c;
  }

  private static String typedParam(SchemaColumn c) {
    return switch (c.type()) {
      case "bigint", "double" -> "CAST(? AS DOUBLE)";
      case "boolean" -> "CAST(? AS BOOLEAN)";
      case "timestamp" -> "CAST(? AS TIMESTAMPTZ)";
      default -> "?";
    };
  }

  private static Object typedValue(SchemaColumn c, String value) {
    switch (c.type()) {
      case "bigint", "double" -> {
        try {
          return Double.parseDouble(value);
        } catch (NumberFormatException e) {
          throw ApiException.badRequest("'" + c.name() + "' holds numbers; '" + value + "' is not one");
        }
      }
      case "boolean" -> {
        if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
          throw ApiException.badRequest("'" + c.name() + "' holds true or false; '" + value + "' is neither");
        }
        return Boolean.parseBoolean(value);
      }
      case "timestamp" -> {
        return instant(c.name(), value).toString();
      }
      default -> {
        return value;
      }
    }
  }

  private static String unquote(String v) {
    if (v.length() >= 2 && (v.startsWith("'") && v.endsWith("'") || v.startsWith("\"") && v.endsWith("\""))) {
      return v.substring(1, v.length() - 1);
    }
    return v;
  }

  private static int pageSize(String text) {
    if (text == null) {
      return DEFAULT_PAGE;
    }
    try {
      int n = Integer.parseInt(text);
      if (n >= 1 && n <= MAX_PAGE) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiException.badRequest("'limit' must be a whole number from 1 to " + MAX_PAGE + ", not '" + text + "'");
  }

  private static Instant instant(String name, String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      try {
        return java.time.OffsetDateTime.parse(text).toInstant();
      } catch (DateTimeParseException e2) {
        throw ApiException.badRequest("'" + name + "' must be an RFC 3339 time such as 2026-11-30T12:00:00Z, not '" + text + "'");
      }
    }
  }

  private static String first(Map<String, List<String>> url, String name) {
    List<String> values = url.get(name);
    if (values == null || values.isEmpty() || values.get(0).isBlank()) {
      return null;
    }
    return values.get(0);
  }
}
