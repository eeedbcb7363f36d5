package io.hindsight.server.monitor;

/**
 * The drift of one column between the reference and the current window.
 *
 * <p>A column with no values on one side (all missing, or no rows) cannot be compared: its {@code
 * statistic} and {@code pValue} are null and it is not drifted, though it counts among the columns
 * of {@link DriftReport#driftedShare()}; the missing shares say why.
 *
 * @param column the column's public name
 * @param kind {@code numeric} or {@code categorical}, decided by the reference's values
 * @param method the method's public name ({@link DriftMethod#publicName()})
 * @param statistic D, χ², W1 / std, JS distance or PSI; null when a side has no values
 * @param pValue the test's p-value for {@code ks} and {@code chisquare}, null otherwise
 * @param threshold the p-value limit (tests) or the statistic's limit
 * @param drifted p below the threshold (tests), statistic at or above it (the others)
 * @param referenceMissingShare rows without a value in the reference, as a share of its rows
 * @param currentMissingShare the same for the current window
 */
public record ColumnDrift(
    String column,
    String kind,
    String method,
    Double statistic,
    Double pValue,
    double threshold,
    boolean drifted,
    double referenceMissingShare,
    double currentMissingShare) {}
