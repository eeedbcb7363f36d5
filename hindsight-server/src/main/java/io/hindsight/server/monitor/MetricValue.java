package io.hindsight.server.monitor;

/**
 * One figure of a window: a metric, of a column or none, for all rows ({@code segment} '') or one
 * segment value ({@code model_version=v2}), with the rows behind it.
 */
public record MetricValue(String metric, String column, String segment, double value, long rows) {}
