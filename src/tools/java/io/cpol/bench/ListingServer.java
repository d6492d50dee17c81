package io.cpol.bench;

import io.cpol.beebotte.BeebotteClient;
import io.cpol.beebotte.BeebotteClientConfig;
import io.cpol.beebotte.Connection;
import io.cpol.beebotte.ConnectionFilter;
import io.cpol.beebotte.Credentials;
import io.cpol.beebotte.OkHttpBeebotteClient;
import io.cpol.sim.BeebotteSimulator;
import io.cpol.sim.ConnectionGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The Beebotte simulator on loopback with one account per listing size, each holding that many
 * generated connections, and the operator's own client for each.
 */
final class ListingServer implements AutoCloseable {
  static final long SEED = 2026;

  private final BeebotteSimulator simulator;
  private final Map<Integer, List<Connection>> generated = new LinkedHashMap<>();
  private final Map<Integer, BeebotteClient> clients = new LinkedHashMap<>();
  private final OkHttpClient raw = new OkHttpClient();

  private ListingServer(BeebotteSimulator simulator) {
    this.simulator = simulator;
  }

  static ListingServer start(List<Integer> sizes) {
    BeebotteSimulator.Builder builder = BeebotteSimulator.builder();
    for (int size : sizes) {
      builder
          .account(owner(size), "key-" + size, "secret-" + size)
          .tokenFor(owner(size), token(size), "admin:connection:read", "admin:connection:write");
    }
    ListingServer server = new ListingServer(builder.build().start());
    for (int size : sizes) {
      List<Connection> connections = ConnectionGenerator.generate(size, SEED, owner(size));
      server.simulator.addConnections(connections);
      server.generated.put(size, connections);
      server.clients.put(
          size,
          new OkHttpBeebotteClient(
              BeebotteClientConfig.builder(new Credentials.Token(token(size)))
                  .baseUrl(server.simulator.baseUrl())
                  .build()));
    }
    return server;
  }

  /** The connections put in the account of this size (what a listing returns). */
  List<Connection> generated(int size) {
    return generated.get(size);
  }

  /** One listing through the operator's client: HTTP, then {@code ConnectionListDecoder}. */
  List<Connection> list(int size) {
    return clients.get(size).listConnections(ConnectionFilter.all());
  }

  /** The body of {@code GET /v1/connections} for the account of this size, as sent. */
  byte[] responseBytes(int size) {
    try (Response response = get(size)) {
      return response.body().bytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The same request, the body streamed through the plain Jackson loop; returns its count. */
  long listWithPlainLoop(int size, PlainJacksonLoop loop) {
    try (Response response = get(size);
        InputStream body = response.body().byteStream()) {
      return loop.decode(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Response get(int size) throws IOException {
    Response response =
        raw.newCall(
                new Request.Builder()
                    .url(simulator.baseUrl() + "/v1/connections")
                    .header("X-Auth-Token", token(size))
                    .header("Accept", "application/json")
                    .build())
            .execute();
    if (!response.isSuccessful()) {
      response.close();
      throw new IOException("listing failed: HTTP " + response.code());
    }
    return response;
  }

  @Override
  public void close() {
    clients.values().forEach(BeebotteClient::close);
    raw.dispatcher().executorService().shutdown();
    raw.connectionPool().evictAll();
    simulator.close();
  }

  BeebotteSimulator simulator() {
    return simulator;
  }

  static String owner(int size) {
    return "bench-" + size;
  }

  static String token(int size) {
    return "iamtkn_bench_" + size;
  }
}
