/**
 * The group-commit write-ahead log: accepted rows are appended, fsynced for all waiting requests
 * at once, and replayed above the lake's high-water mark after a crash. Uses {@code schema} and
 * {@code files}.
 */
package io.hindsight.server.wal;
