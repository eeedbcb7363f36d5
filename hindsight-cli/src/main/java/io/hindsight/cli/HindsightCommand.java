package io.hindsight.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code hindsight} command line: one subcommand per job. */
@Command(
    name = "hindsight",
    mixinStandardHelpOptions = true,
    versionProvider = HindsightCommand.Version.class,
    description = "A flight recorder for machine-learning models in production.",
    subcommands = {
      ServeCommand.class, QueryCommand.class, IngestCommand.class, ImportCommand.class, ReportCommand.class, KeysCommand.class,
      DemoCommand.class, AuditCommand.class, BackupCommand.class, RestoreCommand.class
    })
public final class HindsightCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** The one version of the build, as the SDK carries it from the POM. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"hindsight " + io.hindsight.Hindsight.VERSION};
    }
  }

  public static void main(String[] args) {
    try {
      LogFormat.choose(System.getenv("HINDSIGHT_LOG_FORMAT"), LogFormat.onTerminal()).apply();
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(2);
    }
    System.exit(commandLine().execute(args));
  }

  /** The command line with its error handling: a user's mistake is one line, not a stack trace. */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new HindsightCommand());
    // Configuration and start-up problems are the user's to fix: say what, not where in the code.
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof IllegalArgumentException || e instanceof java.io.IOException) {
            commandLine.getErr().println("error: " + e.getMessage());
            return 2;
          }
          throw e;
        });
    return cli;
  }
}
