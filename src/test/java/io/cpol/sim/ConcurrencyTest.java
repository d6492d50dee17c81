package io.cpol.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cpol.beebotte.Connection;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Several clients listing while others drop: every answer is whole and the end state adds up. */
class ConcurrencyTest {
  static final int CONNECTIONS = 5_000;
  static final int LISTERS = 4;
  static final int LISTS_EACH = 25;
  static final int DROPPERS = 3;

  @Test
  void listingWhileDroppingIsConsistent() throws Exception {
    try (BeebotteSimulator sim =
        BeebotteSimulator.builder()
            .account("acme", "k", "s")
            .token("iamtkn_rw", Authenticator.READ, Authenticator.WRITE)
            .build()
            .start()) {
      List<Connection> seeded = ConnectionGenerator.generate(CONNECTIONS, 11, null);
      sim.addConnections(seeded);
      List<String> userids = seeded.stream().map(Connection::userid).distinct().toList();
      List<String> toDrop = userids.subList(0, userids.size() / 2);
      Set<String> listedSizes = ConcurrentHashMap.newKeySet();

      ExecutorService pool = Executors.newFixedThreadPool(LISTERS + DROPPERS);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < LISTERS; t++) {
        futures.add(
            pool.submit(
                () -> {
                  TokenClient client = new TokenClient(sim, "iamtkn_rw");
                  int previous = Integer.MAX_VALUE;
                  for (int i = 0; i < LISTS_EACH; i++) {
                    JsonNode all = client.list("/v1/connections");
                    // Only drops happen, so each listing is no longer than the one before.
                    assertThat(all.size()).isLessThanOrEqualTo(previous).isPositive();
                    previous = all.size();
                    listedSizes.add(Integer.toString(all.size()));
                  }
                  return null;
                }));
      }
      for (int t = 0; t < DROPPERS; t++) {
        int offset = t;
        futures.add(
            pool.submit(
                () -> {
                  TokenClient client = new TokenClient(sim, "iamtkn_rw");
                  for (int i = offset; i < toDrop.size(); i += DROPPERS) {
                    HttpResponse<String> r =
                        client.delete(
                            "/v1/connections/drop/" + ApiSemanticsTest.pathSegment(toDrop.get(i)));
                    assertThat(r.statusCode()).isEqualTo(200);
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
      pool.shutdown();

      Set<String> dropped = Set.copyOf(toDrop);
      List<Connection> expectedLeft =
          seeded.stream().filter(c -> !dropped.contains(c.userid())).toList();
      assertThat(sim.connections()).hasSameSizeAs(expectedLeft);
      assertThat(sim.drops()).hasSize(CONNECTIONS - expectedLeft.size());
      assertThat(sim.drops().stream().map(d -> d.connection().userid()).collect(Collectors.toSet()))
          .isEqualTo(dropped);
      assertThat(sim.requests()).hasSize(LISTERS * LISTS_EACH + toDrop.size());
      System.out.printf(
          "Concurrency smoke: %d listings saw %d distinct sizes while %d userids were dropped%n",
          LISTERS * LISTS_EACH, listedSizes.size(), toDrop.size());
    }
  }
}
