package io.hindsight;

/**
 * What to drop when there is no room left: the queue is full or the spool has reached its byte
 * limit. Blocking the prediction thread is not an option on purpose (DESIGN §7): a slow logging
 * backend must never slow the model down. Every drop is counted in {@link Stats#dropped()} and
 * logged at most once a minute.
 */
public enum DropPolicy {
  /** Keep what is already waiting, drop the new record or batch. The default. */
  DROP_NEWEST,
  /** Make room by dropping the oldest waiting records or spool segments. */
  DROP_OLDEST
}
