package io.hindsight.server.retention;

/**
 * A prediction an erasure removes from the lake.
 *
 * @param auditIndex the record's leaf index in its endpoint's audit log, when the files carry one
 *     ({@code _leaf}); null otherwise
 */
public record ErasedRecord(String predictionId, Long auditIndex) {}
