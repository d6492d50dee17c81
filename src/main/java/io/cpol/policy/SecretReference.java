package io.cpol.policy;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A Secret in the policy's own namespace holding Beebotte credentials. */
public class SecretReference {
  @Required
  @Pattern(SpecConstraints.SECRET_NAME)
  @Size(max = SpecConstraints.MAX_SECRET_NAME_LENGTH)
  @JsonPropertyDescription(
      "Name of a Secret in the policy's namespace with keys apiKey and secretKey, or token"
          + " (an IAM token starting with iamtkn).")
  private String name;

  public SecretReference() {}

  public SecretReference(String name) {
    this.name = name;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }
}
