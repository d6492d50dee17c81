package io.cpol.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.cpol.policy.ConnectionPolicy;
import io.cpol.policy.ConnectionPolicyStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Test;

/** Building the next status write on our own last write while the informer lags behind it. */
class WrittenStatusesTest {
  private final WrittenStatuses written = new WrittenStatuses();

  @Test
  void withoutAWriteTheInformersCopyIsUsed() {
    ConnectionPolicy cached = policy("5", 1);
    assertThat(written.freshest(cached)).isSameAs(cached);
  }

  @Test
  void whileTheInformerShowsAVersionOurWritesReplacedTheLastWriteIsBuiltOn() {
    ConnectionPolicy first = policy("5", 1);
    written.wrote(first, policy("6", 2));
    written.wrote(policy("6", 2), policy("7", 3));

    for (String lagging : new String[] {"5", "6"}) {
      ConnectionPolicy cached = policy(lagging, 1);
      ConnectionPolicy fresh = written.freshest(cached);
      assertThat(fresh.getMetadata().getResourceVersion()).isEqualTo("7");
      assertThat(fresh.getStatus().getDropped()).isEqualTo(3L);
      assertThat(fresh.getSpec()).isSameAs(cached.getSpec());
      assertThat(fresh.getMetadata().getGeneration()).isEqualTo(4L);
      // The informer's copy itself is never changed.
      assertThat(cached.getMetadata().getResourceVersion()).isEqualTo(lagging);
    }
  }

  @Test
  void onceTheInformerHasCaughtUpItsCopyIsUsedAgain() {
    written.wrote(policy("5", 1), policy("6", 2));
    ConnectionPolicy caughtUp = policy("6", 2);
    assertThat(written.freshest(caughtUp)).isSameAs(caughtUp);
    // Forgotten: a later lagging copy (a relist) is not mistaken for ours.
    ConnectionPolicy older = policy("5", 1);
    assertThat(written.freshest(older)).isSameAs(older);
  }

  @Test
  void aVersionSomeoneElseWroteWinsSoARealConflictIsStillRefused() {
    written.wrote(policy("5", 1), policy("6", 2));
    ConnectionPolicy theirs = policy("9", 7);
    assertThat(written.freshest(theirs)).isSameAs(theirs);
  }

  @Test
  void aRefusedWriteForgetsTheChain() {
    written.wrote(policy("5", 1), policy("6", 2));
    written.forget("uid-1");
    ConnectionPolicy cached = policy("5", 1);
    assertThat(written.freshest(cached)).isSameAs(cached);
  }

  @Test
  void aWriteNotBuiltOnOurLastStartsANewChain() {
    written.wrote(policy("5", 1), policy("6", 2));
    // Built on the informer's copy after someone else wrote 8.
    written.wrote(policy("8", 5), policy("9", 6));
    assertThat(written.freshest(policy("8", 5)).getMetadata().getResourceVersion()).isEqualTo("9");
    // 6 was replaced by someone else's write, not by ours: the informer's copy is used.
    ConnectionPolicy beforeTheirs = policy("6", 2);
    assertThat(written.freshest(beforeTheirs)).isSameAs(beforeTheirs);
  }

  private static ConnectionPolicy policy(String resourceVersion, long dropped) {
    ConnectionPolicy p = new ConnectionPolicy();
    p.setMetadata(
        new ObjectMetaBuilder()
            .withName("p")
            .withNamespace("iot")
            .withUid("uid-1")
            .withGeneration(4L)
            .withResourceVersion(resourceVersion)
            .build());
    ConnectionPolicyStatus status = new ConnectionPolicyStatus();
    status.setDropped(dropped);
    p.setSpec(new io.cpol.policy.ConnectionPolicySpec());
    p.setStatus(status);
    return p;
  }
}
