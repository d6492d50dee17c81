package io.cpol.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** What a ConnectionPolicy asks for: which connections to keep off one Beebotte account. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonDeserialize(using = TolerantReader.Spec.class)
public class ConnectionPolicySpec {
  public static final String DEFAULT_ENDPOINT = SpecConstraints.DEFAULT_ENDPOINT;
  public static final String DEFAULT_INTERVAL = SpecConstraints.DEFAULT_INTERVAL;
  public static final int DEFAULT_MAX_DROPS_PER_SYNC = SpecConstraints.DEFAULT_MAX_DROPS_PER_SYNC;

  @Required
  @JsonPropertyDescription("The Secret, in this namespace, with the Beebotte account credentials.")
  private SecretReference credentialsRef;

  @Pattern(SpecConstraints.ENDPOINT)
  @JsonPropertyDescription(
      "Base URL of the Beebotte API (http or https, host, optional port and path; no user info,"
          + " query or fragment). When absent, the operator's default endpoint applies ("
          + SpecConstraints.DEFAULT_ENDPOINT
          + " unless the operator is configured otherwise).")
  private String endpoint;

  @Pattern(SpecConstraints.GO_DURATION)
  @ValidationRule(
      value = SpecConstraints.INTERVAL_IN_RANGE,
      message = SpecConstraints.INTERVAL_OUT_OF_RANGE)
  @Default(SpecConstraints.DEFAULT_INTERVAL)
  @JsonPropertyDescription(
      "How often to re-list the account's connections (Go duration, "
          + SpecConstraints.MIN_INTERVAL
          + ".."
          + SpecConstraints.MAX_INTERVAL
          + ").")
  private String interval;

  @Default("Enforce")
  @JsonPropertyDescription(
      "Enforce drops denied connections; DryRun only reports what would be dropped.")
  private Enforcement enforcement;

  @Default("false")
  @JsonPropertyDescription("When true, the operator neither lists nor drops anything.")
  private Boolean suspend;

  @Min(SpecConstraints.MIN_DROPS_PER_SYNC)
  @Default("" + SpecConstraints.DEFAULT_MAX_DROPS_PER_SYNC)
  @JsonPropertyDescription(
      "At most this many connections are dropped per sync; the rest wait for the next sync.")
  private Integer maxDropsPerSync;

  @Required
  @Size(min = SpecConstraints.MIN_DENY_RULES, max = SpecConstraints.MAX_RULES)
  @JsonPropertyDescription("Rules; a connection matching any rule is denied (unless allowed).")
  private List<DenyRule> deny;

  @Size(max = SpecConstraints.MAX_RULES)
  @JsonPropertyDescription("Exceptions; a connection matching any of these is never dropped.")
  private List<ConnectionSelector> allow;

  @JsonPropertyDescription("What status reports.")
  private ReportSpec report;

  /** Not a property: what reading this spec left out. */
  private transient TolerantReader.ReadReport readReport = TolerantReader.ReadReport.CLEAN;

  /** Unknown fields (ignored) and unreadable values (which make the spec invalid) of this spec. */
  public TolerantReader.ReadReport readReport() {
    return readReport;
  }

  void recordReading(TolerantReader.ReadReport report) {
    this.readReport = report;
  }

  public SecretReference getCredentialsRef() {
    return credentialsRef;
  }

  public void setCredentialsRef(SecretReference credentialsRef) {
    this.credentialsRef = credentialsRef;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public String getInterval() {
    return interval;
  }

  public void setInterval(String interval) {
    this.interval = interval;
  }

  public Enforcement getEnforcement() {
    return enforcement;
  }

  public void setEnforcement(Enforcement enforcement) {
    this.enforcement = enforcement;
  }

  public Boolean getSuspend() {
    return suspend;
  }

  public void setSuspend(Boolean suspend) {
    this.suspend = suspend;
  }

  public Integer getMaxDropsPerSync() {
    return maxDropsPerSync;
  }

  public void setMaxDropsPerSync(Integer maxDropsPerSync) {
    this.maxDropsPerSync = maxDropsPerSync;
  }

  public List<DenyRule> getDeny() {
    return deny;
  }

  public void setDeny(List<DenyRule> deny) {
    this.deny = deny;
  }

  public List<ConnectionSelector> getAllow() {
    return allow;
  }

  public void setAllow(List<ConnectionSelector> allow) {
    this.allow = allow;
  }

  public ReportSpec getReport() {
    return report;
  }

  public void setReport(ReportSpec report) {
    this.report = report;
  }
}
