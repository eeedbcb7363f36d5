package io.hindsight.bench.server;

import io.hindsight.server.HindsightServer;
import io.hindsight.server.ServerConfig;
import java.nio.file.Path;
import java.util.Set;

/**
 * What {@code hindsight serve} does, started by {@link ServerProcess} in its own JVM on the bench
 * class path (so a run needs no launcher build): default configuration, a data folder and a port;
 * stops cleanly on SIGTERM, writing everything acknowledged into the lake first.
 */
public final class ServerMain {
  private ServerMain() {}

  public static void main(String[] args) throws Exception {
    Flags f = new Flags(args, Set.of("--data-dir", "--port", "--host", "--config"), Set.of());
    ServerConfig c = f.has("--config") ? ServerConfig.load(Path.of(f.string("--config", null))) : new ServerConfig();
    c.dataDir = Path.of(f.string("--data-dir", "hindsight-data"));
    c.host = f.string("--host", "127.0.0.1");
    c.port = f.integer("--port", 7070);
    HindsightServer server = HindsightServer.start(c);
    System.out.println("READY port=" + server.port());
    System.out.flush();
    server.serveUntilShutdown();
  }
}
