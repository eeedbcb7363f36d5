/**
 * The audit trail of DESIGN §12: per audited endpoint an append-only RFC 9162 Merkle log of its
 * acknowledged predictions, signed C2SP checkpoints, inclusion and consistency proofs, signed
 * redaction entries for erasures, and the offline verification and export of all of it.
 *
 * <p>The log's leaves are made durable by the write-ahead log: a leaf's record is in a fsynced
 * log entry before its request is answered, the entry carries the leaf's index, and the hash
 * store catches up from the write-ahead log on start. This keeps one fsync per group commit.
 */
package io.hindsight.server.audit;
