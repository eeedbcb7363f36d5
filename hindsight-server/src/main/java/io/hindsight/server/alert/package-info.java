/**
 * Alerts (DESIGN §11): rules over the monitor's metrics, their Prometheus-style states (inactive,
 * pending, firing), silences, and the notifiers that tell people (webhooks in Alertmanager or
 * Slack format, pushes to a Prometheus Alertmanager) with retries on the server's scheduler. Rules,
 * notifiers and silences are kept in JSON files written whole. Reads metrics only through
 * {@link io.hindsight.server.alert.MetricSource}; uses {@code ops} (scheduler) and {@code files}.
 */
package io.hindsight.server.alert;
