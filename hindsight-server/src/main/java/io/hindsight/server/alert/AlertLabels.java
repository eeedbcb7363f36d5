package io.hindsight.server.alert;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** The labels of a rule's alert, sorted by name as Alertmanager shows them. */
final class AlertLabels {
  private AlertLabels() {}

  static Map<String, String> of(AlertRule rule) {
    Map<String, String> labels = new TreeMap<>(rule.labels());
    labels.put("alertname", rule.name());
    labels.put("endpoint", rule.endpoint());
    return Collections.unmodifiableMap(labels);
  }

  /**
   * Alertmanager's fingerprint of a label set (prometheus/common {@code LabelSet.Fingerprint}):
   * 64-bit FNV-1a over the names in order, each name and value followed by the byte 0xff, as 16 hex
   * digits. The same alert gets the same fingerprint here and in Alertmanager.
   */
  static String fingerprint(Map<String, String> labels) {
    long hash = 0xcbf29ce484222325L;
    for (Map.Entry<String, String> e : new TreeMap<>(labels).entrySet()) {
      hash = add(hash, e.getKey());
      hash = addByte(hash, (byte) 0xff);
      hash = add(hash, e.getValue());
      hash = addByte(hash, (byte) 0xff);
    }
    return String.format("%016x", hash);
  }

  private static long add(long hash, String text) {
    for (byte b : text.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      hash = addByte(hash, b);
    }
    return hash;
  }

  private static long addByte(long hash, byte b) {
    return (hash ^ (b & 0xff)) * 0x100000001b3L;
  }
}
