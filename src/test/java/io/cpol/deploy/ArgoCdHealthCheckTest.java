package io.cpol.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Argo CD health check for ConnectionPolicy. The script runs under a local Lua interpreter when
 * one is installed (Lua 5.1 preferred: Argo CD embeds gopher-lua, a Lua 5.1); without one, those
 * cases are skipped and only the packaging is checked.
 */
class ArgoCdHealthCheckTest {
  static final Path SCRIPT = Path.of("deploy/argocd/connectionpolicy-health.lua");
  static final Path CONFIGMAP_PATCH = Path.of("deploy/argocd/argocd-cm-patch.yaml");
  static final Path CASES = Path.of("src/test/resources/deploy/argocd-health-cases.yaml");
  static final String HEALTH_KEY = "resource.customizations.health.beebotte.io_ConnectionPolicy";

  @Test
  void configMapPatchCarriesTheScriptVerbatim() throws IOException {
    Map<String, Object> patch = DeployManifests.parseYaml(CONFIGMAP_PATCH).get(0);
    assertThat(patch).containsEntry("apiVersion", "v1").containsEntry("kind", "ConfigMap");
    assertThat(DeployManifests.metadata(patch))
        .isEqualTo(Map.of("name", "argocd-cm", "namespace", "argocd"));
    assertThat(DeployManifests.map(patch.get("data")))
        .containsEntry(HEALTH_KEY, Files.readString(SCRIPT));
  }

  static Stream<Arguments> cases() throws IOException {
    List<Map<String, Object>> cases =
        new YAMLMapper().readValue(CASES.toFile(), new TypeReference<>() {});
    return cases.stream()
        .map(c -> Arguments.of(c.get("name"), c.get("health"), c.get("message"), c.get("object")));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("cases")
  void healthFollowsTheConditions(
      String name, String health, String message, Map<String, Object> object, @TempDir Path dir)
      throws Exception {
    Optional<String> lua = luaInterpreter();
    assumeTrue(lua.isPresent(), "no lua5.1, lua5.4 or lua on the PATH: skipping the Lua run");

    List<String> result = runScript(lua.get(), object, dir);

    assertThat(result.get(0)).isEqualTo(health);
    assertThat(result.get(1)).isNotBlank();
    if (message != null) {
      assertThat(result.get(1)).contains(message);
    }
  }

  private static List<String> runScript(String lua, Map<String, Object> object, Path dir)
      throws IOException, InterruptedException {
    Path program = dir.resolve("run.lua");
    Files.writeString(
        program,
        "obj = "
            + luaLiteral(object)
            + "\nlocal hs = dofile("
            + luaLiteral(SCRIPT.toAbsolutePath().toString())
            + ")\nio.write(hs.status, \"\\n\", hs.message or \"\")\n");
    Process process = new ProcessBuilder(lua, program.toString()).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return List.of(output.split("\n", 2));
  }

  /** A Lua table constructor for a parsed YAML value, like Argo CD hands the object over. */
  static String luaLiteral(Object value) {
    if (value instanceof Map<?, ?> map) {
      return map.entrySet().stream()
          .map(
              e -> "[" + luaLiteral(String.valueOf(e.getKey())) + "] = " + luaLiteral(e.getValue()))
          .collect(Collectors.joining(", ", "{", "}"));
    }
    if (value instanceof List<?> list) {
      return list.stream()
          .map(ArgoCdHealthCheckTest::luaLiteral)
          .collect(Collectors.joining(", ", "{", "}"));
    }
    if (value instanceof String string) {
      return "\"" + string.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
    if (value instanceof Number || value instanceof Boolean) {
      return value.toString();
    }
    if (value == null) {
      return "nil";
    }
    throw new IllegalArgumentException("No Lua literal for " + value.getClass());
  }

  private static Optional<String> luaInterpreter() {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String candidate : List.of("lua5.1", "lua5.4", "lua")) {
      for (String dir : path.split(File.pathSeparator)) {
        Path executable = Path.of(dir, candidate);
        if (!dir.isEmpty() && Files.isExecutable(executable)) {
          return Optional.of(executable.toString());
        }
      }
    }
    return Optional.empty();
  }
}
