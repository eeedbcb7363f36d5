package io.hindsight;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the server's answer to an ingest request means for its records; the one reading of an
 * answer that the background shipper and {@link Hindsight#logBatch} share.
 */
final class ServerAnswer {
  private ServerAnswer() {}

  /** A record the server listed in {@code rejected}: its index in the request and why. */
  record Rejection(long index, String error) {}

  /** A 2xx answer: how many records were stored and which were rejected. */
  record Delivered(long accepted, List<Rejection> rejected) {}

  /**
   * Whether the request may succeed later, so its records are kept and sent again: no answer, a
   * server error or overload (408, 429, 5xx), or a key problem (401, 403: rotated, revoked, not yet
   * granted), which fixing the key resolves without losing records.
   */
  static boolean retryable(Transport.Response r) {
    return r.failure != null
        || r.status == 401
        || r.status == 403
        || r.status == 408
        || r.status == 429
        || r.status >= 500;
  }

  static boolean delivered(Transport.Response r) {
    return r.failure == null && r.status >= 200 && r.status < 300;
  }

  /** 413 (a size or gzip-ratio limit) and 400 (a body it could not read) may be one record's fault. */
  static boolean refusedForARecord(int status) {
    return status == 413 || status == 400;
  }

  /** Why the records of a request refused as a whole (and not split further) count as rejected. */
  static RejectReason rejectReason(int status) {
    if (!refusedForARecord(status)) {
      return RejectReason.REQUEST_REFUSED;
    }
    return status == 413 ? RejectReason.RECORD_TOO_LARGE : RejectReason.INVALID;
  }

  /**
   * Reads a 2xx answer {@code {"accepted": n, "rejected": [{"index", "error"}]}}. An answer that
   * cannot be read counts every record as stored: the server said 2xx only once they were durable.
   */
  static Delivered delivered(String body, int records) {
    if (body == null || body.isBlank()) {
      return new Delivered(records, List.of());
    }
    try {
      Object parsed = JsonIn.parse(body);
      if (!(parsed instanceof Map)) {
        return new Delivered(records, List.of());
      }
      Map<?, ?> m = (Map<?, ?>) parsed;
      List<Rejection> rejected = new ArrayList<>();
      if (m.get("rejected") instanceof List) {
        for (Object o : (List<?>) m.get("rejected")) {
          Object index = o instanceof Map ? ((Map<?, ?>) o).get("index") : null;
          Object error = o instanceof Map ? ((Map<?, ?>) o).get("error") : o;
          rejected.add(
              new Rejection(index instanceof Number ? ((Number) index).longValue() : -1, String.valueOf(error)));
        }
      }
      Object accepted = m.get("accepted");
      return new Delivered(
          accepted instanceof Number ? ((Number) accepted).longValue() : records - rejected.size(), rejected);
    } catch (RuntimeException unreadable) {
      return new Delivered(records, List.of());
    }
  }

  /** The server's {@code error} message, or the start of the body when it has none. */
  static String errorOf(String body) {
    if (body == null || body.isBlank()) {
      return "(no body)";
    }
    try {
      Object parsed = JsonIn.parse(body);
      if (parsed instanceof Map && ((Map<?, ?>) parsed).get("error") != null) {
        return String.valueOf(((Map<?, ?>) parsed).get("error"));
      }
    } catch (RuntimeException ignored) {
      // fall through to the raw text
    }
    return body.length() > 300 ? body.substring(0, 300) + "..." : body;
  }

  /** What went wrong with a request, for a log line. */
  static String describe(Transport.Response r) {
    return r.failure != null ? String.valueOf(r.failure) : "HTTP " + r.status + " " + errorOf(r.body);
  }
}
