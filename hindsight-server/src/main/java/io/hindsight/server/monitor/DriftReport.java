package io.hindsight.server.monitor;

import java.util.List;

/**
 * Drift of a current window against a reference, column by column.
 *
 * @param referenceRows rows of the reference
 * @param currentRows rows of the current window
 * @param columns one result per column, in the order asked
 * @param driftedShare drifted columns / columns (0 without columns)
 * @param datasetDrift whether {@code driftedShare} ≥ {@value DriftCalculator#DATASET_DRIFT_SHARE}
 */
public record DriftReport(
    long referenceRows, long currentRows, List<ColumnDrift> columns, double driftedShare, boolean datasetDrift) {
  public DriftReport {
    columns = List.copyOf(columns);
  }
}
