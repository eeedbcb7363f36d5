/**
 * The Hindsight Java SDK: per-prediction logging for model services, shipped off the request
 * path (DESIGN §7).
 *
 * <p>This package owns the public API ({@link io.hindsight.Hindsight}, {@link
 * io.hindsight.HindsightBuilder}, {@link io.hindsight.Prediction}, {@link
 * io.hindsight.LocalContext}, {@link io.hindsight.PiiPolicy}, {@link io.hindsight.Sampling},
 * {@link io.hindsight.Stats}, {@link io.hindsight.KindStats}) and, package-private, the machinery behind it: key and value
 * validation ({@code Keys}, {@code Values}), the body writers ({@code BodyOut}: {@code JsonOut},
 * {@code SmileOut} for {@link io.hindsight.BodyFormat}), the shipping
 * worker ({@code Shipper}) with its spools ({@code DiskSpool}, {@code MemorySpool}) and HTTP
 * transport ({@code Transport}), which sends Smile by default and JSON to a server that refused
 * Smile once ({@code SmileFallback}).
 *
 * <p>A prediction record, shown as JSON (Smile carries the same fields; absent ones are omitted):
 *
 * <pre>{@code
 * {"prediction_id": "0190...", "ts": "2026-11-22T10:15:00.123456Z", "model_version": "v2.1.0",
 *  "request_id": "req-abc", "tags": {"env": "prod"}, "latency_ms": 3.2, "status": "ok",
 *  "sample_rate": 1.0, "data": {"credit_score": 712}}
 * }</pre>
 *
 * <p>Two data keys may be added by the SDK: {@code hindsight_removed} (reserved) lists the values
 * left out of a record over {@link io.hindsight.HindsightBuilder#maxRecordBytes}, and {@code
 * system} holds the figures of {@link io.hindsight.HindsightBuilder#captureSystem()}.
 *
 * <p>Accounting: every record handed to the SDK ends in exactly one of sent, rejected (by {@link
 * io.hindsight.RejectReason}), dropped (by {@link io.hindsight.DropReason}), or still queued or
 * spooled, counted per {@link io.hindsight.Kind} in {@link io.hindsight.Stats}.
 *
 * <p>Dependencies: the JDK only, on purpose (STYLE §2). OpenTelemetry and SLF4J are used, when
 * present, by reflection.
 */
package io.hindsight;
