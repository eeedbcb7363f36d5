/**
 * Kafka between ingest nodes and lake writers (DESIGN §14): ingest produces each accepted request's
 * log entry to a topic and answers once Kafka acknowledged it; writers consume the topic as a
 * group and hand entries to the lake under sequence numbers made of their offsets, so the lake's
 * file names tell a restarted writer what it already holds. Uses {@code wal}, {@code schema},
 * {@code ops} and {@code files}.
 */
package io.hindsight.server.transport;
