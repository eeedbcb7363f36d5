package io.hindsight.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hindsight.server.audit.AuditExport;
import io.hindsight.server.audit.AuditVerifier;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hindsight audit}: verify the audit trail of a data folder (the server may be running or
 * not; nothing is changed), export records with their proofs, and verify such an export.
 */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "Verify and export the tamper-evident audit trail of audited endpoints.",
    subcommands = {AuditCommand.Verify.class, AuditCommand.Export.class})
final class AuditCommand implements Runnable {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Recompute every leaf from the lake, rebuild each audit log and check every signed checkpoint.",
        "Prints 'OK <endpoint> <n> records root <hash>' (exit 0) or names the first bad record",
        "'FAIL <endpoint> record <index> <prediction_id>: altered|missing|reordered|unexpected' (exit 1).",
        "With --bundle, checks an export with its own key, checkpoint and proofs only."
      })
  static final class Verify implements Callable<Integer> {
    @Option(names = "--endpoint", description = "Only this endpoint (default: every audited endpoint).")
    String endpoint;

    @Option(names = "--data-dir", description = "Data folder (default: ./hindsight-data).")
    Path dataDir = Path.of("hindsight-data");

    @Option(names = "--bundle", description = "An export folder (hindsight audit export) to verify instead of a data folder.")
    Path bundle;

    @Override
    public Integer call() throws Exception {
      AuditVerifier.Report report =
          bundle != null
              ? new AuditExport(JSON).verifyBundle(bundle)
              : new AuditVerifier(dataDir.toAbsolutePath(), JSON).verify(endpoint);
      report.lines().forEach(System.out::println);
      return report.ok() ? 0 : 1;
    }
  }

  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = "Write an endpoint's audited records of a period with their inclusion proofs, the signed checkpoint and the public key to a folder.")
  static final class Export implements Callable<Integer> {
    @Option(names = "--endpoint", required = true, description = "The audited endpoint.")
    String endpoint;

    @Option(names = "--from", description = "First day or instant (YYYY-MM-DD or RFC 3339), inclusive (default: the beginning).")
    String from;

    @Option(names = "--to", description = "Last day (inclusive) or instant (exclusive) (default: now).")
    String to;

    @Option(names = "--out", required = true, description = "Folder to write the bundle to.")
    Path out;

    @Option(names = "--data-dir", description = "Data folder (default: ./hindsight-data).")
    Path dataDir = Path.of("hindsight-data");

    @Override
    public Integer call() throws Exception {
      long n = new AuditExport(JSON).export(dataDir.toAbsolutePath(), endpoint, instant("--from", from, false), instant("--to", to, true), out);
      System.out.println("exported " + n + " records of '" + endpoint + "' to " + out + "; check with: hindsight audit verify --bundle " + out);
      return 0;
    }

    /** A day (its start, or for an end the next day's start) or an instant; null when not given. */
    private static Instant instant(String option, String v, boolean end) {
      if (v == null) {
        return null;
      }
      try {
        if (v.length() == 10) {
          LocalDate d = LocalDate.parse(v);
          return (end ? d.plusDays(1) : d).atStartOfDay(ZoneOffset.UTC).toInstant();
        }
        return Instant.parse(v);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(option + " must be a day (2026-11-22) or an RFC 3339 instant, not '" + v + "'");
      }
    }
  }
}
