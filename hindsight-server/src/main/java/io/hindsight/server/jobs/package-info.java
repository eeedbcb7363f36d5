/**
 * Tracked jobs (DESIGN §12 Jobs): long work (erasure, deletion, later imports and reports) runs
 * one job at a time on a worker thread; each job's state, progress and counts are kept in a file
 * of the data directory, so jobs and their outcome survive a restart. Uses {@code ops} (threads)
 * and {@code files} (crash-safe writes).
 */
package io.hindsight.server.jobs;
