package io.cpol.live;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpExchange;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Writes sessions to a response as the request asks: one object, a list page or a watch stream,
 * each as objects or as a Table, streamed with Jackson (a page of 500 is never held as JSON text).
 */
final class SessionResponses {
  static final String JSON_TYPE = "application/json";
  static final String WATCH_TYPE = "application/json;stream=watch";
  // With a codec, so a Status tree can go into a watch stream.
  private static final JsonFactory JSON =
      new com.fasterxml.jackson.databind.ObjectMapper().getFactory();
  private static final int BUFFER = 64 * 1024;

  private final SessionSource source;
  private final Clock clock;
  private final int watchQueue;
  private final Duration defaultWatchTimeout;
  private final Duration bookmarkEvery;
  private final int minPageSize;

  /**
   * @param watchQueue events a watch may have waiting before it is ended
   * @param defaultWatchTimeout how long a watch lasts without {@code timeoutSeconds}
   * @param bookmarkEvery how often an idle watch that allows bookmarks gets one
   * @param minPageSize the fewest items a page holds when more follow ({@link
   *     SessionsApiSettings#minPageSize()})
   */
  SessionResponses(
      SessionSource source,
      Clock clock,
      int watchQueue,
      Duration defaultWatchTimeout,
      Duration bookmarkEvery,
      int minPageSize) {
    this.minPageSize = minPageSize;
    this.source = source;
    this.clock = clock;
    this.watchQueue = watchQueue;
    this.defaultWatchTimeout = defaultWatchTimeout;
    this.bookmarkEvery = bookmarkEvery;
  }

  /** One session, or 404. */
  void get(HttpExchange ex, ApiRoute route, ListOptions options, ResponseFormat format)
      throws IOException {
    Optional<Session> found = source.get(route.namespace(), route.name());
    if (found.isEmpty()) {
      ApiServerResponses.status(ex, ApiStatus.notFound(route.name()));
      return;
    }
    Session s = found.get();
    try (JsonGenerator g = begin(ex, JSON_TYPE)) {
      if (format.isTable()) {
        table(g, format, Long.toString(s.resourceVersion()), null, 0, options, s);
      } else {
        SessionJson.object(g, s);
      }
    }
  }

  /**
   * One page.
   *
   * @throws ExpiredException when the continue token is too old (410)
   * @throws IllegalArgumentException when it is no token of this server (400)
   */
  void list(HttpExchange ex, SessionQuery query, ListOptions options, ResponseFormat format)
      throws IOException {
    int limit = options.limit() == 0 ? 0 : Math.max(options.limit(), minPageSize);
    SessionPage page = source.list(query, limit, options.continueToken());
    try (JsonGenerator g = begin(ex, JSON_TYPE)) {
      if (format.isTable()) {
        table(
            g,
            format,
            page.resourceVersion(),
            page.continueToken(),
            page.remaining(),
            options,
            page.items().toArray(Session[]::new));
        return;
      }
      g.writeStartObject();
      g.writeStringField("apiVersion", SessionsApi.GROUP_VERSION);
      g.writeStringField("kind", SessionsApi.LIST_KIND);
      listMeta(g, page.resourceVersion(), page.continueToken(), page.remaining());
      g.writeArrayFieldStart("items");
      for (Session s : page.items()) {
        SessionJson.object(g, s);
      }
      g.writeEndArray();
      g.writeEndObject();
    }
  }

  /**
   * Streams the changes until the timeout, the client leaves, or the client falls too far behind. A
   * resourceVersion older than the store holds ends in an ERROR event with a 410 Status, as
   * kube-apiserver's watch cache answers it.
   */
  void watch(HttpExchange ex, SessionQuery query, ListOptions options, ResponseFormat format)
      throws IOException {
    WatchStream stream = new WatchStream(watchQueue);
    AutoCloseable watch;
    try {
      watch = source.watch(query, options.resourceVersion(), stream);
    } catch (ExpiredException e) {
      try (JsonGenerator g = begin(ex, WATCH_TYPE)) {
        g.writeStartObject();
        g.writeStringField("type", "ERROR");
        g.writeFieldName("object");
        g.writeTree(ApiStatus.expired(e.getMessage()).toJson());
        g.writeEndObject();
        g.writeRaw('\n');
      }
      return;
    }
    Duration timeout =
        options.timeoutSeconds() > 0
            ? Duration.ofSeconds(options.timeoutSeconds())
            : defaultWatchTimeout;
    // Elapsed time, not the clock (which only dates rows): a watch must end even on a fixed clock.
    long end = System.nanoTime() + timeout.toNanos();
    long bookmarkNanos = bookmarkEvery.toNanos();
    String lastVersion = options.resourceVersion();
    try (JsonGenerator g = begin(ex, WATCH_TYPE)) {
      g.flush();
      long nextBookmark = System.nanoTime() + bookmarkNanos;
      while (!stream.overflowed()) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          break;
        }
        long wait = Math.min(left, Math.max(0, nextBookmark - System.nanoTime()));
        SessionEvent event = stream.next(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)));
        if (event != null) {
          event(g, event.type().name(), event.session(), options, format);
          lastVersion = Long.toString(event.resourceVersion());
          // Whatever else is queued goes in the same flush.
          for (SessionEvent more; (more = stream.next(0)) != null; ) {
            event(g, more.type().name(), more.session(), options, format);
            lastVersion = Long.toString(more.resourceVersion());
          }
          g.flush();
          nextBookmark = System.nanoTime() + bookmarkNanos;
        } else if (System.nanoTime() - nextBookmark >= 0) {
          if (options.allowWatchBookmarks() && lastVersion != null) {
            bookmark(g, lastVersion);
            g.flush();
          }
          nextBookmark = System.nanoTime() + bookmarkNanos;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        watch.close();
      } catch (Exception e) {
        // The store's own cleanup failing must not hide why the watch ended.
      }
    }
  }

  private void event(
      JsonGenerator g, String type, Session s, ListOptions options, ResponseFormat format)
      throws IOException {
    g.writeStartObject();
    g.writeStringField("type", type);
    g.writeFieldName("object");
    if (format.isTable()) {
      table(g, format, Long.toString(s.resourceVersion()), null, 0, options, s);
    } else {
      SessionJson.object(g, s);
    }
    g.writeEndObject();
    g.writeRaw('\n');
  }

  private static void bookmark(JsonGenerator g, String resourceVersion) throws IOException {
    g.writeStartObject();
    g.writeStringField("type", "BOOKMARK");
    g.writeObjectFieldStart("object");
    g.writeStringField("apiVersion", SessionsApi.GROUP_VERSION);
    g.writeStringField("kind", SessionsApi.KIND);
    g.writeObjectFieldStart("metadata");
    g.writeStringField("resourceVersion", resourceVersion);
    g.writeEndObject();
    g.writeEndObject();
    g.writeEndObject();
    g.writeRaw('\n');
  }

  private void table(
      JsonGenerator g,
      ResponseFormat format,
      String resourceVersion,
      String continueToken,
      long remaining,
      ListOptions options,
      Session... rows)
      throws IOException {
    Instant now = clock.instant();
    g.writeStartObject();
    g.writeStringField("kind", "Table");
    g.writeStringField("apiVersion", format.tableApiVersion());
    listMeta(g, resourceVersion, continueToken, remaining);
    SessionTable.columnDefinitions(g);
    g.writeArrayFieldStart("rows");
    for (Session s : rows) {
      SessionTable.row(g, s, options.includeObject(), now);
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  private static void listMeta(
      JsonGenerator g, String resourceVersion, String continueToken, long remaining)
      throws IOException {
    g.writeObjectFieldStart("metadata");
    if (resourceVersion != null) {
      g.writeStringField("resourceVersion", resourceVersion);
    }
    if (continueToken != null) {
      g.writeStringField("continue", continueToken);
      g.writeNumberField("remainingItemCount", remaining);
    }
    g.writeEndObject();
  }

  /** Sends 200 with a chunked body and returns a generator onto it. */
  private static JsonGenerator begin(HttpExchange ex, String contentType) throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.sendResponseHeaders(200, 0);
    OutputStream out = new BufferedOutputStream(ex.getResponseBody(), BUFFER);
    return JSON.createGenerator(out, JsonEncoding.UTF8);
  }
}
