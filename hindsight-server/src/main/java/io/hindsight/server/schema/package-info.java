/**
 * What the store knows about its tables: learnt per-endpoint schemas (DESIGN §6), column types,
 * system columns, and rows as they travel from ingest to the log and the lake. Uses only {@code files}.
 */
package io.hindsight.server.schema;
