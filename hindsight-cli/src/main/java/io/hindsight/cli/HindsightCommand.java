package io.hindsight.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code hindsight} command line: one subcommand per job. */
@Command(
    name = "hindsight",
    mixinStandardHelpOptions = true,
    version = "hindsight 0.1.0",
    description = "A flight recorder for machine-learning models in production.",
    subcommands = {ServeCommand.class, QueryCommand.class})
public final class HindsightCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new HindsightCommand()).execute(args));
  }
}
