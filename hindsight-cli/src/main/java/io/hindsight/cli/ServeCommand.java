package io.hindsight.cli;

import io.hindsight.server.HindsightServer;
import io.hindsight.server.ServerConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hindsight serve}: the server, store and SQL engine in one process, until stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the Hindsight server.")
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--data-dir", description = "Data folder (default: ./hindsight-data).")
  Path dataDir;

  @Option(names = "--host", description = "Address to listen on (default: 127.0.0.1).")
  String host;

  @Option(names = "--port", description = "Port to listen on (default: 7070; 0 picks a free one).")
  Integer port;

  @Option(names = "--config", description = "YAML config file; flags override it.")
  Path config;

  @Option(names = "--print-config", description = "Print the effective configuration, defaults included, and exit.")
  boolean printConfig;

  @Option(
      names = "--role",
      description = "What this process does: all (default: everything), ingest, writer, monitor or query;"
          + " ingest and writer need transport.type: kafka.")
  String role;

  @Override
  public Integer call() throws Exception {
    ServerConfig c = config == null ? new ServerConfig() : ServerConfig.load(config);
    if (dataDir != null) {
      c.dataDir = dataDir;
    }
    if (host != null) {
      c.host = host;
    }
    if (port != null) {
      c.port = port;
    }
    if (role != null) {
      c.role = io.hindsight.server.Role.of(role);
    }
    c.validate();
    if (printConfig) {
      System.out.print(c.toYaml());
      return 0;
    }
    HindsightServer.start(c).serveUntilShutdown();
    return 0;
  }
}
