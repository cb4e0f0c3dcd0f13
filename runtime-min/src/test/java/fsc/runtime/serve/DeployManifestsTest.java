package fsc.runtime.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Kubernetes files in {@code deploy/} parse, fit together (selectors, ports, names), and every
 * metric they route or scale on is one fsc's {@code /metrics} exports (read from a running server).
 */
class DeployManifestsTest {
    private static final Path DEPLOY =
            Path.of(System.getProperty("user.dir")).getParent().resolve("deploy");
    private static final List<Map<String, Object>> DOCS = new ArrayList<>();
    private static Set<String> exported;

    @BeforeAll
    static void load() throws Exception {
        assertTrue(Files.isDirectory(DEPLOY), "missing " + DEPLOY);
        try (Stream<Path> files = Files.list(DEPLOY)) {
            for (Path f :
                    files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                for (Object doc : new Yaml().loadAll(Files.readString(f))) {
                    assertTrue(doc instanceof Map<?, ?>, f + ": a document is not a mapping");
                    @SuppressWarnings("unchecked")
                    Map<String, Object> m = (Map<String, Object>) doc;
                    assertNotNull(m.get("apiVersion"), f + ": no apiVersion");
                    assertNotNull(m.get("kind"), f + ": no kind");
                    assertNotNull(at(m, "metadata", "name"), f + ": no metadata.name");
                    DOCS.add(m);
                }
            }
        }
        exported = new HashSet<>();
        try (HttpFixture f = new HttpFixture(SchedulerConfig.defaults(4, 128, 64), 0)) {
            for (String line : f.get("/metrics").body().split("\n")) {
                if (line.startsWith("# TYPE ")) {
                    exported.add(line.split(" ")[2]);
                }
            }
        }
    }

    private static Object at(Object o, Object... path) {
        for (Object k : path) {
            if (o instanceof Map<?, ?> m) {
                o = m.get(k);
            } else if (o instanceof List<?> l && k instanceof Integer i) {
                o = i < l.size() ? l.get(i) : null;
            } else {
                return null;
            }
        }
        return o;
    }

    private static Map<String, Object> one(String kind, String name) {
        List<Map<String, Object>> found = DOCS.stream()
                .filter(d -> kind.equals(d.get("kind")) && name.equals(at(d, "metadata", "name")))
                .toList();
        assertEquals(1, found.size(), "one " + kind + " " + name);
        return found.getFirst();
    }

    @Test
    void theServiceAndThePoolSelectTheDeploymentsPodsOnItsPort() {
        Map<String, Object> d = one("Deployment", "fsc-stories");
        Object labels = at(d, "spec", "template", "metadata", "labels");
        assertEquals(at(d, "spec", "selector", "matchLabels"), labels);
        Map<?, ?> container = (Map<?, ?>) at(d, "spec", "template", "spec", "containers", 0);
        int port = ((Number) at(container, "ports", 0, "containerPort")).intValue();
        String portName = (String) at(container, "ports", 0, "name");
        List<?> args = (List<?>) container.get("args");
        assertEquals("serve", args.getFirst());
        assertEquals(Integer.toString(port), args.get(args.indexOf("--port") + 1));
        assertEquals("/health", at(container, "readinessProbe", "httpGet", "path"));
        Map<String, Object> svc = one("Service", "fsc-stories");
        assertEquals(labels, at(svc, "spec", "selector"));
        assertEquals(portName, at(svc, "spec", "ports", 0, "targetPort"));
        Map<String, Object> pool = one("InferencePool", "fsc-stories");
        assertEquals(labels, at(pool, "spec", "selector", "matchLabels"));
        assertEquals(port, ((Number) at(pool, "spec", "targetPorts", 0, "number")).intValue());
        Map<String, Object> epp = one("Deployment", (String) at(pool, "spec", "endpointPickerRef", "name"));
        Map<String, Object> eppSvc = one("Service", (String) at(pool, "spec", "endpointPickerRef", "name"));
        assertEquals(at(epp, "spec", "template", "metadata", "labels"), at(eppSvc, "spec", "selector"));
        assertEquals(at(pool, "spec", "endpointPickerRef", "port", "number"), at(eppSvc, "spec", "ports", 0, "port"));
        Map<String, Object> route = one("HTTPRoute", "fsc-stories");
        assertEquals("InferencePool", at(route, "spec", "rules", 0, "backendRefs", 0, "kind"));
        assertEquals("fsc-stories", at(route, "spec", "rules", 0, "backendRefs", 0, "name"));
        Map<String, Object> hpa = one("HorizontalPodAutoscaler", "fsc-stories");
        assertEquals("Deployment", at(hpa, "spec", "scaleTargetRef", "kind"));
        assertEquals("fsc-stories", at(hpa, "spec", "scaleTargetRef", "name"));
    }

    @Test
    void theEndpointPickerConfigParsesAndScoresPrefixesQueuesAndKvCache() {
        Map<String, Object> cm = one("ConfigMap", "fsc-stories-epp");
        Map<?, ?> data = (Map<?, ?>) cm.get("data");
        Object config = new Yaml().load((String) data.values().iterator().next());
        assertEquals("EndpointPickerConfig", at(config, "kind"));
        List<String> plugins = ((List<?>) at(config, "plugins"))
                .stream().map(p -> (String) ((Map<?, ?>) p).get("type")).toList();
        assertTrue(plugins.containsAll(List.of("prefix-cache-scorer", "queue-scorer", "kv-cache-utilization-scorer")));
        for (Object ref : (List<?>) at(config, "schedulingProfiles", 0, "plugins")) {
            assertTrue(plugins.contains(((Map<?, ?>) ref).get("pluginRef")), ref.toString());
        }
    }

    private static final Pattern VLLM = Pattern.compile("vllm[:_][a-z_]+");

    @Test
    void everyMetricTheFilesReadIsOneFscExports() throws Exception {
        assertTrue(exported.containsAll(MetricsPage.ROUTING), exported.toString());
        Set<String> referenced = new HashSet<>();
        try (Stream<Path> files = Files.list(DEPLOY)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                Matcher m = VLLM.matcher(Files.readString(f));
                while (m.find()) {
                    referenced.add(m.group());
                }
            }
        }
        assertFalse(referenced.isEmpty());
        for (String name : referenced) {
            // prometheus-adapter serves vllm:x to Kubernetes as vllm_x (':' is not allowed there).
            String promName = name.startsWith("vllm_") ? "vllm:" + name.substring(5) : name;
            assertTrue(exported.contains(promName), name + " is referenced in deploy/ but /metrics has no " + promName);
        }
        Map<?, ?> epp =
                (Map<?, ?>) at(one("Deployment", "fsc-stories-epp"), "spec", "template", "spec", "containers", 0);
        List<?> args = (List<?>) epp.get("args");
        for (String flag : List.of(
                "--total-queued-requests-metric",
                "--total-running-requests-metric",
                "--kv-cache-usage-percentage-metric",
                "--lora-info-metric",
                "--cache-info-metric")) {
            assertTrue(exported.contains((String) args.get(args.indexOf(flag) + 1)), flag);
        }
    }
}
