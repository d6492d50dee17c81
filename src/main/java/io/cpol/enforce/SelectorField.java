package io.cpol.enforce;

/**
 * The matchers a rule can have, most selective first: a rule is indexed under the first one it uses
 * (see {@link CompiledRule#indexedBy()}).
 */
enum SelectorField {
  SIDS("sids"),
  USERIDS("userids"),
  USERNAMES("usernames"),
  CHANNELS("channels"),
  USERID_PATTERNS("useridPatterns"),
  CLIENT_CIDRS("clientCIDRs"),
  PROTOCOLS("protocols");

  private final String specName;

  SelectorField(String specName) {
    this.specName = specName;
  }

  /** The field's name in the ConnectionPolicy spec. */
  String specName() {
    return specName;
  }
}
