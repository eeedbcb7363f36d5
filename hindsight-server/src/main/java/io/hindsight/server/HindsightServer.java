package io.hindsight.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.auth.AccessControl;
import io.hindsight.server.auth.ApiKey;
import io.hindsight.server.auth.ApiKeys;
import io.hindsight.server.auth.OwnerOnly;
import io.hindsight.server.files.DataFolderLock;
import io.hindsight.server.files.Folders;
import io.hindsight.server.http.ApiServer;
import io.hindsight.server.ingest.IdempotencyStore;
import io.hindsight.server.ingest.IngestService;
import io.hindsight.server.ingest.LogTruncation;
import io.hindsight.server.audit.AuditSettings;
import io.hindsight.server.audit.AuditTrails;
import io.hindsight.server.media.MediaLibrary;
import io.hindsight.server.lake.CompactionJob;
import io.hindsight.server.lake.DamagedFiles;
import io.hindsight.server.lake.SharedCatalog;
import io.hindsight.server.lake.Lake;
import io.hindsight.server.lake.LakeFollower;
import io.hindsight.server.lake.LakeStore;
import io.hindsight.server.lake.S3LakeStore;
import io.hindsight.server.lake.LakeWriter;
import io.hindsight.server.backup.Backups;
import io.hindsight.server.lake.LogReplay;
import io.hindsight.server.lake.FreshRows;
import io.hindsight.server.lake.WrittenFiles;
import io.hindsight.server.lake.Partition;
import io.hindsight.server.alert.AlertEngine;
import io.hindsight.server.alert.AlertHistory;
import io.hindsight.server.alert.AlertRule;
import io.hindsight.server.alert.AlertSettings;
import io.hindsight.server.alert.Notifier;
import io.hindsight.server.monitor.MetricStore;
import io.hindsight.server.monitor.PredictionFiles;
import io.hindsight.server.schema.Table;
import io.hindsight.server.monitor.Monitor;
import io.hindsight.server.monitor.MonitoringConfigs;
import io.hindsight.server.ops.Scheduler;
import io.hindsight.server.ops.ServerMetrics;
import io.hindsight.server.query.DuckDbFiles;
import io.hindsight.server.query.QueryEngine;
import io.hindsight.server.query.IdFileIndex;
import io.hindsight.server.query.StoreLookups;
import io.hindsight.server.jobs.Jobs;
import io.hindsight.server.retention.Erasure;
import io.hindsight.server.retention.ErasedRecord;
import io.hindsight.server.retention.ErasureListener;
import io.hindsight.server.retention.LakeEdits;
import io.hindsight.server.retention.Retention;
import io.hindsight.server.retention.TimelineEvents;
import io.hindsight.server.retention.WormRule;
import io.hindsight.server.schema.SchemaRegistry;
import io.hindsight.server.transport.EntryProducer;
import io.hindsight.server.transport.LakeFeed;
import io.hindsight.server.transport.SchemaLog;
import io.hindsight.server.transport.TransportSettings;
import io.hindsight.server.wal.WriteAheadLog;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.duckdb.DuckDBConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole server in one process: HTTP API, write-ahead log, Parquet lake, schema registry and
 * SQL engine over a data folder:
 *
 * <pre>
 * data-dir/
 *   wal/          write-ahead log segments (acknowledged, not yet in the lake)
 *   lake/         the Parquet lake of DESIGN §5, readable by any engine
 *   catalog/      learnt schemas, one JSON file per table and endpoint
 *   idempotency/  answers of Idempotency-Key requests whose log entries were dropped
 *   compaction/   journals that make file merges crash-safe
 *   jobs/         tracked jobs (erasure, deletion, retention, imports), one JSON file each
 *   imports/      each import job's progress: rows done per source file, its watermark
 *   retention/    the seq marks of deleted partitions, so the log never replays them
 *   tmp/          DuckDB spill files, query worker folders, backups' links; emptied at start
 *   damaged/      lake files found cut short, moved out of the lake so the rest stays readable
 *   server.lock   locked by the server using the folder, so a second one refuses to start
 * </pre>
 *
 * <p>Start-up recovers before it listens: leftovers of interrupted writes are removed and half-done
 * merges are finished or undone. The log's entries whose rows are not yet in the lake are replayed
 * while it listens; records, deletions and erasures wait until the log is read.
 */
public final class HindsightServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HindsightServer.class);

  private final ServerConfig config;
  private final ServerMetrics metrics = new ServerMetrics();
  private final ObjectMapper json = new ObjectMapper().findAndRegisterModules();
  private SchemaRegistry schemas;
  private Lake lake;
  /** The lake of record: the local folder, or the object store of {@code lake.uri}. */
  private LakeStore lakeStore;
  /** Keeps the local lake in step with the store on a node that does not write it ({@code lake.follow}). */
  private LakeFollower lakeFollower;
  private LakeWriter lakeWriter;
  private FreshRows freshRows;
  /** While SQL is queried, how often the rows not yet in the lake are written ahead of the next query. */
  private static final Duration FRESH_ROWS_PERIOD = Duration.ofMillis(100);
  private CompactionJob compaction;
  /** Events this node could not put in the lake (a following node without Kafka). */
  private final java.util.concurrent.atomic.AtomicLong unrecordedEvents = new java.util.concurrent.atomic.AtomicLong();
  private QueryEngine queryEngine;
  private IdFileIndex idIndex;
  private IdempotencyStore idempotency;
  private WriteAheadLog wal;
  private ApiServer api;
  private DataFolderLock folderLock;
  private DamagedFiles damaged;
  private MetricStore metricStore;
  private AlertEngine alerts;
  private LakeEdits lakeEdits;
  private Jobs jobs;
  private Retention retention;
  /** An audited endpoint's retain_min (WORM); null: the audit settings' own. */
  private java.util.function.Function<String, java.util.Optional<java.time.Period>> minimumRetention;
  /** Told of the predictions each erasure removes; null: the audit log records the redaction. */
  private ErasureListener erasureListener;
  private AuditTrails audit;
  private MediaLibrary media;
  private final Scheduler scheduler;
  /** With transport.type kafka: where ingest sends entries (roles all and ingest), and the writers' feed (all and writer). */
  private EntryProducer producer;
  private LakeFeed feed;
  private SchemaLog sharedSchemas;
  private volatile boolean closed;
  /** Whether the start got as far as listening (a refused start has nothing to report on close). */
  private volatile boolean listening;

  private HindsightServer(ServerConfig config, Scheduler scheduler) {
    this.config = config;
    this.scheduler = scheduler;
  }

  /** Recovers the data folder and starts listening; returns once the server answers requests. */
  public static HindsightServer start(ServerConfig config) throws IOException {
    return start(config, Scheduler.system());
  }

  /**
   * Starts on the given time and schedule: every periodic task of the server (lake flushes,
   * compaction, key reloads and what runs on a timer) follows {@code scheduler}, which the server
   * closes when it stops.
   */
  public static HindsightServer start(ServerConfig config, Scheduler scheduler) throws IOException {
    return start(config, scheduler, null, null);
  }

  /**
   * Starts with the audited endpoints' minimum retention ({@code retain_min}), which retention and
   * deletion never cut into (WORM), and the listener told of the predictions each erasure removes;
   * null for either takes the audit trail's (its settings, its redaction entries).
   */
  public static HindsightServer start(
      ServerConfig config, Scheduler scheduler,
      java.util.function.Function<String, java.util.Optional<java.time.Period>> minimumRetention,
      ErasureListener erasureListener) throws IOException {
    config.validate();
    HindsightServer s = new HindsightServer(config, scheduler);
    s.minimumRetention = minimumRetention;
    s.erasureListener = erasureListener;
    try {
      s.open();
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    } catch (SQLException e) {
      s.close();
      throw new IOException("could not start the SQL engine: " + e.getMessage(), e);
    }
    return s;
  }

  private void open() throws IOException, SQLException {
    long started = System.nanoTime();
    Path dataDir = config.dataDir.toAbsolutePath();
    // Before anything starts: a media root that is not there stops the start with its name.
    media = new MediaLibrary(config.mediaSettings());
    // Before anything reads or cleans the folder: a second server on it stops here, naming the first.
    String holder =
        "process " + ProcessHandle.current().pid() + ", started " + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    try {
      OwnerOnly.createDirectories(dataDir);
      folderLock = DataFolderLock.claim(dataDir, holder);
    } catch (java.nio.file.FileSystemException e) {
      // Their own messages are a bare path.
      throw new IOException(DataFolderLock.problemWith(dataDir, e), e);
    }
    if (folderLock.unlockedBecause() != null) {
      log.warn(
          "could not lock the data folder {} ({}): nothing stops a second server from using it at the same time",
          dataDir, folderLock.unlockedBecause());
    }
    List<ApiKey> configuredKeys = new ArrayList<>();
    for (Map<String, Object> k : config.auth.keys) {
      configuredKeys.add(ApiKeys.fromJson(json.valueToTree(k)));
    }
    Clock clock = scheduler.clock();
    ApiKeys keys = new ApiKeys(dataDir, configuredKeys, clock, config.auth.reloadInterval);
    if (!keys.enabled()) {
      requireLoopback(config.host);
    }
    schemas = new SchemaRegistry(dataDir.resolve("catalog"), json);
    lakeStore = config.lake.uri == null ? LakeStore.LOCAL : S3LakeStore.connect(config.lake.uri, config.lake.s3.settings());
    // Only a node that writes the lake writes to the store; a following node's folder is a copy of it.
    lake = new Lake(dataDir.resolve("lake"), config.followsLake() || !config.role.writesLake() ? LakeStore.LOCAL : lakeStore);
    lake.removeLeftovers();
    // DuckDB's spill files and the query workers' folders; whatever a killed process left is stale.
    Path scratch = dataDir.resolve("tmp");
    Folders.deleteRecursively(scratch);
    compaction =
        new CompactionJob(
            scheduler,
            lake,
            schemas,
            backgroundConnection(scratch.resolve("duckdb-compaction")),
            dataDir.resolve("compaction"),
            config.compactionPolicy());
    compaction.recover();
    LakeFollower.recoverWriter(lake);
    queryEngine = new QueryEngine(lake, config.queryLimits(), json, scratch.resolve("query"), metrics::queryKilled);
    // A lake file cut short outside the server would fail every query of its table: the first read
    // that fails on it (the views built at start read every footer) has it moved out of the lake.
    damaged = new DamagedFiles(lake, dataDir.resolve("damaged"));
    damaged.afterMove(queryEngine::refreshViews);
    queryEngine.onReadFailure(damaged::suspect);
    compaction.onFailure(damaged::suspect);
    metrics.health().add(damaged::problems);
    schemas.onChange(queryEngine::refreshViews);
    if (config.followsLake()) {
      lakeFollower = new LakeFollower(lake, lakeStore, queryEngine::refreshViews);
      if (!config.transport.kafka()) {
        // Without Kafka the writer's catalog of schemas comes through the store, like its files.
        lakeFollower.takingCatalog(new SharedCatalog(schemas, lakeStore, scratch.resolve("catalog")));
      }
      lakeFollower.catchUp();
    }
    idempotency =
        new IdempotencyStore(
            dataDir.resolve("idempotency"), clock, config.ingest.idempotencyTtl, config.ingest.idempotencyMaxKeys);
    LogTruncation truncation = new LogTruncation(idempotency);
    Map<String, JsonNode> auditFromFile = new java.util.LinkedHashMap<>();
    config.audit.endpoints.forEach((endpoint, c) -> auditFromFile.put(endpoint, json.valueToTree(c)));
    audit = new AuditTrails(dataDir.resolve("audit"), auditFromFile, json);
    truncation.durableFirst(audit::syncAll);
    lakeWriter =
        new LakeWriter(
            scheduler, lake, schemas, connection(scratch.resolve("duckdb-writer")), truncation, t -> queryEngine.refreshViews());
    if (lakeWriter.encodeWith(config.lake.encoder) != config.lake.encoder) {
      log.warn("Parquet files are encoded through DuckDB's Appender, which costs the lake writer more CPU: this JVM lacks"
          + " --add-opens java.base/java.nio=ALL-UNNAMED, which the arrow encoder (lake.encoder) needs;"
          + " ./hindsight and java -jar hindsight.jar set it");
    }

    // The metric store folds each new file's rows into its open windows. Its links sit in the lake
    // (the same disk, and the only folder its SQL may read) in a hidden folder no reader lists.
    WrittenFiles written = new WrittenFiles(lake, lake.root().resolve(".metric-store"));
    lakeWriter.onFileWritten(written::written);

    lakeEdits =
        new LakeEdits(
            lake, lakeWriter, compaction, connection(scratch.resolve("duckdb-retention")), dataDir.resolve("retention"), json,
            queryEngine::refreshViews);
    lakeWriter.rewritingWidened(compaction::rewriteWidened);
    if (config.role.writesLake()) {
      // SQL sees what is acknowledged and not yet in the lake beside the lake.
      freshRows = new FreshRows(lakeWriter, schemas, lake, connection(scratch.resolve("duckdb-fresh")));
      freshRows.start(scheduler, FRESH_ROWS_PERIOD);
      queryEngine.readingFreshRows(freshRows);
      // Before the log is read: the writer drains the backlog while the rest of it is read.
      lakeWriter.start(config.lake.flushInterval);
    }
    wal = openLog(dataDir, clock, truncation);
    if (lakeFollower == null) {
      // Behind Kafka, merges start with the feed: each writer merges only the partitions it writes.
      if (config.role.writesLake() && !config.transport.kafka()) {
        compaction.start(config.lake.compactionInterval, queryEngine::refreshViews);
        if (lakeStore.remote()) {
          shareCatalog(new SharedCatalog(schemas, lakeStore, scratch.resolve("catalog")));
        }
      }
    } else {
      lakeFollower.onFileAdded(written::written);
      lakeFollower.start(scheduler, config.lake.followInterval);
      metrics.health().add(lakeFollower::problems);
      metrics.counter("hindsight_lake_follower_downloads", "Lake files this node downloaded from the store since start", lakeFollower::filesDownloaded);
      metrics.counter("hindsight_lake_follower_removals", "Local lake files removed since start because the store no longer had them", lakeFollower::filesRemoved);
    }

    IngestService ingest =
        new IngestService(
            schemas,
            wal,
            idempotency,
            config.ingestLimits(),
            json,
            clock,
            metrics,
            lakeWriter::pendingBytes,
            config.ingest.maxLakeBacklogBytes,
            config.ingest.maxInFlightBytes);
    // Checkpoints may be signed while the log is read: the hashes hold every leaf a checkpoint
    // covers (they are synced before it is signed), and the leaves recovered from the log follow.
    audit.start(scheduler, config.audit.checkpointInterval, queryEngine);
    if (config.transport.kafka()) {
      startKafka(ingest, clock);
    } else {
      ingest.auditing(audit::rowsFor);
    }
    metrics.health().add(audit::problems);
    metrics.gauge("hindsight_audit_logs_refusing", "Audit logs that refuse to sign checkpoints or take leaves (see /health)", () -> audit.problems().size());
    metrics.gauge("hindsight_wal_bytes", "Bytes of write-ahead log on disk", wal::sizeBytes);
    metrics.gauge("hindsight_data_free_bytes", "Bytes free on the data folder's disk (records keep wal.min-free-bytes of it)", wal::freeBytes);
    metrics.health().add(wal::problems);
    metrics.gauge("hindsight_wal_unread_bytes", "Bytes of write-ahead log a start has not read yet (records are refused until 0)", wal::unreadBytes);
    metrics.counter("hindsight_wal_fsyncs", "fsyncs of the write-ahead log since start", wal::fsyncCount);
    metrics.counter(
        "hindsight_wal_damaged_entries", "Log entries found damaged on disk at start, skipped (see the log); a torn tail is not counted",
        wal::damagedEntries);
    metrics.gauge(
        "hindsight_lake_pending_records", "Records acknowledged but not yet in the lake", lakeWriter::pendingRows);
    metrics.gauge(
        "hindsight_lake_pending_bytes", "Bytes of acknowledged records held in memory for the lake", lakeWriter::pendingBytes);
    metrics.counter("hindsight_lake_files_written", "Parquet files written since start", lakeWriter::filesWritten);
    if (freshRows != null) {
      FreshRows fresh = freshRows;
      metrics.counter(
          "hindsight_query_fresh_rows_written", "Rows not yet in the lake that queries wrote to fresh files since start",
          fresh::rowsWritten);
      metrics.gauge("hindsight_query_fresh_files", "Fresh files of rows not yet in the lake kept for queries", fresh::fileCount);
      metrics.counter(
          "hindsight_lake_fresh_covers_skipped",
          "Lake files encoded from the log because a query was writing a large backlog to fresh files",
          fresh::coversSkipped);
    }
    metrics.counter("hindsight_lake_rows_written", "Rows written to Parquet since start", lakeWriter::rowsWritten);
    metrics.counter(
        "hindsight_lake_rows_copied", "Rows of lake files copied from the fresh files queries read since start (not encoded again)",
        lakeWriter::rowsCopied);
    metrics.counter("hindsight_lake_merges", "Partition file merges done since start", compaction::merges);
    metrics.counter(
        "hindsight_lake_rows_merged", "Rows written again by merges since start (over hindsight_lake_rows_written: rewrites a row)",
        compaction::rowsMerged);
    metrics.counter(
        "hindsight_events_unrecorded", "Events (alerts, retention) a node following a lake without Kafka could not record", unrecordedEvents::get);
    metrics.counter(
        "hindsight_lake_write_failures", "Partition writes that failed since start (retried)", lakeWriter::writeFailures);
    metrics.counter(
        "hindsight_lake_flush_crashes", "Lake flushes that died with an error since start (the next one runs as planned)", lakeWriter::flushCrashes);
    metrics.health().add(lakeWriter::problems);
    metrics.gauge("hindsight_idempotency_keys", "Idempotency keys remembered", idempotency::size);
    metrics.counter("hindsight_idempotency_evicted", "Idempotency keys evicted before their TTL", idempotency::evicted);
    Map<String, JsonNode> monitoringFromFile = new java.util.LinkedHashMap<>();
    config.monitoring.endpoints.forEach((endpoint, c) -> monitoringFromFile.put(endpoint, json.valueToTree(c)));
    MonitoringConfigs monitoring =
        new MonitoringConfigs(dataDir.resolve("monitoring"), monitoringFromFile, schemas, queryEngine, json);
    Monitor monitor = new Monitor(monitoring, schemas, queryEngine, clock);
    metricStore = new MetricStore(lake.root(), monitor, queryEngine, scheduler, lakeWriter::flushNow, newFiles(written));
    ingest.onStored(metricStore::stored);
    monitoring.onChange(metricStore::configChanged);
    metricStore.start(config.monitoring.refreshInterval);
    alerts = startAlerts(dataDir, monitor, ingest);
    metrics.counter("hindsight_monitor_rows_folded", "Rows folded into the metric store's open windows since start", metricStore::rowsFolded);
    for (String part : MetricStore.PARTS) {
      metrics.counter(
          "hindsight_monitor_refresh_seconds", "Wall time the metric store's refreshes spent by part since start",
          "part", part, () -> metricStore.partSeconds(part));
    }
    metrics.counter("hindsight_monitor_window_failures", "Metric store windows whose computation failed since start (tried again up to 3 times)", metricStore::windowFailures);
    metrics.counter("hindsight_monitor_fold_failures", "Folds of new rows that failed since start (the open windows were built again)", metricStore::foldFailures);
    metrics.counter("hindsight_monitor_windows_computed", "Metric store windows computed since start", metricStore::windowsComputed);
    metrics.counter("hindsight_monitor_refresh_failures", "Metric store refreshes that failed since start (retried)", metricStore::refreshFailures);
    metrics.gauge("hindsight_monitor_refresh_lag_seconds", "Seconds since the metric store last refreshed (-1: not yet)", metricStore::secondsSinceRefresh);
    metrics.gauge("hindsight_monitor_refresh_duration_seconds", "How long the last metric store refresh took", () -> metricStore.lastRefreshMillis() / 1000.0);
    if (minimumRetention == null) {
      minimumRetention = endpoint -> java.util.Optional.ofNullable(audit.settings(endpoint))
          .filter(AuditSettings::enabled).map(AuditSettings::retainMin);
    }
    if (erasureListener == null) {
      erasureListener = this::redactErased;
    }
    jobs = new Jobs(dataDir.resolve("jobs"), clock, json);
    TimelineEvents timeline = (endpoint, kind, text, data) -> recordEvent(ingest, endpoint, kind, text, data);
    retention =
        new Retention(
            lakeEdits, schemas, jobs, config.retentionPolicy(), new WormRule(minimumRetention), timeline,
            metricStore::deleteDaysBefore, metrics.registry(), clock, json);
    Erasure erasure = new Erasure(lakeEdits, lakeWriter, schemas, jobs, timeline, erasureListener, metrics.registry(), json);
    io.hindsight.server.connect.ImportJobs imports =
        new io.hindsight.server.connect.ImportJobs(
            jobs, ingest, config.imports.roots, config.imports.s3.settings(), dataDir.resolve("imports"),
            scratch.resolve("imports"), json);
    // Jobs submitted before the log is read (retention's included) wait in the queue: afterLogRead.
    jobs.runRecurring(scheduler);
    if (feed != null) {
      // Like merges: each writer expires the endpoints whose entries it consumes.
      retention.expireOnly(feed::owns);
    }
    if (lakeFollower == null) {
      retention.start(scheduler);
    }
    idIndex = new IdFileIndex(lake, queryEngine, config.query.lookupIndexMaxBytes);
    idIndex.start(scheduler, Duration.ofSeconds(1));
    metrics.gauge("hindsight_lookup_index_files", "Lake files whose ids the lookup index holds", idIndex::files);
    metrics.gauge("hindsight_lookup_index_bytes", "Memory the lookup index takes", idIndex::bytes);
    metrics.gauge(
        "hindsight_lookup_index_over_budget_files",
        "Lake files left without a lookup index by query.lookup-index-max-bytes",
        idIndex::overBudget);
    metrics.counter("hindsight_lookup_files_read", "Lake files point lookups read", idIndex::filesRead);
    metrics.counter(
        "hindsight_lookup_unindexed_file_reads", "Files lookups read because the index did not cover them yet",
        idIndex::unindexedReads);
    StoreLookups lookups = new StoreLookups(queryEngine, schemas, lake, idIndex, json);
    lookups.pendingRows(lakeWriter::pending);
    lookups.auditProofs((endpoint, leaf) -> audit.proof(endpoint, leaf, null));
    api =
        new ApiServer(
            config,
            ingest,
            queryEngine,
            lookups,
            new AccessControl(keys, metrics),
            monitoring,
            monitor,
            metricStore,
            alerts,
            audit,
            clock,
            metrics,
            json);
    api.role(config.role);
    api.jobs(jobs, retention, erasure, json);
    api.backups(
        new Backups(
            dataDir,
            new Backups.Writes() {
              @Override
              public <T> T heldStill(Callable<T> action) throws Exception {
                return lakeWriter.betweenFlushes(() -> compaction.betweenMerges(() -> heldLog(action)));
              }
            },
            jobs, json, clock, config.backup.s3.settings()));
    api.media(media);
    api.imports(imports);
    api.start();
    afterLogRead(dataDir);
    // Alerts link back to the server; on port 0 its address is known only now.
    alerts.externalUrl(externalUrl(api.port()));
    queryEngine.awaitWorkers();
    String url = (config.tls.enabled() ? "https" : "http") + "://" + config.host + ":" + api.port();
    folderLock.describe(holder + ", listening on " + url);
    listening = true;
    log.info(
        "Hindsight listening on {} with data in {}{} (started in {} ms)",
        url,
        dataDir,
        keys.enabled() ? "; API keys required" : "",
        (System.nanoTime() - started) / 1_000_000);
  }

  /**
   * The Kafka transport (DESIGN §14): ingest sends each accepted request's entry to Kafka, and a
   * writer consumes the topic into the lake. Audit trails number their leaves in the order of one
   * write-ahead log, so an audited endpoint refuses records here instead of storing them unaudited.
   */
  private void startKafka(IngestService ingest, Clock clock) throws IOException {
    TransportSettings settings = config.transportSettings();
    try {
      sharedSchemas = SchemaLog.start(settings, schemas, json);
      metrics.health().add(sharedSchemas::problems);
      if (config.role.ingests() || config.role == Role.MONITOR) {
        // A monitor node's own records (alert events) reach the lake as any record does: through the writers.
        producer = EntryProducer.start(settings);
        ingest.sendTo(producer);
        ingest.shareSchemasThrough(sharedSchemas);
        ingest.auditing(endpoint -> {
          if (audit.rowsFor(endpoint) != null) {
            throw new ApiException(
                409, "endpoint " + endpoint + " is audited, and audit trails need transport.type: wal for now; nothing was stored");
          }
          return null;
        });
        // Without a log to truncate, the idempotency keys are saved on a timer.
        scheduler.every("hindsight-idempotency-save", Duration.ofSeconds(1), () -> {
          try {
            idempotency.persist();
          } catch (IOException e) {
            log.warn("could not save idempotency keys: {}", e.toString());
          }
        });
      }
      if (config.role.writesLake()) {
        feed = LakeFeed.start(settings, new KafkaLakeSink(lake, lakeWriter, lakeEdits::deletionMarks), config.lake.flushInterval, clock);
        // Writers sharing a lake merge only the lake partitions of the Kafka partitions they hold (one
        // endpoint's entries are in one Kafka partition), and hand a partition over between merges.
        compaction.mergeOnly(p -> feed.owns(p.endpoint()));
        feed.beforeHandOver(this::waitForMerge);
        if (lakeFollower == null) {
          compaction.start(config.lake.compactionInterval, queryEngine::refreshViews);
        }
        metrics.health().add(feed::problems);
        metrics.counter("hindsight_transport_entries_consumed", "Entries taken from Kafka since start", feed::entries);
        metrics.gauge("hindsight_transport_partitions_held", "Partitions of the records topic this writer consumes now", feed::partitionsHeld);
        metrics.counter(
            "hindsight_transport_partitions_lost",
            "Partitions the group gave to another writer while this one did not answer it (not handed over)", feed::partitionsLost);
        metrics.counter("hindsight_transport_commits", "Offset commits of the lake writer since start", feed::commits);
        metrics.counter(
            "hindsight_transport_retries_dropped", "Entries dropped as retries of a stored request that another ingest node accepted again",
            feed::retriesDropped);
        metrics.gauge("hindsight_transport_uncommitted_entries", "Entries taken from Kafka whose rows are not all in the lake yet", feed::uncommittedEntries);
        metrics.counter("hindsight_transport_lake_failures", "Times the lake could not be written since start (retried)", feed::flushFailures);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while connecting to Kafka", e);
    }
  }

  /**
   * Puts the catalog of schemas in the store for the nodes that follow it: at once, then within a
   * second of each change (a failed upload is tried again a second later).
   */
  private void shareCatalog(SharedCatalog catalog) {
    java.util.concurrent.atomic.AtomicBoolean changed = new java.util.concurrent.atomic.AtomicBoolean(true);
    schemas.onChange(() -> changed.set(true));
    Runnable publish = () -> {
      if (!changed.getAndSet(false)) {
        return;
      }
      try {
        catalog.publish();
      } catch (IOException e) {
        changed.set(true);
        log.warn("could not put the catalog of schemas in {} (tried again in a second): {}", lakeStore.describe(), e.toString());
      }
    };
    publish.run();
    scheduler.every("hindsight-catalog-share", Duration.ofSeconds(1), publish);
  }

  private void waitForMerge() {
    try {
      compaction.betweenMerges(() -> null);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * An erasure of an audited endpoint's predictions keeps their leaves and records a signed entry
   * naming them, so {@code audit verify} reports them as redacted, not as tampering.
   */
  private void redactErased(String endpoint, String jobId, List<ErasedRecord> records) throws IOException {
    List<Long> leaves = new ArrayList<>();
    records.forEach(r -> {
      if (r.auditIndex() != null) {
        leaves.add(r.auditIndex());
      }
    });
    if (!leaves.isEmpty()) {
      audit.log(endpoint).redact(jobId, leaves);
    }
  }

  /** The lake's written files as the metric store reads them. */
  private static PredictionFiles newFiles(WrittenFiles written) {
    return new PredictionFiles() {
      @Override
      public Batch take() {
        WrittenFiles.Taken t = written.take();
        return new Batch(t.links(), t.incomplete());
      }

      @Override
      public List<Path> snapshot(String endpoint, java.time.LocalDate from, java.time.LocalDate to) throws IOException {
        return written.snapshot(endpoint, from, to);
      }

      @Override
      public void release(List<Path> links) {
        written.release(links);
      }
    };
  }

  /**
   * The alert engine over the monitor's figures; each state change becomes an {@code alert} event,
   * which the SQL view {@code alerts} shows. Rules and notifiers of the config file are put at start.
   */
  private AlertEngine startAlerts(Path dataDir, Monitor monitor, IngestService ingest) throws IOException {
    queryEngine.addView(AlertHistory.VIEW, AlertHistory.SELECT);
    AlertEngine engine =
        new AlertEngine(
            dataDir.resolve("alerts"),
            scheduler,
            (rule, from, to) -> monitor.metric(rule.endpoint(), rule.metric(), rule.column(), rule.segment(), from, to),
            t -> storeEvent(ingest, t.endpoint(), "alert", AlertHistory.event(t)),
            metrics.registry(),
            AlertSettings.defaults(externalUrl(config.port)));
    try {
      for (Map.Entry<String, Map<String, Object>> n : config.alerts.notifiers.entrySet()) {
        engine.putNotifier(Notifier.fromJson(n.getKey(), json.valueToTree(n.getValue())));
      }
      for (Map.Entry<String, Map<String, Object>> r : config.alerts.rules.entrySet()) {
        engine.putRule(AlertRule.fromJson(r.getKey(), json.valueToTree(r.getValue())));
      }
    } catch (IllegalArgumentException e) {
      engine.close();
      throw new IllegalArgumentException("alerts in the config file: " + e.getMessage(), e);
    }
    return engine;
  }

  /** An event on an endpoint's timeline, stored like any other (retention and erasure report what they did). */
  private void recordEvent(IngestService ingest, String endpoint, String kind, String text, Map<String, Object> data) {
    Map<String, Object> event = new java.util.LinkedHashMap<>();
    event.put("kind", kind);
    event.put("text", text);
    event.put("data", data);
    storeEvent(ingest, endpoint, kind, event);
  }

  private void storeEvent(IngestService ingest, String endpoint, String kind, Object event) {
    if (producer == null && (config.followsLake() || !config.role.writesLake())) {
      // A node following a lake that others write has no way into it but Kafka.
      unrecordedEvents.incrementAndGet();
      log.warn("the {} event of {} is not recorded: this node ({} over {}) reaches the lake only through transport.type: kafka",
          kind, endpoint, config.role.publicName(), lakeStore.describe());
      return;
    }
    try {
      ingest.ingest(
          Table.EVENTS, endpoint, IngestService.Format.JSON, new java.io.ByteArrayInputStream(json.writeValueAsBytes(event)), null, null);
    } catch (IOException | RuntimeException e) {
      log.warn("could not record the {} event of {}: {}", kind, endpoint, e.toString());
    }
  }

  /** The server's address as people reach it: {@code alerts.external-url}, else scheme, host and port. */
  private java.net.URI externalUrl(int port) {
    return java.net.URI.create(
        config.alerts.externalUrl != null
            ? config.alerts.externalUrl
            : (config.tls.enabled() ? "https" : "http") + "://" + config.host + ":" + port);
  }

  /** Without API keys anyone who can reach the port could read everything: stay on loopback. */
  private static void requireLoopback(String host) throws IOException {
    for (java.net.InetAddress a : java.net.InetAddress.getAllByName(host)) {
      if (!a.isLoopbackAddress()) {
        throw new IllegalArgumentException(
            "refusing to listen on " + host + ": without API keys the server only binds a loopback address"
                + " (127.0.0.1 or ::1); configure API keys before exposing it to a network");
      }
    }
  }

  /**
   * A connection for background work that may wait (merges): on {@code query.background-threads},
   * so a large merge leaves cores to ingest, the lake writer and queries.
   */
  private DuckDBConnection backgroundConnection(Path tempDir) throws SQLException {
    DuckDBConnection c = connection(tempDir);
    try (java.sql.Statement st = c.createStatement()) {
      st.execute("SET threads = " + config.queryLimits().backgroundThreadsOrDefault());
    }
    return c;
  }

  /** An in-memory DuckDB for writing Parquet; UTC, so timestamps never shift with the host's zone. */
  private DuckDBConnection connection(Path tempDir) throws SQLException {
    DuckDBConnection c = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:");
    try (java.sql.Statement st = c.createStatement()) {
      st.execute("SET TimeZone = 'UTC'");
      // DuckDB would otherwise take up to 80% of the machine for a large merge.
      st.execute("SET memory_limit = '2GB'");
      DuckDbFiles.confineSpill(st, tempDir, config.query.maxTempSize);
    }
    return c;
  }

  /** Runs {@code action} between two commits of the log (for a backup's snapshot). */
  private <T> T heldLog(Callable<T> action) throws IOException {
    try {
      return wal.betweenCommits(action);
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
  }

  /**
   * Opens the write-ahead log, reading it in the background: the server answers queries, lookups
   * and everything else while a long backlog is read, and takes records once it is (DESIGN §8).
   * The reading holds off while the lake writer's backlog is over {@code
   * ingest.max-lake-backlog-bytes}, so a backlog larger than the heap is read as it is written.
   * Rows handed to the writer are found by lookups at once and by SQL once written.
   */
  private WriteAheadLog openLog(Path dataDir, Clock clock, LogTruncation truncation) throws IOException {
    LogReplay replay = new LogReplay(lake, lakeWriter, lakeEdits.deletionMarks());
    long replayStarted = System.nanoTime();
    long[] lastReport = {replayStarted};
    WriteAheadLog w =
        WriteAheadLog.openInBackground(
            dataDir.resolve("wal"),
            config.wal.segmentBytes,
            config.wal.queueCapacity,
            replay.minNextSeq(),
            (firstSeq, entry) -> {
              idempotency.rememberLogged(entry, clock.millis());
              audit.recover(entry);
              replay.entry(firstSeq, entry);
              while (config.role.writesLake() && lakeWriter.pendingBytes() > config.ingest.maxLakeBacklogBytes && !closed) {
                sleepBriefly();
              }
              if (System.nanoTime() - lastReport[0] > 5_000_000_000L) {
                lastReport[0] = System.nanoTime();
                log.info("reading the write-ahead log: {} records not yet in the lake handed to the lake writer so far", replay.replayed());
              }
            },
            lakeWriter::accept);
    w.keepFree(config.wal.minFreeBytes);
    if (w.unreadBytes() > 0) {
      log.info(
          "reading the write-ahead log ({} MB) in the background; the server answers meanwhile and takes records once it is read",
          w.unreadBytes() >> 20);
    }
    w.opened().thenRun(() -> {
      truncation.of(w);
      if (replay.replayed() > 0) {
        log.info(
            "replayed {} logged records that were not yet in the lake in {} ms; they are written while the server answers",
            replay.replayed(), (System.nanoTime() - replayStarted) / 1_000_000);
        logBacklogProgress();
      }
    });
    if (config.transport.kafka()) {
      // Records go through Kafka, whose feed shares the lake writer: the log is read first, as before.
      try {
        w.opened().join();
      } catch (java.util.concurrent.CompletionException e) {
        throw new IOException("could not read the write-ahead log: " + e.getCause().getMessage(), e.getCause());
      }
    }
    return w;
  }

  private static void sleepBriefly() {
    try {
      Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Starts the jobs once the log is read: an erasure, a deletion, retention or an import must see
   * (or go after) every acknowledged row; jobs submitted meanwhile wait in the queue.
   */
  private void afterLogRead(Path dataDir) {
    wal.opened().thenRunAsync(() -> {
      synchronized (this) {
        if (closed) {
          return;
        }
        try {
          jobs.start();
        } catch (IOException | RuntimeException e) {
          log.error("could not start the jobs in {}; restart the server", dataDir, e);
        }
      }
    }, r -> {
      Thread t = new Thread(r, "hindsight-after-log-read");
      t.setDaemon(true);
      t.start();
    });
  }

  /** Says every few seconds how much of a replayed backlog the lake writer still has to write, and when it is done. */
  private void logBacklogProgress() {
    long started = System.nanoTime();
    Scheduler.Task[] task = new Scheduler.Task[1];
    task[0] =
        scheduler.every(
            "backlog-progress",
            Duration.ofSeconds(5),
            () -> {
              long left = lakeWriter.pendingRows();
              if (left > 0) {
                log.info("writing the backlog into the lake: {} records left", left);
              } else {
                log.info("the backlog is in the lake, {} s after start", (System.nanoTime() - started) / 1_000_000_000);
                task[0].cancel();
              }
            });
  }

  /**
   * Closes this server when the JVM is asked to stop (SIGTERM, Ctrl+C), and blocks until then.
   * What the lake writer cannot write within its close budget stays in the log and is replayed at
   * the next start.
   */
  public void serveUntilShutdown() throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  closedWithin(this::close, config.shutdownTimeout);
                  stopped.countDown();
                },
                "hindsight-shutdown"));
    stopped.await();
  }

  /**
   * Runs {@code close} and returns after {@code limit} even if some part is still closing (a metric
   * store refresh or a query that does not stop at once): the process then exits, as an
   * orchestrator would kill it soon after. Nothing is lost by that: every acknowledged record is in
   * the write-ahead log (audit leaves included), and the next start finishes what was cut short.
   * Returns whether it finished.
   */
  static boolean closedWithin(Runnable close, Duration limit) {
    Thread closing = new Thread(close, "hindsight-close");
    closing.setDaemon(true);
    closing.start();
    try {
      closing.join(limit.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!closing.isAlive()) {
      return true;
    }
    log.warn(
        "still closing after {} ms (shutdown-timeout), in {}; exiting now: every acknowledged record is in the"
            + " write-ahead log, and the next start finishes what was cut short",
        limit.toMillis(), busyIn(closing));
    return false;
  }

  /** The innermost frame of this server's code a thread is in, to say what it waits for. */
  private static String busyIn(Thread t) {
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().startsWith("io.hindsight.")) {
        return e.getClassName().substring(e.getClassName().lastIndexOf('.') + 1) + "." + e.getMethodName();
      }
    }
    return "closing";
  }

  public int port() {
    return api.port();
  }

  public ServerMetrics metrics() {
    return metrics;
  }

  /** Merges the lake's small files now instead of at the next compaction interval; for tests and tools. */
  public int compactLake() throws IOException {
    return compaction.compactNow();
  }

  /**
   * Writes everything acknowledged so far into the lake, the log a start is still reading
   * included (its reading waits while the writer's backlog is full, so flushes drive it); for
   * tests and tools.
   */
  public void flushLake() {
    while (!wal.awaitOpen(10_000_000L) && !wal.opened().isCompletedExceptionally()) {
      lakeWriter.flushNow();
    }
    lakeWriter.flushNow();
  }

  /**
   * Stops listening, answers in-flight requests and closes the store, all within {@code
   * shutdown-timeout}: acknowledged rows are written to the lake while time is left; the rest stay
   * in the log, which the next start replays.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    long started = System.nanoTime();
    // What is left after the writer's deadline is for closing the rest (query workers, DuckDB).
    long writerDeadline = started + config.shutdownTimeout.toNanos() * 3 / 5;
    if (listening && lakeWriter != null) {
      log.info(
          "stopping: {} acknowledged records ({} MB) are not yet in the lake; what is not written within {} s stays in the"
              + " write-ahead log for the next start",
          lakeWriter.pendingRows(), lakeWriter.pendingBytes() >> 20, config.shutdownTimeout.toSeconds());
    }
    if (api != null) {
      api.stop();
    }
    if (media != null) {
      media.close();
    }
    // A running job stops at its next step, before the lake it edits closes, and resumes at the next start.
    if (retention != null) {
      retention.close();
    }
    if (jobs != null) {
      jobs.close();
    }
    if (producer != null) {
      producer.close();
    }
    // The feed writes and commits what it took before the lake writer closes.
    if (feed != null) {
      feed.close(Duration.ofNanos(Math.max(0, writerDeadline - System.nanoTime())));
    }
    if (sharedSchemas != null) {
      sharedSchemas.close();
    }
    try {
      if (wal != null) {
        wal.close();
      }
    } catch (IOException e) {
      log.warn("closing the log: {}", e.toString());
    }
    // The writer's last flush may rewrite files through compaction, so it closes first.
    if (lakeWriter != null) {
      lakeWriter.close(writerDeadline);
    }
    if (lakeFollower != null) {
      lakeFollower.close();
    }
    if (compaction != null) {
      compaction.close();
    }
    if (lakeEdits != null) {
      lakeEdits.close();
    }
    if (audit != null) {
      audit.close();
    }
    if (alerts != null) {
      alerts.close();
    }
    if (metricStore != null) {
      metricStore.close();
    }
    if (idIndex != null) {
      idIndex.close();
    }
    if (queryEngine != null) {
      queryEngine.close();
    }
    if (damaged != null) {
      damaged.close();
    }
    if (freshRows != null) {
      freshRows.close();
    }
    scheduler.close();
    if (lakeStore != null) {
      lakeStore.close();
    }
    if (folderLock != null) {
      try {
        folderLock.close();
      } catch (IOException e) {
        log.warn("releasing the data folder: {}", e.toString());
      }
    }
    if (!listening) {
      return; // a refused start: its error says why, and there was nothing to stop
    }
    long left = lakeWriter == null ? 0 : lakeWriter.pendingRows();
    log.info(
        "Hindsight stopped in {} ms{}", (System.nanoTime() - started) / 1_000_000,
        left == 0 ? "" : "; the write-ahead log replays the " + left + " records not yet in the lake at the next start");
  }
}
