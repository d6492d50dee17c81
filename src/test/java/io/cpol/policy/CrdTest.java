package io.cpol.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.build.CrdPrinterColumnOrder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The CRD generated from the Java model is the one committed under crds/, and says what the
 * contract says.
 */
class CrdTest {
  static final Path GENERATED =
      Path.of("target/classes/META-INF/fabric8/connectionpolicies.beebotte.io-v1.yml");
  static final Path COMMITTED = Path.of("crds/connectionpolicies.beebotte.io-v1.yml");

  @Test
  void committedCrdIsTheGeneratedOne() throws IOException {
    assertThat(Files.readString(COMMITTED))
        .as("crds/ is stale: run `mvn -B process-test-classes && cp %s %s`", GENERATED, COMMITTED)
        .isEqualTo(Files.readString(GENERATED));
  }

  @Test
  void namesAndPrinterColumnsFollowTheContract() throws IOException {
    CustomResourceDefinition crd = load();
    assertThat(crd.getSpec().getGroup()).isEqualTo("beebotte.io");
    assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
    assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("cpol");
    assertThat(crd.getSpec().getNames().getCategories()).containsExactly("beebotte");
    var version = crd.getSpec().getVersions().get(0);
    assertThat(version.getName()).isEqualTo("v1alpha1");
    assertThat(version.getSubresources().getStatus()).isNotNull();
    assertThat(version.getAdditionalPrinterColumns())
        .extracting(CustomResourceColumnDefinition::getName)
        .containsExactlyElementsOf(CrdPrinterColumnOrder.ORDER);
    assertThat(version.getAdditionalPrinterColumns())
        .as("-o wide only")
        .filteredOn(c -> c.getPriority() != null && c.getPriority() > 0)
        .extracting(CustomResourceColumnDefinition::getName)
        .containsExactly("Enforced", "Interval", "Omitted");
  }

  @Test
  void rulesWithoutMatchersAreRejectedBySchema() throws IOException {
    JSONSchemaProps spec =
        load()
            .getSpec()
            .getVersions()
            .get(0)
            .getSchema()
            .getOpenAPIV3Schema()
            .getProperties()
            .get("spec");
    assertThat(spec.getRequired()).contains("credentialsRef", "deny");
    JSONSchemaProps deny = spec.getProperties().get("deny");
    assertThat(deny.getMinItems()).isEqualTo(1L);
    assertThat(deny.getMaxItems()).isEqualTo(100L);
    for (String list : new String[] {"deny", "allow"}) {
      JSONSchemaProps item = spec.getProperties().get(list).getItems().getSchema();
      assertThat(item.getXKubernetesValidations())
          .extracting(ValidationRule::getRule)
          .singleElement()
          .asString()
          .contains("has(self.userids)", "has(self.protocols)", "has(self.clientCIDRs)")
          .doesNotContain("until");
      assertThat(item.getProperties().get("userids").getMinItems()).isEqualTo(1L);
    }
    assertThat(spec.getProperties().get("interval").getXKubernetesValidations())
        .extracting(ValidationRule::getRule)
        .singleElement()
        .asString()
        .contains("duration('1s')", "duration('24h')");
    assertThat(spec.getProperties().get("maxDropsPerSync").getMinimum()).isEqualTo(1.0);
  }

  private static CustomResourceDefinition load() throws IOException {
    return Serialization.unmarshal(Files.readString(COMMITTED), CustomResourceDefinition.class);
  }
}
