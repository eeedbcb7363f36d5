package io.hindsight.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.auth.ApiKey;
import io.hindsight.server.auth.ApiKeys;
import io.hindsight.server.auth.Scope;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hindsight keys}: manage the API keys of a data folder. A running server picks changes up
 * within a second, so a revoked key stops working without a restart.
 */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "Create, list and revoke API keys.",
    subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  abstract static class DataDirOption {
    @Option(names = "--data-dir", description = "Data folder (default: ./hindsight-data).")
    Path dataDir = Path.of("hindsight-data");

    ApiKeys keys() {
      return new ApiKeys(dataDir.toAbsolutePath(), List.of());
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a key; its secret is printed once.")
  static final class Create extends DataDirOption implements Callable<Integer> {
    @Option(names = "--name", required = true, description = "A name to find and revoke the key by.")
    String name;

    @Option(names = "--scope", required = true, description = "write, read or admin; repeat for several.")
    List<String> scopes;

    @Option(names = "--endpoint", description = "For write keys: an endpoint it may write to; repeat for several (default: all).")
    List<String> endpoints = new ArrayList<>();

    @Option(names = "--print-config", description = "Also print the stored entry, for the auth.keys list of a config file.")
    boolean printConfig;

    @Override
    public Integer call() throws Exception {
      Set<Scope> parsed = EnumSet.noneOf(Scope.class);
      scopes.forEach(s -> parsed.add(Scope.parse(s)));
      ApiKeys keys = keys();
      ApiKeys.Created created = keys.create(name, parsed, endpoints);
      System.out.println(created.key());
      System.err.println("Key '" + name + "' created. This is the only time the key is shown; it is stored as a salted hash.");
      if (printConfig) {
        System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(keys.toJson(created.entry())));
      }
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys (never their secrets).")
  static final class ListKeys extends DataDirOption implements Callable<Integer> {
    @Override
    public Integer call() {
      List<ApiKey> all = keys().list();
      if (all.isEmpty()) {
        // On standard error, so that a script reading the list reads nothing.
        System.err.println("no API keys in " + dataDir.toAbsolutePath()
            + "; create one with: hindsight keys create --name NAME --scope read|write|admin");
      }
      for (ApiKey k : all) {
        System.out.printf(
            "%-24s %-18s %-30s %s%n",
            k.name(),
            String.join(",", k.scopes().stream().map(Scope::wireName).toList()),
            k.endpoints().isEmpty() ? "all endpoints" : String.join(",", k.endpoints()),
            k.revoked() ? "revoked" : "active since " + k.created());
      }
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key by name.")
  static final class Revoke extends DataDirOption implements Callable<Integer> {
    @Parameters(index = "0", description = "The key's name.")
    String name;

    @Override
    public Integer call() throws Exception {
      int n = keys().revoke(name);
      if (n == 0) {
        System.err.println("no live key named '" + name + "'");
        return 1;
      }
      System.out.println("revoked " + name);
      return 0;
    }
  }
}
