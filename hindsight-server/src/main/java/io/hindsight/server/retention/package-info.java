/**
 * Retention, manual deletion and erasure (DESIGN §12): expired date partitions deleted daily per
 * endpoint and kind, an admin's deletion of an endpoint's data before a date, and the erasure of a
 * data subject's records by rewriting the files that hold them. All of it runs as tracked jobs
 * ({@code jobs}), edits files under the lake's own ordering ({@link
 * io.hindsight.server.retention.LakeEdits}) and never deletes what an audited endpoint must keep
 * (WORM, {@link io.hindsight.server.retention.WormRule}). Uses {@code lake}, {@code query},
 * {@code schema}, {@code ops}, {@code files} and {@code jobs}.
 */
package io.hindsight.server.retention;
