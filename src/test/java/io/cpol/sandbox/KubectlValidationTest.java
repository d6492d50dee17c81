package io.cpol.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cpol.policy.ConnectionPolicy;
import io.cpol.testing.ValidationCases;
import io.cpol.testing.ValidationCases.Case;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The validation table through the real kubectl against the sandbox, as a user would meet it:
 * {@code apply}, {@code apply --dry-run=server} and {@code create --validate=strict} accept every
 * valid input and refuse every invalid one naming its field; {@code apply --validate=false} drops
 * unknown fields, as a real API server does. Writes the table to {@code
 * target/validation-table.md}. Skipped when kubectl is not on the PATH.
 */
class KubectlValidationTest {
  static final Path TABLE = Path.of("target/validation-table.md");
  @TempDir static Path dir;
  private static Sandbox sandbox;
  private static Kubectl kubectl;
  private static Path cases;

  @BeforeAll
  static void startSandbox() throws Exception {
    assumeTrue(Kubectl.installed(), "kubectl is not on the PATH");
    sandbox =
        Sandbox.start(
            SandboxOptions.parse(
                "--k8s-port=0",
                "--beebotte-port=0",
                "--metrics-port=0",
                "--sessions-port=0",
                "--mqtt-port=off",
                "--socketio-port=off",
                "--connections=20",
                "--kubeconfig=" + dir.resolve("kubeconfig")));
    kubectl = new Kubectl(sandbox.kubeconfig(), dir);
    cases = Files.createDirectories(dir.resolve("cases"));
    for (Case c : ValidationCases.all()) {
      Files.writeString(file(c), Serialization.asYaml(c.object()));
    }
    sandbox.awaitConverged(Duration.ofSeconds(30));
  }

  @AfterAll
  static void stopSandbox() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @Test
  void theValidationTableAsKubectlSeesIt() throws Exception {
    List<Case> all = ValidationCases.all();
    Kubectl.Run dryRun = kubectl.run("apply", "--dry-run=server", "-f", cases.toString());
    assertThat(policies()).as("a server dry run stores nothing").isEmpty();
    Kubectl.Run strictCreate = kubectl.run("create", "--validate=strict", "-f", cases.toString());
    deleteAll();
    Map<String, Kubectl.Run> applied = new LinkedHashMap<>();
    for (Case c : all) {
      applied.put(c.id(), kubectl.run("apply", "-f", file(c).toString()));
    }
    deleteAll();
    Kubectl.Run lax = kubectl.run("apply", "--validate=false", "-f", cases.toString());

    StringBuilder table =
        new StringBuilder(
            "| # | input | `kubectl apply` (also `--dry-run=server`, `create --validate=strict`)"
                + " | `kubectl apply --validate=false` |\n|---|---|---|---|\n");
    for (Case c : all) {
      Kubectl.Run apply = applied.get(c.id());
      String one = apply.exit() == 0 ? outcome(c, apply.all()) : message(apply.all());
      String batchedDryRun = outcome(c, dryRun.all());
      String batchedCreate = outcome(c, strictCreate.all());
      String withoutValidation = outcome(c, lax.all());
      if (c.valid()) {
        assertThat(apply.exit()).as("%s: %s", c, apply.all()).isZero();
        assertThat(one).as("%s", c).startsWith("created");
        assertThat(batchedDryRun).as("%s", c).isEqualTo("created (server dry run)");
        assertThat(batchedCreate).as("%s", c).isEqualTo("created");
        assertThat(withoutValidation).as("%s", c).isEqualTo("created");
      } else {
        assertThat(apply.exit()).as("%s: %s", c, apply.all()).isNotZero();
        for (String refusal : List.of(one, batchedDryRun, batchedCreate)) {
          assertThat(refusal).as("%s", c).doesNotStartWith("created").contains(mention(c));
        }
        if (c.id().equals("i44")) {
          // Unknown fields are pruned without validation, as on a cluster: the rule loses its
          // expiry and is otherwise valid.
          assertThat(withoutValidation).as("%s", c).isEqualTo("created");
        } else {
          assertThat(withoutValidation).as("%s", c).doesNotStartWith("created");
        }
      }
      table
          .append("| ")
          .append(c.id())
          .append(" | ")
          .append(cell(c.title()))
          .append(" | ")
          .append(cell(c.valid() ? one : "rejected at apply: " + one))
          .append(" | ")
          .append(cell(withoutValidation.startsWith("created") ? afterLaxApply(c) : "rejected"))
          .append(" |\n");
    }
    Files.createDirectories(TABLE.getParent());
    Files.writeString(TABLE, table.toString());
  }

  @Test
  void theReadmeExampleWorksAsItIs() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    int start =
        readme.indexOf("```yaml\n", readme.indexOf("which works as it is against `bin/sandbox`"));
    String example = readme.substring(start + 8, readme.indexOf("```", start + 8));
    Path file = Files.writeString(dir.resolve("readme-example.yaml"), example);

    Kubectl.Run run = kubectl.run("apply", "-f", file.toString());

    assertThat(run.all()).contains("connectionpolicy.beebotte.io/revoke-contractors created");
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              Condition ready = Sandbox.condition(policy("revoke-contractors"), "Ready");
              assertThat(ready).isNotNull();
              assertThat(ready.getStatus()).as(ready.getMessage()).isEqualTo("True");
            });
  }

  @Test
  void authCanIAndWhoAmIAnswerForTheSingleUser() throws Exception {
    Kubectl.Run canI = kubectl.run("auth", "can-i", "create", "connectionpolicies");
    Kubectl.Run list = kubectl.run("auth", "can-i", "--list");
    Kubectl.Run whoami = kubectl.run("auth", "whoami");

    assertThat(canI.exit()).as(canI.all()).isZero();
    assertThat(canI.stdout().trim()).isEqualTo("yes");
    assertThat(list.exit()).as(list.all()).isZero();
    assertThat(list.stdout()).contains("*.*");
    assertThat(whoami.exit()).as(whoami.all()).isZero();
    assertThat(whoami.stdout()).containsPattern("Username +sandbox");
  }

  @Test
  void unknownFieldsWarnWhenAskedTo() throws Exception {
    Case typo =
        ValidationCases.all().stream().filter(c -> c.id().equals("i44")).findFirst().orElseThrow();
    Path file = dir.resolve("warn.yaml");
    Files.writeString(
        file, Serialization.asYaml(typo.object()).replace("name: \"i44\"", "name: \"warned\""));

    Kubectl.Run warn = kubectl.run("apply", "--validate=warn", "-f", file.toString());

    assertThat(warn.exit()).as(warn.all()).isZero();
    assertThat(warn.stderr()).contains("Warning: unknown field \"spec.deny[0].untill\"");
    ConnectionPolicy stored =
        sandbox
            .client()
            .resources(ConnectionPolicy.class)
            .inNamespace("sandbox")
            .withName("warned")
            .get();
    assertThat(stored.getSpec().getDeny().get(0).getUntil()).isNull();
  }

  /** What the operator made of an invalid input a real API server accepts without validation. */
  private static String afterLaxApply(Case c) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> Sandbox.condition(policy(c.id()), "Ready") != null);
    Condition condition = Sandbox.condition(policy(c.id()), "Ready");
    String ready = "Ready=" + condition.getStatus() + " " + condition.getReason();
    if (c.valid()) {
      return "accepted; "
          + ready
          + (condition.getReason().equals("BeebotteUnavailable")
              ? " (its endpoint is not the simulator)"
              : "");
    }
    return "accepted, unknown field dropped; " + ready + " (the rule no longer expires)";
  }

  private static ConnectionPolicy policy(String name) {
    return sandbox
        .client()
        .resources(ConnectionPolicy.class)
        .inNamespace("sandbox")
        .withName(name)
        .get();
  }

  private static List<ConnectionPolicy> policies() {
    return sandbox
        .client()
        .resources(ConnectionPolicy.class)
        .inNamespace("sandbox")
        .list()
        .getItems()
        .stream()
        .filter(p -> p.getMetadata().getName().matches("[vi][0-9]+"))
        .toList();
  }

  private static void deleteAll() throws Exception {
    Kubectl.Run deleted =
        kubectl.run("delete", "-f", cases.toString(), "--ignore-not-found", "--wait=false");
    assertThat(deleted.exit()).as(deleted.all()).isZero();
    await().atMost(Duration.ofSeconds(10)).until(() -> policies().isEmpty());
  }

  private static Path file(Case c) {
    return cases.resolve(c.id() + ".yaml");
  }

  /** What kubectl said about this case in a run over the whole directory, or alone. */
  private static String outcome(Case c, String output) {
    String created = "connectionpolicy.beebotte.io/" + c.id() + " ";
    for (String line : output.lines().toList()) {
      if (line.startsWith(created)) {
        return line.substring(created.length());
      }
      if (line.contains("/" + c.id() + ".yaml\"")
          || line.contains("\"" + c.id() + "\" is invalid")) {
        return line;
      }
    }
    return output.lines().filter(l -> !l.isBlank()).findFirst().map(l -> output).orElse("");
  }

  /** The text an error for {@code c} must contain: its field, or what kubectl says instead. */
  private static String mention(Case c) {
    if (c.field().equals("metadata.namespace")) {
      return "namespaces \"" + c.namespace() + "\" not found";
    }
    if (c.id().equals("i43") || c.id().equals("i44")) {
      return "unknown field \"" + c.field() + "\"";
    }
    return c.field() + ":";
  }

  /** A refusal as one line: kubectl's message without the long patterns. */
  private static String message(String output) {
    String text = String.join(" ", output.strip().lines().map(String::strip).toList());
    text = text.replaceAll("should match '\\^.{40,}?\\$'", "should match '(the pattern)'");
    text = text.replace(cases.toString() + "/", "");
    return text.length() > 400 ? text.substring(0, 400) + "..." : text;
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }
}
