package io.hindsight;

/**
 * The data values left out of a record that is over {@link HindsightBuilder#maxRecordBytes}, so
 * the rest of the record still arrives. The largest values go first, until the record fits. The
 * record then carries the key {@value #KEY}: an object of each left-out key and the bytes its
 * value took in the body format, e.g. {@code "hindsight_removed": {"raw_text": 2097154}}, so SQL
 * shows which records lost what.
 */
final class OversizedValues {
  /** The data key listing what was left out; reserved, a user cannot log it. */
  static final String KEY = "hindsight_removed";

  /** Generous bytes of the {@value #KEY} entry itself, and of one item in it. */
  private static final long ENTRY_BYTES = KEY.length() + 8;
  private static final long ITEM_BYTES = 24;

  private final String[] names;
  private final long[] sizes;
  private final boolean[] removed;

  private OversizedValues(String[] names, long[] sizes, boolean[] removed) {
    this.names = names;
    this.sizes = sizes;
    this.removed = removed;
  }

  /**
   * Chooses the values to leave out of a record of {@code recordBytes} so it fits in {@code
   * maxBytes}; {@code sizes[i]} is the size of value {@code i} in the body format (0 for one not
   * written). The estimate of the bytes saved counts JSON's punctuation, which Smile does not
   * have, so for Smile it errs toward leaving out enough. Null when leaving out every value is not
   * enough.
   */
  static OversizedValues choose(String[] names, long[] sizes, long recordBytes, long maxBytes) {
    boolean[] removed = new boolean[names.length];
    long bytes = recordBytes + ENTRY_BYTES;
    while (bytes > maxBytes) {
      int largest = -1;
      for (int i = 0; i < names.length; i++) {
        if (!removed[i] && sizes[i] > 0 && (largest < 0 || sizes[i] > sizes[largest])) {
          largest = i;
        }
      }
      if (largest < 0) {
        return null;
      }
      removed[largest] = true;
      bytes -= sizes[largest] + names[largest].length() + 4; // its value, "name": and a comma
      bytes += names[largest].length() + ITEM_BYTES;
    }
    return new OversizedValues(names, sizes, removed);
  }

  boolean contains(int i) {
    return removed[i];
  }

  /** Writes {@code "hindsight_removed":{"key":bytes,...}}. */
  void writeEntry(BodyOut out) {
    out.field(KEY).beginObject();
    boolean first = true;
    for (int i = 0; i < names.length; i++) {
      if (removed[i]) {
        if (!first) {
          out.next();
        }
        first = false;
        out.key(names[i]).number(sizes[i]);
      }
    }
    out.endObject();
  }

  /** E.g. {@code 'raw_text' (2097154 bytes)}, for the log. */
  String describe() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < names.length; i++) {
      if (removed[i]) {
        sb.append(sb.length() == 0 ? "" : ", ").append('\'').append(names[i]).append("' (").append(sizes[i]).append(" bytes)");
      }
    }
    return sb.toString();
  }
}
