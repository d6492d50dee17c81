package io.cpol.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.cpol.beebotte.Protocol;
import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicySpec;
import io.cpol.policy.Enforcement;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The samples under deploy/samples/ are ConnectionPolicies the contract and the CRD accept. */
class SamplesTest {
  static final Path SAMPLES = DeployManifests.DEPLOY_DIR.resolve("samples");
  static final String SECRET_TEMPLATE = "beebotte-credentials.yaml";

  /** The field names of the contract (docs/connectionpolicy-api.md), independent of the CRD. */
  static final Set<String> SPEC_FIELDS =
      Set.of(
          "credentialsRef",
          "endpoint",
          "interval",
          "enforcement",
          "suspend",
          "maxDropsPerSync",
          "deny",
          "allow",
          "report");

  static final Set<String> SELECTOR_FIELDS =
      Set.of(
          "userids", "useridPatterns", "sids", "usernames", "channels", "clientCIDRs", "protocols");

  static final ObjectMapper STRICT =
      new YAMLMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  static final Map<String, Object> SPEC_SCHEMA =
      CrdSchemaCheck.specSchema(
          DeployManifests.parseYaml(DeployManifests.CRD_FILE).get(0), "v1alpha1");

  @Test
  void kustomizationListsEveryPolicySampleButNeverTheSecretTemplate() throws IOException {
    Map<String, Object> kustomization = single(SAMPLES.resolve("kustomization.yaml"));
    assertThat(kustomization).containsOnlyKeys("apiVersion", "kind", "resources");
    try (Stream<Path> files = Files.list(SAMPLES)) {
      List<String> policies =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".yaml"))
              .filter(n -> !n.equals("kustomization.yaml") && !n.equals(SECRET_TEMPLATE))
              .toList();
      // Applying the samples must never replace a real Secret with the template's placeholders.
      assertThat(DeployManifests.strings(kustomization.get("resources")))
          .containsExactlyInAnyOrderElementsOf(policies)
          .doesNotContain(SECRET_TEMPLATE)
          .contains("revoke-device.yaml", "dryrun-contractors.yaml", "block-socketio.yaml");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"revoke-device.yaml", "dryrun-contractors.yaml", "block-socketio.yaml"})
  void sampleUsesOnlyContractFieldsAndLeavesNamespaceAndEndpointToTheUser(String file) {
    Map<String, Object> policy = single(SAMPLES.resolve(file));
    assertThat(policy).containsOnlyKeys("apiVersion", "kind", "metadata", "spec");
    assertThat(policy).containsEntry("apiVersion", "beebotte.io/v1alpha1");
    assertThat(policy).containsEntry("kind", "ConnectionPolicy");
    assertThat(DeployManifests.metadata(policy)).containsOnlyKeys("name");

    Map<String, Object> spec = DeployManifests.map(policy.get("spec"));
    assertThat(SPEC_FIELDS).containsAll(spec.keySet());
    assertThat(spec).doesNotContainKey("endpoint").containsKeys("credentialsRef", "deny");
    for (Map<String, Object> rule : DeployManifests.listOfMaps(spec.get("deny"))) {
      assertThat(rule.keySet()).isSubsetOf(union(SELECTOR_FIELDS, Set.of("until")));
      assertThat(rule.keySet())
          .as("a deny rule needs a matcher")
          .containsAnyElementsOf(SELECTOR_FIELDS);
    }
    for (Map<String, Object> rule : DeployManifests.listOfMaps(spec.get("allow"))) {
      assertThat(rule.keySet()).isSubsetOf(SELECTOR_FIELDS).isNotEmpty();
    }
    assertThat(DeployManifests.map(spec.get("credentialsRef")))
        .isEqualTo(Map.of("name", secretTemplateName()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"revoke-device.yaml", "dryrun-contractors.yaml", "block-socketio.yaml"})
  void sampleIsAcceptedByTheCrdSchema(String file) {
    Map<String, Object> spec = DeployManifests.map(single(SAMPLES.resolve(file)).get("spec"));
    assertThat(CrdSchemaCheck.violations(SPEC_SCHEMA, spec, "spec")).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"revoke-device.yaml", "dryrun-contractors.yaml", "block-socketio.yaml"})
  void sampleBindsToTheJavaModelWithoutUnknownFields(String file) {
    Map<String, Object> spec = DeployManifests.map(single(SAMPLES.resolve(file)).get("spec"));
    ConnectionPolicySpec bound = STRICT.convertValue(spec, ConnectionPolicySpec.class);
    assertThat(bound.getDeny()).isNotEmpty();
    assertThat(bound.readReport().unknownFields()).isEmpty();
    assertThat(bound.readReport().unreadable()).isEmpty();
  }

  @Test
  void schemaCheckAndModelRejectWhatTheApiServerWould() {
    Map<String, Object> spec =
        DeployManifests.parseYaml(
                """
                credentialsRef: {name: Not_A_Name}
                enforcement: Drop
                interval: 30 seconds
                maxDropsPerSync: 0
                deny: []
                allow: [{protocols: [websocket]}]
                report: {connectionsLimit: 5000, extra: 1}
                """)
            .get(0);
    assertThat(CrdSchemaCheck.violations(SPEC_SCHEMA, spec, "spec"))
        .hasSize(8)
        .anyMatch(v -> v.startsWith("spec.credentialsRef.name"))
        .anyMatch(v -> v.startsWith("spec.enforcement"))
        .anyMatch(v -> v.startsWith("spec.interval"))
        .anyMatch(v -> v.startsWith("spec.maxDropsPerSync"))
        .anyMatch(v -> v.startsWith("spec.deny items"))
        .anyMatch(v -> v.startsWith("spec.allow[0].protocols[0]"))
        .anyMatch(v -> v.startsWith("spec.report.connectionsLimit"))
        .anyMatch(v -> v.startsWith("spec.report.extra"));
    assertThat(
            STRICT
                .convertValue(
                    Map.of("deny", List.of(Map.of("userid", List.of("x")))),
                    ConnectionPolicySpec.class)
                .readReport()
                .unknownFields())
        .containsExactly("spec.deny[0].userid");
  }

  @Test
  void samplesSayWhatTheirNamesPromise() {
    ConnectionPolicy revoke = policy("revoke-device.yaml");
    assertThat(revoke.getSpec().getEnforcement()).isEqualTo(Enforcement.Enforce);
    assertThat(revoke.getSpec().getDeny()).singleElement();
    assertThat(revoke.getSpec().getDeny().get(0).getUserids()).hasSize(1);
    assertThat(revoke.getSpec().getAllow()).isNull();

    ConnectionPolicy contractors = policy("dryrun-contractors.yaml");
    assertThat(contractors.getSpec().getEnforcement()).isEqualTo(Enforcement.DryRun);
    assertThat(contractors.getSpec().getDeny()).singleElement();
    assertThat(contractors.getSpec().getDeny().get(0).getUseridPatterns())
        .containsExactly("contractor-*");

    ConnectionPolicy socketio = policy("block-socketio.yaml");
    assertThat(socketio.getSpec().getEnforcement()).isEqualTo(Enforcement.Enforce);
    assertThat(socketio.getSpec().getDeny()).singleElement();
    assertThat(socketio.getSpec().getDeny().get(0).getProtocols())
        .containsExactly(Protocol.socketio);
    assertThat(socketio.getSpec().getAllow()).singleElement();
    assertThat(socketio.getSpec().getAllow().get(0).getUserids()).hasSize(1);
  }

  @Test
  void secretTemplateHasPlaceholdersForBothCredentialForms() throws IOException {
    Map<String, Object> secret = single(SAMPLES.resolve(SECRET_TEMPLATE));
    assertThat(secret).containsEntry("apiVersion", "v1").containsEntry("kind", "Secret");
    assertThat(DeployManifests.metadata(secret)).containsOnlyKeys("name");
    assertThat(DeployManifests.map(secret.get("stringData")))
        .containsOnlyKeys("apiKey", "secretKey");
    assertThat(Files.readAllLines(SAMPLES.resolve(SECRET_TEMPLATE)))
        .anyMatch(line -> line.trim().startsWith("# token: iamtkn"));
  }

  @Test
  void kubectlRendersTheSamples() {
    assumeTrue(
        DeployManifests.kubectlAvailable(),
        "kubectl is not on the PATH: skipping the `kubectl kustomize` check");
    DeployManifests rendered = DeployManifests.render(SAMPLES);
    assertThat(rendered.objects())
        .hasSize(3)
        .allMatch(o -> "ConnectionPolicy".equals(o.get("kind")));
    assertThat(rendered.objects())
        .allSatisfy(o -> assertThat(DeployManifests.metadata(o)).doesNotContainKey("namespace"));
  }

  private static String secretTemplateName() {
    return (String) DeployManifests.metadata(single(SAMPLES.resolve(SECRET_TEMPLATE))).get("name");
  }

  private static ConnectionPolicy policy(String file) {
    try {
      return new KubernetesSerialization()
          .unmarshal(Files.readString(SAMPLES.resolve(file)), ConnectionPolicy.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Object> single(Path file) {
    List<Map<String, Object>> documents = DeployManifests.parseYaml(file);
    assertThat(documents).as(file.toString()).hasSize(1);
    return documents.get(0);
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    return Stream.concat(a.stream(), b.stream()).collect(Collectors.toSet());
  }
}
