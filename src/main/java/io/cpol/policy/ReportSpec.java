package io.cpol.policy;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** How much of what the operator saw goes into status. */
public class ReportSpec {
  public static final int DEFAULT_CONNECTIONS_LIMIT = SpecConstraints.DEFAULT_CONNECTIONS_LIMIT;

  @Min(SpecConstraints.MIN_CONNECTIONS_LIMIT)
  @Max(SpecConstraints.MAX_CONNECTIONS_LIMIT)
  @Default("" + SpecConstraints.DEFAULT_CONNECTIONS_LIMIT)
  @JsonPropertyDescription("How many sessions status.connections lists (denied first); 0..1000.")
  private Integer connectionsLimit;

  public Integer getConnectionsLimit() {
    return connectionsLimit;
  }

  public void setConnectionsLimit(Integer connectionsLimit) {
    this.connectionsLimit = connectionsLimit;
  }
}
