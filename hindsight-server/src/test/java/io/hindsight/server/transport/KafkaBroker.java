package io.hindsight.server.transport;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real Kafka broker for tests: one KRaft node in combined mode (broker and controller) in a JVM of
 * its own, from the {@code kafka_2.13} artifact on the test class path, listening on loopback ports
 * picked at random, with its log in a folder of the test. {@link #stop()} shuts it down cleanly,
 * {@link #kill()} is {@code kill -9}; {@link #start()} brings it back on the same ports and log.
 */
public final class KafkaBroker implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Path dir;
  private final int port;
  private final int controllerPort;
  private final Path properties;
  private Process process;

  /** Formats a fresh log under {@code dir} and starts the broker; returns once it answers. */
  public static KafkaBroker start(Path dir) throws IOException, InterruptedException {
    KafkaBroker broker = new KafkaBroker(dir);
    broker.format();
    broker.start();
    return broker;
  }

  private KafkaBroker(Path dir) throws IOException {
    this.dir = dir;
    this.port = freePort();
    this.controllerPort = freePort();
    this.properties = dir.resolve("server.properties");
    Files.createDirectories(dir);
    Files.writeString(properties, serverProperties());
  }

  /** {@code host:port} for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  private String serverProperties() {
    return String.join(
        "\n",
        "process.roles=broker,controller",
        "node.id=1",
        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
        "log.dirs=" + dir.resolve("log"),
        "num.partitions=1",
        "default.replication.factor=1",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=false",
        "log.segment.bytes=4194304",
        "num.network.threads=2",
        "num.io.threads=2",
        "background.threads=2",
        "");
  }

  private void format() throws IOException, InterruptedException {
    Process p =
        launch(
            "kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(), "-c", properties.toString(),
            "--ignore-formatted")
            .redirectOutput(dir.resolve("format.log").toFile())
            .start();
    if (!p.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("formatting the Kafka log failed:\n" + Files.readString(dir.resolve("format.log")));
    }
  }

  /** Starts the broker process and waits (bounded) until it answers a cluster description. */
  public void start() throws IOException, InterruptedException {
    process =
        launch("kafka.Kafka", properties.toString())
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker.log").toFile()))
            .start();
    // A test JVM that ends without closing the broker (a timeout, Ctrl+C) takes it along.
    Process started = process;
    Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "kafka-broker-stop"));
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    Properties admin = new Properties();
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
    admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
    try (Admin a = Admin.create(admin)) {
      while (true) {
        if (!process.isAlive()) {
          throw new IOException("the Kafka broker exited at start:\n" + tail());
        }
        try {
          a.describeCluster().nodes().get(3, TimeUnit.SECONDS);
          return;
        } catch (Exception notYet) {
          if (System.nanoTime() > deadline) {
            process.destroyForcibly();
            throw new IOException("the Kafka broker did not answer within " + START_TIMEOUT + ":\n" + tail());
          }
          Thread.sleep(100);
        }
      }
    }
  }

  /** Stops the broker as SIGTERM does (a clean shutdown), bounded. */
  public void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** Kills the broker at once ({@code kill -9}). */
  public void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }

  private ProcessBuilder launch(String mainClass, String... args) {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(
        List.of(
            java, "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
            "-cp", System.getProperty("java.class.path"), mainClass));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectErrorStream(true);
  }

  private String tail() throws IOException {
    List<String> lines = Files.readAllLines(dir.resolve("broker.log"));
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
