package io.hindsight.bench.server;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code --name value} and {@code --switch} command-line flags; an unknown flag is an error. */
final class Flags {
  private final Map<String, String> values = new HashMap<>();

  Flags(String[] args, Set<String> withValue, Set<String> switches) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String name = a;
      String value = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        name = a.substring(0, eq);
        value = a.substring(eq + 1);
      }
      if (switches.contains(name) && value == null) {
        values.put(name, "true");
      } else if (withValue.contains(name)) {
        if (value == null) {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException(name + " needs a value");
          }
          value = args[++i];
        }
        values.put(name, value);
      } else {
        throw new IllegalArgumentException(
            "unknown option '" + a + "'; options: " + withValue + " (with a value), " + switches);
      }
    }
  }

  String string(String name, String def) {
    return values.getOrDefault(name, def);
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  int integer(String name, int def) {
    return values.containsKey(name) ? Integer.parseInt(values.get(name).replace("_", "")) : def;
  }

  long longValue(String name, long def) {
    if (!values.containsKey(name)) {
      return def;
    }
    String v = values.get(name).replace("_", "").toLowerCase(Locale.ROOT);
    long mult = 1;
    if (v.endsWith("k")) {
      mult = 1_000;
    } else if (v.endsWith("m")) {
      mult = 1_000_000;
    }
    if (mult != 1) {
      v = v.substring(0, v.length() - 1);
    }
    return (long) (Double.parseDouble(v) * mult);
  }

  Duration duration(String name, Duration def) {
    return values.containsKey(name) ? parseDuration(values.get(name)) : def;
  }

  /** {@code 500ms}, {@code 60s}, {@code 2m}, or plain seconds. */
  static Duration parseDuration(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    if (v.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
    }
    if (v.endsWith("s")) {
      return Duration.ofMillis((long) (Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
    }
    if (v.endsWith("m")) {
      return Duration.ofMillis((long) (Double.parseDouble(v.substring(0, v.length() - 1)) * 60_000));
    }
    return Duration.ofMillis((long) (Double.parseDouble(v) * 1000));
  }
}
