package io.cpol.enforce;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.cpol.policy.ConnectionPolicySpec;
import java.io.IOException;
import java.io.UncheckedIOException;

/** ConnectionPolicy specs written in YAML, as users write them. */
public final class TestSpecs {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private TestSpecs() {}

  /** A spec from YAML (the content under {@code spec:}). */
  public static ConnectionPolicySpec spec(String yaml) {
    try {
      return YAML.readValue(yaml, ConnectionPolicySpec.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A spec with credentials and the given YAML for the rest, e.g. {@code deny: [{sids: [s1]}]}. */
  public static ConnectionPolicySpec specWith(String yaml) {
    return spec("credentialsRef: {name: beebotte-account}\n" + yaml);
  }

  public static CompiledPolicy compile(String yaml) {
    try {
      return CompiledPolicy.compile(specWith(yaml));
    } catch (InvalidSpecException e) {
      throw new AssertionError("expected a valid spec: " + e.getMessage(), e);
    }
  }
}
