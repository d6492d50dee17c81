package io.cpol.policy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.cfg.MutableCoercionConfig;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a ConnectionPolicy's spec or status so that no content can make the read fail: the informer
 * that feeds every policy deserializes each one, and a single exception there stops it (and JOSDK
 * then stops the operator). Unknown fields, as an older replica sees a newer CRD's, are skipped and
 * named; a value of the wrong type or an unknown enum value is left out and named with its field
 * path, which makes the spec invalid ({@link ReadReport#unreadable()}).
 */
public abstract class TolerantReader<T> extends StdDeserializer<T> {
  private static final long serialVersionUID = 1L;
  private static final Logger log = LoggerFactory.getLogger(TolerantReader.class);

  /** Beyond this many unreadable values the rest of the content is not worth reading. */
  static final int MAX_UNREADABLE = 100;

  /** Longest value quoted back in a problem, so one bad value cannot flood a condition. */
  private static final int MAX_SHOWN = 64;

  /** Binds the plain model, strictly: no coercion a real API server would refuse either. */
  private static final JsonMapper MAPPER =
      JsonMapper.builder()
          .addMixIn(ConnectionPolicySpec.class, PlainBinding.class)
          .addMixIn(ConnectionPolicyStatus.class, PlainBinding.class)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          // Only no-argument constructors: SecretReference(String) must not read "name" as {name}.
          .disable(MapperFeature.AUTO_DETECT_CREATORS)
          .withCoercionConfig(LogicalType.Textual, TolerantReader::refuseScalars)
          .withCoercionConfig(LogicalType.Boolean, TolerantReader::refuseScalars)
          .withCoercionConfig(LogicalType.Integer, TolerantReader::refuseScalars)
          .build();

  /** A number is not a string, nor 1 a boolean: the CRD's types, as an API server checks them. */
  private static void refuseScalars(MutableCoercionConfig config) {
    for (CoercionInputShape shape :
        List.of(
            CoercionInputShape.Integer,
            CoercionInputShape.Float,
            CoercionInputShape.Boolean,
            CoercionInputShape.String,
            CoercionInputShape.EmptyString)) {
      config.setCoercion(shape, CoercionAction.Fail);
    }
  }

  /** Undoes the class's {@code @JsonDeserialize(using = ...)} for the inner, plain binding. */
  @JsonDeserialize
  private interface PlainBinding {}

  /**
   * What reading a spec had to leave out.
   *
   * @param unknownFields paths of fields this version does not know, e.g. {@code
   *     spec.deny[0].untill}; they are ignored
   * @param unreadable one {@code "path: problem"} per value that could not be read, e.g. {@code
   *     spec.maxDropsPerSync: must be an integer, got "ten"}; such a spec must not be enforced
   */
  public record ReadReport(List<String> unknownFields, List<String> unreadable) {
    public static final ReadReport CLEAN = new ReadReport(List.of(), List.of());

    public ReadReport {
      unknownFields = List.copyOf(unknownFields);
      unreadable = List.copyOf(unreadable);
    }

    /**
     * The unreadable values first, then the given validation problems except those about a field
     * already named as unreadable (left out, it would otherwise also be reported as missing).
     */
    public List<String> withValidationProblems(List<String> problems) {
      List<String> paths = unreadable.stream().map(TolerantReader::pathOf).toList();
      return Stream.concat(
              unreadable.stream(),
              problems.stream().filter(p -> paths.stream().noneMatch(u -> within(pathOf(p), u))))
          .toList();
    }
  }

  private final String root;

  TolerantReader(Class<T> type, String root) {
    super(type);
    this.root = root;
  }

  /** Reads {@code spec}; the result carries its {@link ConnectionPolicySpec#readReport()}. */
  public static final class Spec extends TolerantReader<ConnectionPolicySpec> {
    private static final long serialVersionUID = 1L;

    public Spec() {
      super(ConnectionPolicySpec.class, "spec");
    }

    @Override
    ConnectionPolicySpec finish(ConnectionPolicySpec spec, ReadReport report) {
      ConnectionPolicySpec result = spec == null ? new ConnectionPolicySpec() : spec;
      result.recordReading(report);
      return result;
    }
  }

  /**
   * Reads {@code status}. Only the operator writes it, so what cannot be read is logged and left
   * out: a newer version's fields, or a value a person edited by hand.
   */
  public static final class Status extends TolerantReader<ConnectionPolicyStatus> {
    private static final long serialVersionUID = 1L;

    public Status() {
      super(ConnectionPolicyStatus.class, "status");
    }

    @Override
    ConnectionPolicyStatus finish(ConnectionPolicyStatus status, ReadReport report) {
      if (!report.unreadable().isEmpty()) {
        log.warn("left out unreadable status fields: {}", String.join("; ", report.unreadable()));
      }
      if (!report.unknownFields().isEmpty()) {
        log.debug("ignored unknown status fields: {}", report.unknownFields());
      }
      return status;
    }
  }

  /**
   * Carries the spec's read report from a resource to its copy. JOSDK hands the reconciler a clone
   * made by serializing the resource, and what was left out on reading is, by construction, not in
   * the serialized form; a cloner calls this so the copy knows it too.
   */
  public static void keepReadReport(HasMetadata original, HasMetadata copy) {
    if (original instanceof ConnectionPolicy from
        && copy instanceof ConnectionPolicy to
        && from.getSpec() != null
        && to.getSpec() != null) {
      to.getSpec().recordReading(from.getSpec().readReport());
    }
  }

  abstract T finish(T value, ReadReport report);

  @Override
  public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    JsonNode tree = ctxt.readTree(p);
    Findings findings = new Findings();
    T value = bind(tree, findings);
    return finish(value, findings.report());
  }

  private T bind(JsonNode tree, Findings findings) {
    if (!tree.isObject()) {
      findings.unreadable(root, "must be an object, got " + shown(tree));
      return null;
    }
    ObjectReader reader = MAPPER.readerFor(handledType()).withHandler(findings.unknownFields());
    while (true) {
      try {
        @SuppressWarnings("unchecked")
        T value = (T) reader.readValue(tree);
        return value;
      } catch (JsonMappingException e) {
        List<JsonMappingException.Reference> at = e.getPath();
        JsonNode bad = at.isEmpty() ? null : leaveOut(tree, at);
        if (bad == null || findings.unreadableCount() >= MAX_UNREADABLE) {
          findings.unreadable(
              root,
              findings.unreadableCount() >= MAX_UNREADABLE
                  ? "more than " + MAX_UNREADABLE + " unreadable values; not read"
                  : "could not be read: " + e.getOriginalMessage());
          return null;
        }
        findings.unreadable(path(at), "must be " + expected(e) + ", got " + shown(bad));
      } catch (IOException e) {
        findings.unreadable(root, "could not be read: " + e.getMessage());
        return null;
      }
    }
  }

  /** Removes the value at the path (an array entry becomes null, so indexes keep their meaning). */
  private static JsonNode leaveOut(JsonNode content, List<JsonMappingException.Reference> path) {
    JsonNode parent = content;
    for (JsonMappingException.Reference ref : path.subList(0, path.size() - 1)) {
      parent =
          ref.getFieldName() != null ? parent.get(ref.getFieldName()) : parent.get(ref.getIndex());
      if (parent == null) {
        return null;
      }
    }
    JsonMappingException.Reference last = path.get(path.size() - 1);
    if (parent instanceof ObjectNode object && last.getFieldName() != null) {
      return object.remove(last.getFieldName());
    }
    if (parent instanceof ArrayNode array
        && last.getIndex() >= 0
        && last.getIndex() < array.size()) {
      JsonNode removed = array.get(last.getIndex());
      if (removed.isNull()) {
        return null;
      }
      array.set(last.getIndex(), NullNode.getInstance());
      return removed;
    }
    return null;
  }

  private String path(List<JsonMappingException.Reference> refs) {
    StringBuilder path = new StringBuilder(root);
    for (JsonMappingException.Reference ref : refs) {
      if (ref.getFieldName() != null) {
        path.append('.').append(ref.getFieldName());
      } else {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    return path.toString();
  }

  /** What the model takes where a value could not be read. */
  private static String expected(JsonMappingException e) {
    Class<?> type = e instanceof MismatchedInputException m ? m.getTargetType() : null;
    if (type == null) {
      return "readable";
    }
    if (type.isEnum()) {
      return "one of "
          + Stream.of(type.getEnumConstants())
              .map(c -> ((Enum<?>) c).name())
              .collect(Collectors.joining(", "));
    }
    if (type == Integer.class || type == Long.class || type == int.class || type == long.class) {
      return "an integer";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (type == String.class) {
      return "a string";
    }
    if (Collection.class.isAssignableFrom(type)) {
      return "a list";
    }
    return "an object";
  }

  /** A short rendering of a JSON value for a message. */
  static String shown(JsonNode value) {
    if (value.isObject()) {
      return "an object";
    }
    if (value.isArray()) {
      return "a list";
    }
    String json = value.toString();
    return json.length() <= MAX_SHOWN ? json : json.substring(0, MAX_SHOWN) + "...";
  }

  /** The field path of a {@code "path: problem"} entry. */
  private static String pathOf(String problem) {
    int colon = problem.indexOf(": ");
    return colon < 0 ? problem : problem.substring(0, colon);
  }

  /** Whether {@code path} is {@code container} or lies inside it. */
  private static boolean within(String path, String container) {
    return path.equals(container)
        || path.startsWith(container + ".")
        || path.startsWith(container + "[");
  }

  /** What one read found; the handler names unknown fields and lets the binding go on. */
  private final class Findings {
    private final Set<String> unknown = new LinkedHashSet<>();
    private final Map<String, String> unreadable = new LinkedHashMap<>();

    DeserializationProblemHandler unknownFields() {
      return new DeserializationProblemHandler() {
        @Override
        public boolean handleUnknownProperty(
            DeserializationContext ctxt,
            JsonParser p,
            JsonDeserializer<?> deserializer,
            Object beanOrClass,
            String propertyName)
            throws IOException {
          unknown.add(valuePath(p));
          p.skipChildren();
          return true;
        }
      };
    }

    void unreadable(String path, String problem) {
      unreadable.putIfAbsent(path, problem);
    }

    int unreadableCount() {
      return unreadable.size();
    }

    ReadReport report() {
      List<String> problems = new ArrayList<>(unreadable.size());
      unreadable.forEach((path, problem) -> problems.add(path + ": " + problem));
      return new ReadReport(List.copyOf(unknown), problems);
    }

    /** The path of the value the parser is at; a container's own context is its parent's entry. */
    private String valuePath(JsonParser p) {
      JsonStreamContext context = p.getParsingContext();
      if (p.currentToken() != null && p.currentToken().isStructStart()) {
        context = context.getParent();
      }
      Deque<String> segments = new ArrayDeque<>();
      for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
        segments.push(c.inObject() ? "." + c.getCurrentName() : "[" + c.getCurrentIndex() + "]");
      }
      return root + String.join("", segments);
    }
  }
}
