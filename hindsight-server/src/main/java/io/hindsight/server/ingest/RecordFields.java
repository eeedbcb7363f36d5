package io.hindsight.server.ingest;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The members of a JSON object as the body reader met them, in order: a record's fields and the
 * objects directly inside it ({@code data}, {@code tags}). Two arrays and a small open-addressing
 * index instead of a map of nodes, since every record has one of each and most of their cost was
 * the map.
 */
final class RecordFields {
  private String[] names;
  private Object[] values;
  private int size;
  /** Slot i holds a member's position + 1, or 0; sized to stay at most half full. */
  private int[] index;

  RecordFields(int expected) {
    int capacity = Math.max(4, expected);
    names = new String[capacity];
    values = new Object[capacity];
    index = new int[Integer.highestOneBit(capacity * 2 - 1) << 1];
  }

  /** A copy of a map's entries, for callers that hold a record as a map. */
  static RecordFields of(Map<String, ?> map) {
    RecordFields f = new RecordFields(map.size());
    for (Map.Entry<String, ?> e : map.entrySet()) {
      f.add(e.getKey(), e.getValue());
    }
    return f;
  }

  /** Adds a member; returns false, adding nothing, when the name is there already. */
  boolean add(String name, Object value) {
    int slot = slotOf(name);
    if (index[slot] != 0) {
      return false;
    }
    if (size == names.length) {
      names = Arrays.copyOf(names, size * 2);
      values = Arrays.copyOf(values, size * 2);
    }
    names[size] = name;
    values[size] = value;
    index[slot] = ++size;
    if (size * 2 > index.length) {
      rehash();
    }
    return true;
  }

  int size() {
    return size;
  }

  String name(int i) {
    return names[i];
  }

  Object value(int i) {
    return values[i];
  }

  /** The value of a member, or null when there is none (or it is null). */
  Object get(String name) {
    int at = index[slotOf(name)];
    return at == 0 ? null : values[at - 1];
  }

  /** The members as an ordered map (for writing them out as JSON). */
  Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>(size * 2);
    for (int i = 0; i < size; i++) {
      Object v = values[i];
      map.put(names[i], v instanceof RecordFields f ? f.toMap() : v);
    }
    return map;
  }

  /** The slot that holds {@code name}, or the empty slot where it would go. */
  private int slotOf(String name) {
    int mask = index.length - 1;
    int h = name.hashCode();
    int slot = (h ^ (h >>> 16)) & mask;
    while (index[slot] != 0) {
      String there = names[index[slot] - 1];
      if (there == name || there.equals(name)) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private void rehash() {
    index = new int[index.length * 2];
    int mask = index.length - 1;
    for (int i = 0; i < size; i++) {
      int h = names[i].hashCode();
      int slot = (h ^ (h >>> 16)) & mask;
      while (index[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      index[slot] = i + 1;
    }
  }
}
