package io.cpol.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/**
 * A selector of connections that must not be connected, optionally until an instant. Inherits the
 * selector's "at least one matcher" rule; {@code until} alone is not a matcher.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DenyRule extends ConnectionSelector {
  @Pattern(SpecConstraints.RFC_3339)
  @JsonPropertyDescription(
      "RFC 3339 instant after which this rule no longer applies, e.g. 2026-12-31T00:00:00Z"
          + " (an offset such as +01:00 instead of Z is fine).")
  private String until;

  public String getUntil() {
    return until;
  }

  public void setUntil(String until) {
    this.until = until;
  }
}
