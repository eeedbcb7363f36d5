package io.hindsight.cli;

import java.util.Locale;

/**
 * How the log lines of a command look: one JSON object a line for log collectors (the default
 * where output goes to a file, a pipe or a container's log), or plain lines for a person at a
 * terminal. {@code HINDSIGHT_LOG_FORMAT=json|text} chooses either way; a {@code
 * logback.configurationFile} of the user's own wins over both.
 */
enum LogFormat {
  JSON("logback.xml"),
  TEXT("hindsight-logback-text.xml");

  private final String configuration;

  LogFormat(String configuration) {
    this.configuration = configuration;
  }

  /** The format {@code setting} names, else text on a terminal and JSON elsewhere. */
  static LogFormat choose(String setting, boolean terminal) {
    if (setting == null || setting.isBlank()) {
      return terminal ? TEXT : JSON;
    }
    try {
      return valueOf(setting.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("HINDSIGHT_LOG_FORMAT is '" + setting + "'; use json or text");
    }
  }

  /** Whether standard input and output are a terminal, as far as this Java can tell. */
  static boolean onTerminal() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      // Java 22 to 24 hand out a console even when output is redirected; they can say whether it is a terminal.
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException olderJava) {
      return true; // before Java 22 there is a console only on a terminal
    }
  }

  /** Has logging start in this format; before the first logger is made. */
  void apply() {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", configuration);
    }
  }
}
