package io.cpol.deploy;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The operator's install manifests under {@code deploy/}, as plain maps, with what they grant the
 * operator.
 *
 * <p>{@link #read()} follows {@code deploy/kustomization.yaml} without kubectl, for tests that must
 * run anywhere; it understands only {@code namespace} and {@code resources} and refuses
 * kustomizations that use more. {@link #render(Path)} asks {@code kubectl kustomize} for the real
 * thing. A test checks that both give the same objects.
 *
 * <p>To check that every API call the operator makes is allowed: {@code
 * DeployManifests.read().operatorAllows(ApiRequest.fromHttp(method, path).orElseThrow())}.
 */
public final class DeployManifests {
  public static final Path DEPLOY_DIR = Path.of("deploy");
  public static final Path CRD_FILE = Path.of("crds/connectionpolicies.beebotte.io-v1.yml");
  public static final String OPERATOR_NAMESPACE = "beebotte-system";
  public static final String OPERATOR_SERVICE_ACCOUNT = "beebotte-connection-operator";

  private static final YAMLMapper YAML = new YAMLMapper();
  private static final KubernetesSerialization KUBERNETES = new KubernetesSerialization();
  private static final Set<String> SUPPORTED_KUSTOMIZATION_FIELDS =
      Set.of("apiVersion", "kind", "namespace", "resources");
  private static final Set<String> CLUSTER_SCOPED_KINDS =
      Set.of(
          "Namespace",
          "CustomResourceDefinition",
          "ClusterRole",
          "ClusterRoleBinding",
          "PriorityClass",
          "StorageClass",
          "PersistentVolume",
          "IngressClass",
          "RuntimeClass",
          "APIService",
          "ValidatingWebhookConfiguration",
          "MutatingWebhookConfiguration");

  /**
   * Kubernetes' built-in roles the install binds (the API server creates them; their rules are as
   * {@code kubectl get -o yaml} shows them on kube-apiserver 1.37), with a {@code kept-unused}
   * marker ({@link RbacMarkers}) where the operator never uses a rule the role comes with.
   */
  static final String BUILT_IN_ROLES =
      """
      apiVersion: rbac.authorization.k8s.io/v1
      kind: ClusterRole
      metadata: {name: "system:auth-delegator"}
      rules:
      # kept-unused: the sessions API authenticates only the aggregator's front-proxy client certificate, never a bearer token; system:auth-delegator comes with TokenReview all the same.
      - apiGroups: ["authentication.k8s.io"]
        resources: ["tokenreviews"]
        verbs: ["create"]
      # kept-unused: the sessions API's SubjectAccessReview per request; a run that sends the sessions API no request makes none.
      - apiGroups: ["authorization.k8s.io"]
        resources: ["subjectaccessreviews"]
        verbs: ["create"]
      ---
      apiVersion: rbac.authorization.k8s.io/v1
      kind: Role
      metadata: {name: extension-apiserver-authentication-reader, namespace: kube-system}
      rules:
      # kept-unused: the sessions API reads the front-proxy CA and names from this ConfigMap; a run with the sessions API off (SESSIONS_API_PORT=0) does not.
      - apiGroups: [""]
        resources: ["configmaps"]
        verbs: ["get", "list", "watch"]
        resourceNames: ["extension-apiserver-authentication"]
      """;

  private static final List<Map<String, Object>> BUILT_IN = parseYaml(BUILT_IN_ROLES);

  private final List<Map<String, Object>> objects;

  private DeployManifests(List<Map<String, Object>> objects) {
    this.objects = List.copyOf(objects);
  }

  /** Wraps already parsed objects, e.g. from another rendering. */
  public static DeployManifests of(List<Map<String, Object>> objects) {
    return new DeployManifests(objects);
  }

  /** {@code deploy/} read from the files, without kubectl. */
  public static DeployManifests read() {
    return read(DEPLOY_DIR);
  }

  /** A kustomization directory read from the files, without kubectl. */
  public static DeployManifests read(Path kustomizationDir) {
    return new DeployManifests(readKustomization(kustomizationDir));
  }

  /** A kustomization directory rendered by {@code kubectl kustomize}. */
  public static DeployManifests render(Path kustomizationDir) {
    return new DeployManifests(parseYaml(kubectl("kustomize", kustomizationDir.toString())));
  }

  /** Whether {@code kubectl} is on the PATH, for assumptions in tests that render. */
  public static boolean kubectlAvailable() {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "kubectl"))) {
        return true;
      }
    }
    return false;
  }

  /** Every document of a (multi-document) YAML stream, empty documents left out. */
  public static List<Map<String, Object>> parseYaml(String yaml) {
    try (var documents = YAML.readerForMapOf(Object.class).readValues(yaml)) {
      List<Map<String, Object>> result = new ArrayList<>();
      while (documents.hasNext()) {
        @SuppressWarnings("unchecked")
        Map<String, Object> document = (Map<String, Object>) documents.next();
        if (document != null && !document.isEmpty()) {
          result.add(document);
        }
      }
      return result;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The documents of one YAML file. */
  public static List<Map<String, Object>> parseYaml(Path file) {
    try {
      return parseYaml(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A parsed YAML value with every number as a BigDecimal without trailing zeros, for comparing
   * YAML by meaning: kustomize re-emits {@code minimum: 1.0} as {@code minimum: 1}.
   */
  public static Object canonical(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<Object, Object> result = new LinkedHashMap<>();
      map.forEach((k, v) -> result.put(k, canonical(v)));
      return result;
    }
    if (value instanceof List<?> list) {
      return list.stream().map(DeployManifests::canonical).toList();
    }
    if (value instanceof Number number) {
      return new BigDecimal(number.toString()).stripTrailingZeros();
    }
    return value;
  }

  public List<Map<String, Object>> objects() {
    return objects;
  }

  /** The objects of one kind. */
  public List<Map<String, Object>> ofKind(String kind) {
    return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
  }

  /** The object of this kind and name, if there is exactly one. */
  public Optional<Map<String, Object>> find(String kind, String name) {
    List<Map<String, Object>> found =
        ofKind(kind).stream().filter(o -> name.equals(metadata(o).get("name"))).toList();
    if (found.size() > 1) {
      throw new IllegalStateException(found.size() + " objects " + kind + "/" + name);
    }
    return found.stream().findFirst();
  }

  /** The object of this kind and name as a fabric8 model object, e.g. {@code Deployment}. */
  public <T> T get(String kind, String name, Class<T> type) {
    Map<String, Object> object =
        find(kind, name).orElseThrow(() -> new AssertionError("No " + kind + "/" + name));
    return KUBERNETES.convertValue(object, type);
  }

  /**
   * A Pod as the operator's Deployment would create it (its pod template) named {@code name}, for a
   * real API server without a kubelet or controllers, where it stays Pending: its labels are what
   * tests need (the restricted Pod Security level of the operator's namespace admits it).
   */
  public io.fabric8.kubernetes.api.model.Pod operatorPod(String name) {
    io.fabric8.kubernetes.api.model.PodTemplateSpec template = operatorPodTemplate();
    return new io.fabric8.kubernetes.api.model.PodBuilder()
        .withMetadata(template.getMetadata())
        .editMetadata()
        .withName(name)
        .withNamespace(OPERATOR_NAMESPACE)
        .endMetadata()
        .withSpec(template.getSpec())
        .build();
  }

  /** The pod template of the operator's Deployment (named like its ServiceAccount). */
  public io.fabric8.kubernetes.api.model.PodTemplateSpec operatorPodTemplate() {
    return get(
            "Deployment",
            OPERATOR_SERVICE_ACCOUNT,
            io.fabric8.kubernetes.api.model.apps.Deployment.class)
        .getSpec()
        .getTemplate();
  }

  /** What the operator's ServiceAccount may do. */
  public Set<ApiPermission> operatorPermissions() {
    return permissionsOf(OPERATOR_NAMESPACE, OPERATOR_SERVICE_ACCOUNT);
  }

  /** Whether the operator's ServiceAccount may make this call. */
  public boolean operatorAllows(ApiRequest request) {
    return operatorPermissions().stream().anyMatch(p -> p.allows(request));
  }

  /**
   * What a ServiceAccount may do through the bindings in these manifests, to their roles or to
   * Kubernetes' built-in ones ({@link #BUILT_IN_ROLES}). A rule with nonResourceURLs and an
   * aggregated role cannot be expressed as {@link ApiPermission} and fail loudly rather than be
   * misread.
   */
  public Set<ApiPermission> permissionsOf(String namespace, String serviceAccount) {
    Set<ApiPermission> permissions = new LinkedHashSet<>();
    for (Map<String, Object> binding : objects) {
      String kind = (String) binding.get("kind");
      if (!"ClusterRoleBinding".equals(kind) && !"RoleBinding".equals(kind)) {
        continue;
      }
      if (!bindsServiceAccount(binding, namespace, serviceAccount)) {
        continue;
      }
      String bindingNamespace =
          "ClusterRoleBinding".equals(kind) ? null : (String) metadata(binding).get("namespace");
      if ("RoleBinding".equals(kind) && bindingNamespace == null) {
        throw new IllegalStateException(
            "RoleBinding " + metadata(binding).get("name") + " names no namespace");
      }
      Map<String, Object> roleRef = map(binding.get("roleRef"));
      Map<String, Object> role = roleFor(binding, roleRef);
      for (Map<String, Object> rule : listOfMaps(role.get("rules"))) {
        permissions.addAll(permissionsOf(rule, bindingNamespace, roleRef.get("name")));
      }
    }
    return permissions;
  }

  private Map<String, Object> roleFor(Map<String, Object> binding, Map<String, Object> roleRef) {
    String roleKind = (String) roleRef.get("kind");
    String roleName = (String) roleRef.get("name");
    Map<String, Object> role =
        java.util.stream.Stream.concat(objects.stream(), BUILT_IN.stream())
            .filter(o -> roleKind.equals(o.get("kind")))
            .filter(o -> roleName.equals(metadata(o).get("name")))
            .filter(
                o ->
                    "ClusterRole".equals(roleKind)
                        || Objects.equals(
                            metadata(o).get("namespace"), metadata(binding).get("namespace")))
            .findFirst()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        metadata(binding).get("name") + " refers to missing " + roleRef));
    if (role.containsKey("aggregationRule")) {
      throw new IllegalStateException(roleName + " is aggregated: its rules are not in the file");
    }
    return role;
  }

  /** A rule's grants, cluster-wide when {@code namespace} (the RoleBinding's) is null. */
  private static Set<ApiPermission> permissionsOf(
      Map<String, Object> rule, String namespace, Object roleName) {
    if (rule.containsKey("nonResourceURLs")) {
      throw new IllegalStateException(
          roleName + ": nonResourceURLs are not modelled by ApiPermission");
    }
    Set<ApiPermission> permissions = new LinkedHashSet<>();
    for (String group : strings(rule.get("apiGroups"))) {
      for (String resource : strings(rule.get("resources"))) {
        for (String verb : strings(rule.get("verbs"))) {
          permissions.add(
              new ApiPermission(
                  group,
                  resource,
                  verb,
                  namespace == null ? ApiPermission.CLUSTER : ApiPermission.NAMESPACE,
                  namespace,
                  strings(rule.get("resourceNames"))));
        }
      }
    }
    return permissions;
  }

  private static boolean bindsServiceAccount(
      Map<String, Object> binding, String namespace, String serviceAccount) {
    return listOfMaps(binding.get("subjects")).stream()
        .anyMatch(
            s ->
                "ServiceAccount".equals(s.get("kind"))
                    && serviceAccount.equals(s.get("name"))
                    && namespace.equals(s.get("namespace")));
  }

  private static List<Map<String, Object>> readKustomization(Path dir) {
    Path file = dir.resolve("kustomization.yaml");
    Map<String, Object> kustomization = parseYaml(file).get(0);
    Set<String> unsupported = new LinkedHashSet<>(kustomization.keySet());
    unsupported.removeAll(SUPPORTED_KUSTOMIZATION_FIELDS);
    if (!unsupported.isEmpty()) {
      throw new IllegalStateException(
          file
              + " uses "
              + unsupported
              + ": DeployManifests.read() only follows namespace and resources; teach it the new"
              + " fields or the RBAC tests will read something else than kubectl applies");
    }
    List<Map<String, Object>> objects = new ArrayList<>();
    for (String resource : strings(kustomization.get("resources"))) {
      Path path = dir.resolve(resource).normalize();
      if (Files.isDirectory(path)) {
        objects.addAll(readKustomization(path));
      } else {
        objects.addAll(parseYaml(path));
      }
    }
    String namespace = (String) kustomization.get("namespace");
    if (namespace != null) {
      moveToNamespace(objects, namespace);
    }
    return objects;
  }

  /** Kustomize's namespace transformer, for what deploy/ uses. */
  private static void moveToNamespace(List<Map<String, Object>> objects, String namespace) {
    Set<List<Object>> serviceAccounts = new LinkedHashSet<>();
    for (Map<String, Object> object : objects) {
      if ("ServiceAccount".equals(object.get("kind"))) {
        serviceAccounts.add(List.of(metadata(object).get("name"), namespaceOf(object)));
      }
    }
    for (Map<String, Object> object : objects) {
      if (!CLUSTER_SCOPED_KINDS.contains((String) object.get("kind"))) {
        metadata(object).put("namespace", namespace);
      }
      for (Map<String, Object> subject : listOfMaps(object.get("subjects"))) {
        if ("ServiceAccount".equals(subject.get("kind"))
            && serviceAccounts.contains(
                List.of(subject.get("name"), subject.getOrDefault("namespace", "")))) {
          subject.put("namespace", namespace);
        }
      }
    }
  }

  private static String namespaceOf(Map<String, Object> object) {
    Object namespace = metadata(object).get("namespace");
    return namespace == null ? "" : (String) namespace;
  }

  static Map<String, Object> metadata(Map<String, Object> object) {
    return map(object.computeIfAbsent("metadata", k -> new LinkedHashMap<String, Object>()));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object value) {
    return value == null ? new LinkedHashMap<>() : (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> listOfMaps(Object value) {
    return value == null ? List.of() : (List<Map<String, Object>>) value;
  }

  @SuppressWarnings("unchecked")
  static List<String> strings(Object value) {
    return value == null ? List.of() : (List<String>) value;
  }

  /** Runs kubectl and returns its standard output; fails with its standard error. */
  static String kubectl(String... args) {
    List<String> command = new ArrayList<>();
    command.add("kubectl");
    command.addAll(List.of(args));
    try {
      Path stderr = Files.createTempFile("kubectl", ".err");
      try {
        Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        process.getOutputStream().close();
        String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
          process.destroyForcibly();
          throw new IllegalStateException(command + " did not finish in 2 minutes");
        }
        if (process.exitValue() != 0) {
          throw new IllegalStateException(
              command + " failed (" + process.exitValue() + "): " + Files.readString(stderr));
        }
        return stdout;
      } finally {
        Files.deleteIfExists(stderr);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
