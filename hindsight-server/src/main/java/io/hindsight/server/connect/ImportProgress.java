package io.hindsight.server.connect;

/**
 * Where a run of an import stands.
 *
 * @param rowsRead rows read from the source in this run (stored, rejected or late)
 * @param accepted rows the server stored
 * @param rejected rows the server refused
 * @param late rows behind the watermark minus the delay, not imported
 * @param bytesDone bytes of the source's pending files read (a file counts by the share of its rows read)
 * @param bytesTotal bytes of the pending files
 * @param watermarkMicros the watermark so far; null: none
 */
public record ImportProgress(
    long rowsRead, long accepted, long rejected, long late, double bytesDone, long bytesTotal, Long watermarkMicros) {
  /** The share of the run done, 0..1. */
  public double fraction() {
    return bytesTotal == 0 ? 1.0 : Math.min(1.0, bytesDone / bytesTotal);
  }
}
