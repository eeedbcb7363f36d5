package io.hindsight.server.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.server.schema.JsonText;
import io.hindsight.server.schema.Row;
import io.hindsight.server.schema.Table;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RowCodecTest {
  private static Row row(Map<String, Object> values) {
    return new Row(Table.PREDICTIONS, "fraud-model", 1_790_000_000_123_456L, values);
  }

  private static Map<String, Object> values(String name, String city) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("prediction_id", "txn-1");
    v.put("name", name);
    v.put("city", city);
    v.put("score", 0.87);
    v.put("count", 42L);
    v.put("approved", false);
    v.put("missing", null);
    v.put("features", new JsonText("{\"emb\":[0.1,-2.5],\"note\":\"日本\"}"));
    v.put("tags", Map.of("segment", "high_value"));
    return v;
  }

  private static ByteBuffer encoded(List<Row> rows) {
    GrowableBuffer out = new GrowableBuffer(16);
    RowCodec.encodeAll(rows, out);
    return out.asByteBuffer();
  }

  @Test
  void rowsSurviveTheLogWithAsciiAndEveryOtherKindOfText() {
    List<Row> rows =
        List.of(
            row(values("plain ascii", "Paris")),
            row(values("Zoë", "Kraków")),
            row(values("日本語", "😀 emoji and a lone \uD800 surrogate")),
            row(values("", "")));
    ByteBuffer in = encoded(rows);
    assertThat(in.getInt()).isEqualTo(rows.size());
    for (Row expected : rows) {
      Row got = RowCodec.decode(in);
      assertThat(got.table()).isEqualTo(expected.table());
      assertThat(got.endpoint()).isEqualTo(expected.endpoint());
      assertThat(got.tsMicros()).isEqualTo(expected.tsMicros());
      Map<String, Object> want = new LinkedHashMap<>(expected.values());
      // a lone surrogate cannot be UTF-8; like String.getBytes the log stores '?' for it
      want.computeIfPresent("city", (k, v) -> ((String) v).replace("\uD800", "?"));
      assertThat(got.values()).isEqualTo(want);
    }
    assertThat(in.hasRemaining()).isFalse();
  }

  @Test
  void anEntryBuiltValueByValueHoldsTheRowsItEndedAndNoneItAbandoned() {
    Row first = row(values("Zoë", "Kraków"));
    Row second = new Row(Table.FEEDBACK, "fraud-model", -5L, values("日本語", ""));
    WalEntry.Builder entry = new WalEntry.Builder(16);
    entry.beginRow(first.table(), first.endpoint());
    first.values().forEach(entry::put);
    entry.endRow(first.tsMicros());
    entry.beginRow(Table.EVENTS, "abandoned");
    entry.put("kind", "never stored");
    entry.abandonRow();
    entry.add(second);

    ByteBuffer in = WalEntry.rowsOf(entry.encode("key-1", new byte[] {1, 2}, false));
    assertThat(in.getInt()).isEqualTo(2);
    assertThat(RowCodec.decode(in)).isEqualTo(first);
    assertThat(RowCodec.decode(in)).isEqualTo(second);
    assertThat(in.hasRemaining()).isFalse();
    assertThat(entry.rows()).isEqualTo(2);
    ByteBuffer expected = encoded(List.of(first, second));
    assertThat(WalEntry.rowsOf(entry.encode(null, null, false))).isEqualTo(expected);
  }

  @Test
  void decodeToHandsValuesByColumnWithStringsAsUtf8WhateverTheKeyOrder() {
    Map<String, Object> reordered = new LinkedHashMap<>();
    reordered.put("city", "Kraków");
    reordered.put("unknown_to_the_index", "skipped");
    reordered.put("name", "Zoë");
    reordered.put("score", 0.5);
    reordered.put("n", 7L);
    reordered.put("ok", true);
    reordered.put("doc", new JsonText("{\"a\":1}"));
    reordered.put("tags", Map.of("k", "v"));
    reordered.put("features", null);
    ByteBuffer in = encoded(List.of(row(values("Ann", "Oslo")), row(reordered), row(values("Bo", "Rome"))));
    in.getInt();
    Map<String, Integer> columns =
        new HashMap<>(Map.of("name", 0, "city", 1, "score", 2, "features", 3, "n", 4, "ok", 5, "doc", 6, "tags", 7));
    RowCodec.KeyIndex index = new RowCodec.KeyIndex(columns);
    List<String> got = new ArrayList<>();
    RowCodec.ValueSink sink =
        new RowCodec.ValueSink() {
          @Override
          public void utf8(int column, byte[] buf, int offset, int length) {
            got.add(column + "=" + new String(buf, offset, length, StandardCharsets.UTF_8));
          }

          @Override
          public void int64(int column, long value) {
            got.add(column + "=long " + value);
          }

          @Override
          public void float64(int column, double value) {
            got.add(column + "=double " + value);
          }

          @Override
          public void bool(int column, boolean value) {
            got.add(column + "=" + value);
          }

          @Override
          public void map(int column, Map<String, String> value) {
            got.add(column + "=map " + value);
          }
        };
    List<List<String>> expected = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      got.clear();
      assertThat(RowCodec.decodeTo(in, index, sink)).isEqualTo(1_790_000_000_123_456L);
      expected.add(List.copyOf(got));
    }
    assertThat(expected.get(0)).startsWith("0=Ann", "1=Oslo");
    assertThat(expected.get(1))
        .containsExactly("1=Kraków", "0=Zoë", "2=double 0.5", "4=long 7", "5=true", "6={\"a\":1}", "7=map {k=v}");
    assertThat(expected.get(2)).startsWith("0=Bo", "1=Rome");
    assertThat(in.hasRemaining()).isFalse();
  }

  @Test
  void aRowIsMatchedByTableEndpointAndAStringValueWithoutMovingTheBuffer() {
    Map<String, Object> v = values("Zoë", "Zürich");
    v.put("city", "Zürich");
    ByteBuffer in = encoded(List.of(row(v)));
    in.getInt();
    int at = in.position();
    Table p = Table.PREDICTIONS;
    assertThat(new RowCodec.StringMatch(p, "fraud-model", "city", "Zürich").test(in)).isTrue();
    assertThat(new RowCodec.StringMatch(p, "fraud-model", "prediction_id", "txn-1").test(in)).isTrue();
    assertThat(new RowCodec.StringMatch(p, "fraud-model", "prediction_id", "txn-2").test(in)).isFalse();
    assertThat(new RowCodec.StringMatch(p, "fraud-model", "prediction_id", "txn-").test(in)).as("a prefix").isFalse();
    assertThat(new RowCodec.StringMatch(p, "fraud-model", "prediction_id", "txn-10").test(in)).as("longer").isFalse();
    assertThat(new RowCodec.StringMatch(p, "fraud-model", "score", "0.87").test(in)).as("not a string").isFalse();
    assertThat(new RowCodec.StringMatch(p, "fraud-model", "nowhere", "txn-1").test(in)).isFalse();
    assertThat(new RowCodec.StringMatch(p, "fraud-mode", "prediction_id", "txn-1").test(in)).as("another endpoint").isFalse();
    assertThat(new RowCodec.StringMatch(Table.FEEDBACK, "fraud-model", "prediction_id", "txn-1").test(in)).isFalse();
    RowCodec.StringMatch id = new RowCodec.StringMatch(p, "fraud-model", "prediction_id", "txn-1");
    assertThat(id.valueHashIn(in)).as("the hash a chunk keeps of the row's id").isEqualTo(id.valueHash());
    assertThat(new RowCodec.StringMatch(p, "fraud-model", "prediction_id", "txn-2").valueHash()).isNotEqualTo(id.valueHash());
    assertThat(new RowCodec.StringMatch(p, "fraud-model", "nowhere", "txn-1").valueHashIn(in)).as("no such key").isZero();
    assertThat(new RowCodec.StringMatch(p, "fraud-model", "score", "0.87").valueHashIn(in)).as("not a string").isZero();
    assertThat(in.position()).isEqualTo(at);
    assertThat(RowCodec.decode(in).values().get("name")).isEqualTo("Zoë");
  }
}
