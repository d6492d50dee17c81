package io.cpol.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Who may depend on whom among the source rooms (CONTRIBUTING.md): production on none of the test
 * rooms, fixtures on nothing in tools or tests. Read from the compiled classes' constant pools, so
 * a reference by any means (import, fully qualified name, descriptor) counts.
 */
class SourceRoomsTest {
  private static final Path MAIN_CLASSES = Path.of("target/classes");
  private static final Path TEST_CLASSES = Path.of("target/test-classes");
  private static final Set<String> TEST_SCOPE_PACKAGES =
      Set.of("io/cpol/sim/", "io/cpol/testing/", "io/cpol/sandbox/", "io/cpol/bench/");
  private static final Pattern OUR_CLASS = Pattern.compile("io/cpol/[A-Za-z0-9_/$]+");

  @Test
  void productionReferencesNothingOfTheTestScope() {
    Set<String> testScope = new TreeSet<>();
    testScope.addAll(topLevelClasses(Path.of("src/test/java")));
    testScope.addAll(topLevelClasses(Path.of("src/fixtures/java")));
    testScope.addAll(topLevelClasses(Path.of("src/tools/java")));

    Map<String, Set<String>> violations =
        violations(classFiles(MAIN_CLASSES), referenced -> isTestScope(referenced, testScope));

    assertThat(classFiles(MAIN_CLASSES)).as("compiled production classes").isNotEmpty();
    assertThat(violations).as("production classes referencing test-scope classes").isEmpty();
  }

  @Test
  void fixturesReferenceNeitherToolsNorTests() {
    Set<String> fixtures = topLevelClasses(Path.of("src/fixtures/java"));
    Set<String> forbidden = new TreeSet<>(topLevelClasses(Path.of("src/tools/java")));
    forbidden.addAll(topLevelClasses(Path.of("src/test/java")));

    Map<String, Path> fixtureClasses =
        classFiles(TEST_CLASSES).entrySet().stream()
            .filter(e -> fixtures.contains(topLevel(e.getKey())))
            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    Map<String, Set<String>> violations =
        violations(fixtureClasses, referenced -> forbidden.contains(topLevel(referenced)));

    assertThat(fixtureClasses)
        .as("compiled fixture classes")
        .hasSizeGreaterThan(fixtures.size() / 2);
    assertThat(violations).as("fixture classes referencing tools or tests").isEmpty();
  }

  @Test
  void readsReferencesFromTheConstantPool() {
    Path operator = MAIN_CLASSES.resolve("io/cpol/ConnectionPolicyOperator.class");

    assertThat(referencedClasses(operator))
        .contains("io/cpol/ConnectionPolicyOperator", "io/cpol/OperatorConfig")
        .doesNotContain("io/cpol/sim/BeebotteSimulator");
    assertThat(isTestScope("io/cpol/sim/BeebotteSimulator", Set.of())).isTrue();
    assertThat(isTestScope("io/cpol/reconciler/AccountPassPipeline$Step", Set.of())).isFalse();
    assertThat(
            isTestScope(
                "io/cpol/reconciler/AccountPassPipeline$Step",
                Set.of("io/cpol/reconciler/AccountPassPipeline")))
        .isTrue();
  }

  private static boolean isTestScope(String className, Set<String> testScopeClasses) {
    return TEST_SCOPE_PACKAGES.stream().anyMatch(className::startsWith)
        || testScopeClasses.contains(topLevel(className));
  }

  private static Map<String, Set<String>> violations(
      Map<String, Path> classes, java.util.function.Predicate<String> forbidden) {
    Map<String, Set<String>> violations = new TreeMap<>();
    classes.forEach(
        (name, file) -> {
          Set<String> bad =
              referencedClasses(file).stream()
                  .filter(forbidden)
                  .collect(Collectors.toCollection(TreeSet::new));
          if (!bad.isEmpty()) {
            violations.put(name, bad);
          }
        });
    return violations;
  }

  /** Top-level classes a source root declares, one per file, as internal names. */
  private static Set<String> topLevelClasses(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .filter(f -> f.toString().endsWith(".java"))
          .map(f -> root.relativize(f).toString().replace('\\', '/').replaceAll("\\.java$", ""))
          .filter(name -> !name.endsWith("package-info"))
          .collect(Collectors.toCollection(TreeSet::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Class files below a directory, by internal name. */
  private static Map<String, Path> classFiles(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(f -> f.toString().endsWith(".class"))
          .collect(
              Collectors.toMap(
                  f -> dir.relativize(f).toString().replace('\\', '/').replaceAll("\\.class$", ""),
                  f -> f,
                  (a, b) -> a,
                  TreeMap::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String topLevel(String internalName) {
    int dollar = internalName.indexOf('$');
    return dollar < 0 ? internalName : internalName.substring(0, dollar);
  }

  /**
   * Every class of ours a class file names in its constant pool: class entries, and the types in
   * descriptors and generic signatures (all of them Utf8 entries).
   */
  static Set<String> referencedClasses(Path classFile) {
    Set<String> names = new TreeSet<>();
    try (InputStream in = Files.newInputStream(classFile);
        DataInputStream data = new DataInputStream(in)) {
      if (data.readInt() != 0xCAFEBABE) {
        throw new IllegalArgumentException("not a class file: " + classFile);
      }
      data.readUnsignedShort(); // minor version
      data.readUnsignedShort(); // major version
      int count = data.readUnsignedShort();
      for (int i = 1; i < count; i++) {
        int tag = data.readUnsignedByte();
        switch (tag) {
          case 1 -> {
            Matcher m = OUR_CLASS.matcher(data.readUTF());
            while (m.find()) {
              names.add(m.group());
            }
          }
          case 7, 8, 16, 19, 20 -> data.skipBytes(2);
          case 15 -> data.skipBytes(3);
          case 3, 4, 9, 10, 11, 12, 17, 18 -> data.skipBytes(4);
          case 5, 6 -> {
            data.skipBytes(8);
            i++; // eight-byte constants take two slots
          }
          default ->
              throw new IllegalArgumentException(
                  "constant pool tag " + tag + " at entry " + i + " of " + classFile);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }
}
