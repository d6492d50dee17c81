package io.cpol.live;

import java.util.List;

/**
 * Where the account engine hands what it sees, for the live sessions API: after each pass, the
 * account's sessions as listed less what the pass closed; when its policies change, the new set;
 * when it stops, that it is gone. {@code publisher} is the engine (one account may move from engine
 * to engine when lanes merge or split). Calls must not block the engine.
 */
public interface ListingSink {
  ListingSink NONE =
      new ListingSink() {
        @Override
        public void listed(Object publisher, AccountListing listing) {}

        @Override
        public void policiesChanged(Object publisher, List<ListedPolicy> policies) {}

        @Override
        public void gone(Object publisher) {}
      };

  void listed(Object publisher, AccountListing listing);

  /** The publisher's policies changed (added, removed, new generation) since its last listing. */
  void policiesChanged(Object publisher, List<ListedPolicy> policies);

  void gone(Object publisher);
}
