/**
 * Tracked jobs (DESIGN §12 Jobs): long work (erasure, deletion, imports, later reports) runs
 * one job at a time on a worker thread; each job's state, progress and counts are kept in a file
 * of the data directory, so jobs and their outcome survive a restart. A recurring job (an import
 * with {@code every}) waits queued between runs, on the {@code Scheduler}'s time. Uses {@code ops}
 * (threads, the scheduler) and {@code files} (crash-safe writes).
 */
package io.hindsight.server.jobs;
