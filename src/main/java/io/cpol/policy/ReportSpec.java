package io.cpol.policy;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** How much of what the operator saw goes into status. */
public class ReportSpec {
  public static final int DEFAULT_CONNECTIONS_LIMIT = 100;

  @Min(0)
  @Max(1000)
  @Default("100")
  @JsonPropertyDescription("How many sessions status.connections lists (denied first); 0..1000.")
  private Integer connectionsLimit;

  public Integer getConnectionsLimit() {
    return connectionsLimit;
  }

  public void setConnectionsLimit(Integer connectionsLimit) {
    this.connectionsLimit = connectionsLimit;
  }
}
