package io.cpol.enforce;

/**
 * The matchers a rule can have, most selective first: a rule is indexed under the first one it uses
 * (see {@link CompiledRule#indexedBy()}).
 */
enum SelectorField {
  SIDS,
  USERIDS,
  USERNAMES,
  CHANNELS,
  USERID_PATTERNS,
  CLIENT_CIDRS,
  PROTOCOLS
}
