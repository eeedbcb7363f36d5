package io.hindsight.server;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The server's layering, written down and checked on every build (docs/ARCHITECTURE.md draws it).
 * Each package may use only the packages listed for it; everything may use {@link ApiException}.
 * Packages not built yet have their place here already, so they are born into it.
 */
class LayeringTest {
  private static final String ROOT = "io.hindsight.server";

  /** Package → the server packages it may use, bottom first. */
  static final Map<String, Set<String>> ALLOWED = new LinkedHashMap<>();

  static {
    ALLOWED.put("files", Set.of());
    ALLOWED.put("objects", Set.of("files"));
    ALLOWED.put("schema", Set.of("files"));
    ALLOWED.put("ops", Set.of("schema"));
    ALLOWED.put("wal", Set.of("schema", "files"));
    ALLOWED.put("transport", Set.of("wal", "schema", "ops", "files"));
    ALLOWED.put("lake", Set.of("wal", "schema", "ops", "files", "objects"));
    ALLOWED.put("auth", Set.of("ops", "files"));
    ALLOWED.put("jobs", Set.of("ops", "files"));
    ALLOWED.put("backup", Set.of("jobs", "ops", "files", "objects"));
    ALLOWED.put("ingest", Set.of("wal", "transport", "schema", "ops", "files"));
    ALLOWED.put("query", Set.of("lake", "schema", "ops", "files"));
    ALLOWED.put("audit", Set.of("query", "lake", "wal", "schema", "ops", "files"));
    ALLOWED.put("retention", Set.of("lake", "query", "schema", "ops", "files", "jobs"));
    ALLOWED.put("monitor", Set.of("query", "schema", "ops", "files"));
    ALLOWED.put("alert", Set.of("monitor", "query", "schema", "ops", "files"));
    ALLOWED.put("connect", Set.of("ingest", "query", "schema", "ops", "files", "jobs", "objects"));
    ALLOWED.put("media", Set.of("objects"));
    ALLOWED.put("web", Set.of("monitor", "alert", "audit", "query", "schema", "ops"));
    ALLOWED.put(
        "http",
        Set.of("web", "connect", "alert", "monitor", "audit", "query", "ingest", "auth", "lake", "schema", "ops", "files",
            "jobs", "retention", "backup", "media"));
  }

  private static final JavaClasses SERVER =
      new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(ROOT);

  @Test
  void everyPackageUsesOnlyThePackagesBelowIt() {
    for (Map.Entry<String, Set<String>> e : ALLOWED.entrySet()) {
      String[] forbidden =
          ALLOWED.keySet().stream()
              .filter(p -> !p.equals(e.getKey()) && !e.getValue().contains(p))
              .map(p -> ROOT + "." + p + "..")
              .toArray(String[]::new);
      noClasses()
          .that()
          .resideInAPackage(ROOT + "." + e.getKey() + "..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(forbidden)
          .because("docs/ARCHITECTURE.md: '" + e.getKey() + "' may use only " + e.getValue())
          .allowEmptyShould(true)
          .check(SERVER);
    }
  }

  @Test
  void everyPackageHasItsPlaceInTheLayering() {
    Set<String> packages =
        SERVER.stream()
            .map(c -> c.getPackageName())
            .filter(p -> p.startsWith(ROOT + "."))
            .map(p -> p.substring(ROOT.length() + 1).split("\\.")[0])
            .collect(Collectors.toSet());
    assertThat(ALLOWED.keySet())
        .as("a new package gets its place in LayeringTest.ALLOWED and docs/ARCHITECTURE.md first")
        .containsAll(packages);
  }

  @Test
  void onlyTheCompositionRootAndTheHttpLayerReadTheWholeConfiguration() {
    noClasses()
        .that()
        .resideOutsideOfPackages(ROOT, ROOT + ".http..")
        .should()
        .dependOnClassesThat()
        .belongToAnyOf(ServerConfig.class, HindsightServer.class)
        .because("packages take their own settings records (IngestLimits, QueryLimits, CompactionPolicy)")
        .check(SERVER);
  }

  @Test
  void packagesDoNotDependOnEachOtherInCircles() {
    slices().matching(ROOT + ".(*)..").should().beFreeOfCycles().check(SERVER);
  }

  @Test
  void theLayeringNamesOnlyKnownPackages() {
    // A package allowed to use one missing from the table would make its rule say nothing.
    assertThat(ALLOWED.values().stream().flatMap(Set::stream)).allMatch(ALLOWED::containsKey);
  }
}
