package io.hindsight;

/**
 * Why a record was refused; refused records are never retried. Each reason has its own counter
 * in {@link KindStats#rejected()}, and the SDK's log names the server's own message.
 */
public enum RejectReason {
  /**
   * Larger than {@link HindsightBuilder#maxRecordBytes} even without its data values (checked by
   * the SDK), or refused on its own by the server as too large (413).
   */
  RECORD_TOO_LARGE,
  /**
   * Refused by the server for its content: listed in {@code rejected} of a 200 answer (a bad key, a
   * value over a server limit), or refused with 400 once sent on its own.
   */
  INVALID,
  /**
   * The server refused the whole request for a reason that is not about one record (e.g. 404,
   * 415, 422); every record of that request is counted here.
   */
  REQUEST_REFUSED
}
