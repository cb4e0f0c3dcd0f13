package fsc.cli.edge;

import fsc.runtime.RuntimeFailure;
import fsc.runtime.json.Json;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a packaged model folder as an OCI image layout (image-spec v1.1: {@code oci-layout},
 * {@code index.json}, {@code blobs/sha256/...}) without a container daemon or registry: one gzip
 * layer holding the folder under {@code /opt/NAME} and the shared libraries its runtime links
 * (found with {@code ldd}, copied from this machine), a config whose entrypoint is the packaged java
 * with the launcher's options, and a manifest. The image has no base: it is {@code FROM scratch}
 * plus exactly the C libraries the JVM needs, so it runs on the build machine's architecture and
 * needs no registry to build. {@code podman load}/{@code skopeo copy oci:DIR ...} take it.
 */
public final class OciLayout {
    public static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
    public static final String CONFIG_TYPE = "application/vnd.oci.image.config.v1+json";
    public static final String LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String INDEX_TYPE = "application/vnd.oci.image.index.v1+json";
    private static final Pattern LDD_PATH = Pattern.compile("(?:=>\\s*)?(/\\S+)\\s+\\(0x");

    private OciLayout() {}

    /**
     * Writes the layout of packaged folder {@code pkg} (launcher {@code name}) into {@code out}, tagged
     * {@code tag}; the entrypoint carries {@link Launcher#ONE_CALL_OPTIONS} when {@code oneCall}.
     */
    public static void write(Path pkg, String name, Path out, String tag, boolean oneCall)
            throws IOException, InterruptedException {
        Path blobs = Files.createDirectories(out.resolve("blobs").resolve("sha256"));
        String root = "opt/" + name + "/";

        Path tmp = Files.createTempFile(blobs, "layer", ".tmp");
        MessageDigest tarDigest = sha256();
        MessageDigest gzDigest = sha256();
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tmp));
                DigestOutputStream gzCounted = new DigestOutputStream(file, gzDigest);
                GZIPOutputStream gz = new GZIPOutputStream(gzCounted, 1 << 16);
                TarWriter tar = new TarWriter(new DigestOutputStream(gz, tarDigest))) {
            TreeSet<String> dirs = new TreeSet<>();
            dirs.add("tmp");
            dirs.add("work");
            Map<String, Path> files = new TreeMap<>();
            Map<String, String> links = new TreeMap<>();
            try (Stream<Path> walk = Files.walk(pkg)) {
                for (Path p : walk.sorted().toList()) {
                    String rel = pkg.relativize(p).toString().replace('\\', '/');
                    String at = rel.isEmpty() ? root.substring(0, root.length() - 1) : root + rel;
                    if (Files.isSymbolicLink(p)) {
                        links.put(at, Files.readSymbolicLink(p).toString());
                    } else if (Files.isDirectory(p)) {
                        dirs.add(at);
                    } else {
                        files.put(at, p);
                    }
                }
            }
            for (String lib : sharedLibraries(pkg.resolve("runtime"))) {
                files.put(lib.substring(1), Path.of(lib));
            }
            for (String f : List.copyOf(files.keySet())) {
                for (int i = f.indexOf('/'); i > 0; i = f.indexOf('/', i + 1)) {
                    dirs.add(f.substring(0, i));
                }
            }
            for (String d : dirs) {
                tar.directory(d, d.equals("tmp") ? 01777 : 0755);
            }
            for (var e : files.entrySet()) {
                tar.file(e.getKey(), Files.isExecutable(e.getValue()) ? 0755 : 0644, Files.readAllBytes(e.getValue()));
            }
            for (var e : links.entrySet()) {
                tar.symlink(e.getKey(), e.getValue());
            }
        }
        String layerHex = hex(gzDigest); // digest() resets the MessageDigest: read it once
        String layerDigest = "sha256:" + layerHex;
        String diffId = "sha256:" + hex(tarDigest);
        long layerSize = Files.size(tmp);
        Files.move(tmp, blobs.resolve(layerHex), StandardCopyOption.REPLACE_EXISTING);

        List<String> entrypoint = new ArrayList<>();
        entrypoint.add("/" + root + "runtime/bin/java");
        entrypoint.addAll(Launcher.JVM_OPTIONS);
        if (oneCall) {
            // No shell in the image to tell generate from a one-call run; oneCall is false for decoders.
            entrypoint.addAll(Launcher.ONE_CALL_OPTIONS);
        }
        if (Files.isRegularFile(pkg.resolve("lib").resolve(name + ".aot"))) {
            entrypoint.add("-XX:AOTCache=/" + root + "lib/" + name + ".aot");
        }
        entrypoint.add("-jar");
        entrypoint.add("/" + root + "lib/" + name + ".jar");
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architecture", architecture());
        config.put("os", "linux");
        config.put("config", ordered("Entrypoint", entrypoint, "WorkingDir", "/work"));
        config.put("rootfs", ordered("type", "layers", "diff_ids", List.of(diffId)));
        Map<String, Object> configRef = blob(blobs, CONFIG_TYPE, Json.write(config));

        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MANIFEST_TYPE);
        manifest.put("config", configRef);
        manifest.put("layers", List.of(descriptor(LAYER_TYPE, layerDigest, layerSize)));
        Map<String, Object> manifestRef = blob(blobs, MANIFEST_TYPE, Json.write(manifest));
        manifestRef.put("annotations", ordered("org.opencontainers.image.ref.name", tag));

        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", INDEX_TYPE);
        index.put("manifests", List.of(manifestRef));
        Files.writeString(out.resolve("index.json"), Json.write(index));
        Files.writeString(out.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    }

    /**
     * The C libraries (and the dynamic loader) that {@code runtime}'s launcher and native libraries
     * link, as absolute paths on this machine, from {@code ldd}. Libraries inside the runtime are
     * left out: they travel with it.
     */
    static TreeSet<String> sharedLibraries(Path runtime) throws IOException, InterruptedException {
        List<Path> objects = new ArrayList<>();
        objects.add(runtime.resolve("bin").resolve("java"));
        try (Stream<Path> s = Files.walk(runtime.resolve("lib"))) {
            s.filter(p -> p.getFileName().toString().endsWith(".so")).sorted().forEach(objects::add);
        }
        TreeSet<String> libs = new TreeSet<>();
        String runtimeDir = runtime.toRealPath().toString();
        for (Path o : objects) {
            Process p = new ProcessBuilder("ldd", o.toString())
                    .redirectErrorStream(true)
                    .start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new RuntimeFailure("ldd " + o + " failed: " + text.strip().replace('\n', ' '));
            }
            Matcher m = LDD_PATH.matcher(text);
            while (m.find()) {
                Path lib = Path.of(m.group(1));
                if (!lib.toRealPath().toString().startsWith(runtimeDir)) {
                    libs.add(lib.toString());
                }
            }
        }
        return libs;
    }

    private static Map<String, Object> blob(Path blobs, String mediaType, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        String hex = HexFormat.of().formatHex(sha256().digest(bytes));
        Files.write(blobs.resolve(hex), bytes);
        return descriptor(mediaType, "sha256:" + hex, bytes.length);
    }

    /** A map in the given key order ({@code Map.of}'s order changes from JVM to JVM; blobs must not). */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    private static Map<String, Object> descriptor(String mediaType, String digest, long size) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("mediaType", mediaType);
        d.put("digest", digest);
        d.put("size", size);
        return d;
    }

    /** The OCI name of this JVM's CPU architecture (Go's GOARCH values). */
    static String architecture() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "riscv64" -> "riscv64";
            case "ppc64le" -> "ppc64le";
            case "s390x" -> "s390x";
            default -> throw new RuntimeFailure("no OCI architecture name for os.arch " + arch);
        };
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String hex(MessageDigest d) {
        return HexFormat.of().formatHex(d.digest());
    }
}
