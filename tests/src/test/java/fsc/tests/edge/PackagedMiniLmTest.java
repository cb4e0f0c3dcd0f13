package fsc.tests.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.cli.Main;
import fsc.cli.edge.OciLayout;
import fsc.runtime.Tensor;
import fsc.runtime.io.Npy;
import fsc.runtime.json.Json;
import fsc.runtime.text.WordPieceTokenizer;
import fsc.tests.TestModels;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fsc package} end to end: MiniLM compiled, packaged (jlinked runtime, launcher, AOT cache),
 * the folder moved, and its launcher run with no JDK reachable (PATH holds only the shell tools the
 * script uses, JAVA_HOME unset) on the sentences of {@code MiniLmEndToEndTest}. Its outputs must
 * equal the plain jar's on the full JDK bit for bit, and {@code -XX:AOTMode=on} makes the JVM fail
 * rather than start without the cache, so the cache is proven usable after the move.
 */
class PackagedMiniLmTest {
    @TempDir
    static Path work;

    static Path jar;
    static Path moved;
    static Path oci;
    static Map<String, Tensor> inputs;

    @BeforeAll
    static void packageMiniLm() throws Exception {
        jar = work.resolve("minilm.jar");
        assertEquals(
                0,
                Main.execute(
                        "compile",
                        TestModels.minilm().toString(),
                        "--bound",
                        "batch=4",
                        "--bound",
                        "batch_1=128",
                        "-o",
                        jar.toString(),
                        "--quiet"));
        Path dir = work.resolve("pkg");
        oci = work.resolve("oci");
        assertEquals(
                0,
                Main.execute(
                        "package",
                        jar.toString(),
                        "-o",
                        dir.toString(),
                        "--train-calls",
                        "1",
                        "--oci-layout",
                        oci.toString(),
                        "--quiet"));
        moved = work.resolve("elsewhere").resolve("minilm");
        Files.createDirectories(moved.getParent());
        Files.move(dir, moved);
        WordPieceTokenizer tokenizer = WordPieceTokenizer.fromJson(TestModels.minilmTokenizer());
        var enc = tokenizer.encodeBatch(
                List.of(
                        "A man is eating food.",
                        "Ahead-of-time compilers turn a model into specialised code, which is then packed into one jar"
                                + " that runs on servers and edge devices alike, without the compiler.",
                        "Héllo, wörld!"),
                128);
        inputs = Map.of(
                "input_ids", enc.inputIds(),
                "attention_mask", enc.attentionMask(),
                "token_type_ids", enc.tokenTypeIds());
        for (var e : inputs.entrySet()) {
            Npy.write(work.resolve(e.getKey() + ".npy"), e.getValue());
        }
    }

    @Test
    void packagedFolderRunsWithoutAJdkAndMatchesThePlainJar() throws Exception {
        assertTrue(Files.isRegularFile(moved.resolve("lib/minilm.aot")), "AOT cache");
        assertTrue(
                Files.notExists(moved.resolve("runtime/jmods")) && Files.notExists(moved.resolve("runtime/include")),
                "runtime is stripped of jmods and headers");
        Path tools = Files.createDirectories(work.resolve("tools"));
        for (String tool : List.of("sh", "dirname", "grep")) {
            Path real = whereIs(tool);
            Files.createSymbolicLink(tools.resolve(tool), real);
        }
        List<String> cmd = new ArrayList<>(List.of(moved.resolve("bin/minilm").toString()));
        cmd.addAll(inputArgs());
        cmd.addAll(List.of("--output-dir", work.resolve("packaged-out").toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().put("PATH", tools.toString());
        pb.environment().put("FSC_JAVA_OPTS", "-XX:AOTMode=on");
        String log = run(pb, work.resolve("packaged.log"));

        assertTrue(!log.contains("WARNING: Using incubator modules"), "the launcher filters the incubator notice");
        assertSameOutputs(plainOutputs(), work.resolve("packaged-out"));
    }

    /** The plain jar's outputs on the full JDK, run once per class. */
    private static synchronized Path plainOutputs() throws Exception {
        Path dir = work.resolve("plain-out");
        if (!Files.isDirectory(dir)) {
            List<String> plain = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules",
                    "jdk.incubator.vector",
                    "-jar",
                    jar.toString()));
            plain.addAll(inputArgs());
            plain.addAll(List.of("--output-dir", dir.toString()));
            run(new ProcessBuilder(plain), work.resolve("plain.log"));
        }
        return dir;
    }

    private static void assertSameOutputs(Path want, Path got) throws Exception {
        for (String output : List.of("output_0", "882")) {
            float[] w = Npy.read(want.resolve(output + ".npy")).toFloatArray();
            float[] g = Npy.read(got.resolve(output + ".npy")).toFloatArray();
            assertEquals(w.length, g.length, output);
            for (int i = 0; i < w.length; i++) {
                if (Float.floatToRawIntBits(w[i]) != Float.floatToRawIntBits(g[i])) {
                    throw new AssertionError(output + "[" + i + "]: " + got + " " + g[i] + " vs plain jar " + w[i]);
                }
            }
        }
    }

    @Test
    void launcherPassesTheJarsExitCodeAndOneLineErrors() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(moved.resolve("bin/minilm").toString(), "--input", "nope");
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertEquals(1, out.strip().lines().count(), out);
        assertTrue(out.contains("--input wants NAME=FILE"), out);
    }

    /**
     * The OCI layout is valid: every descriptor's digest and size match its blob, the config's
     * diff_id is the digest of the uncompressed layer, and the layer holds the packaged folder, the
     * entrypoint's java and the C library it links. As root, the layer unpacked into a directory
     * runs the entrypoint under chroot, with nothing of this machine's file system visible, and
     * gives the plain jar's outputs.
     */
    @Test
    void ociLayoutIsValidAndItsRootFileSystemRunsTheModel() throws Exception {
        assertEquals("{\"imageLayoutVersion\":\"1.0.0\"}", Files.readString(oci.resolve("oci-layout")));
        Map<?, ?> index = (Map<?, ?>) Json.parse(Files.readString(oci.resolve("index.json")));
        Map<?, ?> manifestRef = (Map<?, ?>) ((List<?>) index.get("manifests")).get(0);
        assertEquals(OciLayout.MANIFEST_TYPE, manifestRef.get("mediaType"));
        Map<?, ?> manifest = (Map<?, ?>) Json.parse(new String(blob(manifestRef), StandardCharsets.UTF_8));
        Map<?, ?> configRef = (Map<?, ?>) manifest.get("config");
        assertEquals(OciLayout.CONFIG_TYPE, configRef.get("mediaType"));
        Map<?, ?> config = (Map<?, ?>) Json.parse(new String(blob(configRef), StandardCharsets.UTF_8));
        Map<?, ?> layerRef = (Map<?, ?>) ((List<?>) manifest.get("layers")).get(0);
        assertEquals(OciLayout.LAYER_TYPE, layerRef.get("mediaType"));
        byte[] tar;
        try (var in = new GZIPInputStream(new ByteArrayInputStream(blob(layerRef)))) {
            tar = in.readAllBytes();
        }
        List<?> diffIds = (List<?>) ((Map<?, ?>) config.get("rootfs")).get("diff_ids");
        assertEquals(List.of("sha256:" + sha256(tar)), diffIds, "diff_id is the uncompressed layer's digest");

        Path rootfs = work.resolve("rootfs");
        Files.createDirectories(rootfs);
        Path layer = work.resolve("layer.tar");
        Files.write(layer, tar);
        Process untar = new ProcessBuilder("tar", "-xf", layer.toString(), "-C", rootfs.toString())
                .redirectErrorStream(true)
                .start();
        String untarLog = new String(untar.getInputStream().readAllBytes());
        assertTrue(untar.waitFor(120, TimeUnit.SECONDS) && untar.exitValue() == 0, "tar -x: " + untarLog);
        List<?> entrypoint = (List<?>) ((Map<?, ?>) config.get("config")).get("Entrypoint");
        assertTrue(Files.isExecutable(rootfs.resolve(((String) entrypoint.get(0)).substring(1))), "java in the layer");
        assertTrue(Files.isExecutable(rootfs.resolve("opt/minilm/bin/minilm")), "launcher in the layer");
        try (Stream<Path> s = Files.walk(rootfs)) {
            assertTrue(s.anyMatch(p -> p.getFileName().toString().startsWith("libc.so")), "libc in the layer");
        }

        boolean root = "root".equals(System.getProperty("user.name"));
        Assumptions.assumeTrue(
                root && Files.isExecutable(Path.of("/usr/sbin/chroot")),
                "running the image's root file system needs root and chroot; the layout itself was checked");
        Path inside = Files.createDirectories(rootfs.resolve("work"));
        List<String> cmd = new ArrayList<>(List.of("/usr/sbin/chroot", rootfs.toString()));
        for (Object a : entrypoint) {
            cmd.add((String) a);
        }
        for (String name : inputs.keySet()) {
            Files.copy(work.resolve(name + ".npy"), inside.resolve(name + ".npy"));
            cmd.add("--input");
            cmd.add(name + "=/work/" + name + ".npy");
        }
        cmd.addAll(List.of("--output-dir", "/work/out"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        // A bare chroot has no /proc, from which the dynamic loader reads $ORIGIN (java's rpath to
        // libjli.so); a container runtime mounts /proc, so the image itself needs no such variable.
        pb.environment().put("LD_LIBRARY_PATH", "/opt/minilm/runtime/lib");
        run(pb, work.resolve("chroot.log"));
        assertSameOutputs(plainOutputs(), inside.resolve("out"));
    }

    private static byte[] blob(Map<?, ?> descriptor) throws Exception {
        String digest = (String) descriptor.get("digest");
        assertTrue(digest.startsWith("sha256:"), digest);
        byte[] bytes = Files.readAllBytes(oci.resolve("blobs/sha256").resolve(digest.substring(7)));
        assertEquals(digest.substring(7), sha256(bytes), "digest of " + digest);
        assertEquals(((Number) descriptor.get("size")).longValue(), bytes.length, "size of " + digest);
        return bytes;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static List<String> inputArgs() {
        List<String> args = new ArrayList<>();
        for (String name : inputs.keySet()) {
            args.add("--input");
            args.add(name + "=" + work.resolve(name + ".npy"));
        }
        return args;
    }

    private static String run(ProcessBuilder pb, Path log) throws Exception {
        Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "did not finish: " + pb.command());
        String text = Files.readString(log);
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    private static Path whereIs(String tool) {
        for (String d : List.of("/bin", "/usr/bin")) {
            Path p = Path.of(d, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalStateException(tool + " is not in /bin or /usr/bin");
    }
}
