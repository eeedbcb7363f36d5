/**
 * Backup and restore of a single-node data folder (DESIGN §14): a consistent snapshot taken while
 * the server runs and ingest goes on, and its way back into an empty data folder. Uses {@code wal}
 * and {@code lake} (to hold writes for the instant of the snapshot), {@code jobs} (a backup is a
 * tracked job) and {@code files} (crash-safe writes).
 */
package io.hindsight.server.backup;
