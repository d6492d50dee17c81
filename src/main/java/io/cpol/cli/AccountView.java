package io.cpol.cli;

import io.cpol.beebotte.Connection;
import io.cpol.enforce.AccountEvaluation;
import io.cpol.enforce.AccountPass;
import io.cpol.enforce.AccountPolicies;
import io.cpol.enforce.DecidingPolicy;
import io.cpol.enforce.Verdict;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * One Beebotte account as the operator sees it in a pass: its policies in account order, one
 * listing, and the operator's own evaluation of every session against every policy ({@link
 * AccountPass}).
 */
final class AccountView {
  private final String endpoint;
  private final String owner;
  private final List<PolicyEntry> policies;
  private final AccountEvaluation evaluation;
  private final Instant now;

  AccountView(
      String endpoint,
      String owner,
      List<PolicyEntry> policies,
      List<Connection> listing,
      Instant now) {
    this.endpoint = endpoint;
    this.owner = owner;
    this.policies = List.copyOf(policies);
    this.now = now;
    boolean[] all = new boolean[this.policies.size()];
    Arrays.fill(all, true);
    this.evaluation =
        AccountPass.evaluate(
            new AccountPolicies(this.policies.stream().map(PolicyEntry::compiled).toList()),
            listing,
            all,
            now);
  }

  /** One policy's decision on one session, as the plugin shows it. */
  record Decision(SessionVerdict verdict, PolicyEntry policy, String rule) {
    static final Decision NONE = new Decision(SessionVerdict.Allowed, null, null);
  }

  String endpoint() {
    return endpoint;
  }

  /** The account name the listing shows; null when it showed none. */
  String owner() {
    return owner;
  }

  /** {@code owner at endpoint}, or the endpoint alone. */
  String describe() {
    return owner == null ? endpoint : owner + " at " + endpoint;
  }

  List<PolicyEntry> policies() {
    return policies;
  }

  AccountEvaluation evaluation() {
    return evaluation;
  }

  List<Connection> listing() {
    return evaluation.observed();
  }

  Instant now() {
    return now;
  }

  int indexOf(PolicyEntry entry) {
    return policies.indexOf(entry);
  }

  /** Policy {@code p}'s decision on session {@code i}. */
  Decision decisionOf(int p, int i) {
    Verdict v = evaluation.verdict(p, i);
    PolicyEntry policy = policies.get(p);
    if (v.denied()) {
      return new Decision(
          policy.dryRun() ? SessionVerdict.WouldDrop : SessionVerdict.Denied, policy, v.rule());
    }
    return v.overriddenByAllow()
        ? new Decision(SessionVerdict.Allowed, policy, v.rule())
        : new Decision(SessionVerdict.Allowed, null, null);
  }

  /** The account's decision on session {@code i}, by {@link DecidingPolicy}. */
  Decision decide(int i) {
    int p =
        DecidingPolicy.of(
            policies.size(), k -> evaluation.verdict(k, i), k -> policies.get(k).dryRun());
    return p < 0 ? Decision.NONE : decisionOf(p, i);
  }
}
