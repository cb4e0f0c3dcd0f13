package fsc.compiler;

import fsc.backend.java.JavaBackendOptions;
import fsc.ir.FscException;
import fsc.ir.text.WeightSideFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Jars compiled on the fly ({@code fsc run model.onnx}, {@code demo}, {@code bench}, {@code serve}),
 * kept in one folder and reused.
 *
 * <p>An entry's name is {@code STEM-KEY.jar}, where KEY hashes what decides the jar's bytes: the
 * input file's content (sha256; for an .fsir file with its weights side file), the settings that change the jar ({@link
 * CompileSettings#fingerprint}) and the compiler's version ({@link #compilerVersion}: the release
 * plus the sha256 of the compiler's own jar, so a rebuild with the same code hits the same entry and
 * a changed compiler misses). A touched file with the same bytes hits; nothing depends on mtimes.
 *
 * <p>Eviction: after each insert, the least recently used entries (a hit refreshes an entry's
 * modification time) are deleted until at most {@link #MAX_ENTRIES} jars and {@link #MAX_BYTES}
 * bytes remain; the entry just written is always kept.
 */
public final class CompileCache {
    /** At most this many jars stay in the cache. */
    public static final int MAX_ENTRIES = 8;

    /** At most this many bytes of jars stay in the cache (a 1B-parameter Q4_0 decoder is ~0.7 GB). */
    public static final long MAX_BYTES = 4L << 30;

    private final Path dir;
    private final int maxEntries;
    private final long maxBytes;

    public CompileCache(Path dir) {
        this(dir, MAX_ENTRIES, MAX_BYTES);
    }

    CompileCache(Path dir, int maxEntries, long maxBytes) {
        this.dir = dir;
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
    }

    /**
     * A jar for {@code model}: the model itself when it is a jar, otherwise the cached compile with
     * default settings, compiled now when absent.
     */
    public Path jarFor(Path model, CompileProgress progress) {
        if (model.getFileName().toString().endsWith(".jar")) {
            return model;
        }
        if (!Files.isRegularFile(model)) {
            throw new FscException(model + ": no such file");
        }
        return jarFor(CompileSettings.builder(model, model).build(), progress);
    }

    /** The cached jar for {@code settings} when there is one, without compiling. */
    public java.util.Optional<Path> cached(CompileSettings settings) {
        Path cached = dir.resolve(entryName(settings));
        return Files.isRegularFile(cached) ? java.util.Optional.of(cached) : java.util.Optional.empty();
    }

    /** The cached jar for {@code settings} (its output is ignored), compiled now when absent. */
    public Path jarFor(CompileSettings settings, CompileProgress progress) {
        Path cached = dir.resolve(entryName(settings));
        try {
            if (Files.isRegularFile(cached)) {
                Files.setLastModifiedTime(cached, FileTime.fromMillis(System.currentTimeMillis()));
                progress.step("using cached " + cached);
                return cached;
            }
            CompileDriver.compile(settings.withOutput(cached), progress);
            evict(cached);
            return cached;
        } catch (IOException e) {
            throw new FscException("cannot use the compile cache " + dir + ": " + e.getMessage());
        }
    }

    /** {@code STEM-KEY.jar} for the settings' input (see the class comment for KEY). */
    String entryName(CompileSettings s) {
        String key;
        try {
            key = sha256(contentHash(s) + "|" + s.fingerprint() + "|" + compilerVersion());
        } catch (IOException e) {
            throw new FscException(s.input() + ": cannot read: " + e.getMessage());
        }
        String stem = s.input().getFileName().toString().replaceAll("\\.[^.]*$", "");
        return stem + "-" + key.substring(0, 16) + ".jar";
    }

    /**
     * The input's bytes; for an .fsir file also its weights side file, which holds its constants; and
     * the bytes of every {@code --bind} file, which become constants too.
     */
    private static String contentHash(CompileSettings s) throws IOException {
        String h = sha256(s.input());
        for (Path bound : s.bindings().values()) {
            h += "+" + sha256(bound);
        }
        Path side = s.input().toAbsolutePath().resolveSibling(WeightSideFile.NAME);
        if (s.format() == InputFormat.FSIR && Files.isRegularFile(side)) {
            h += "+" + sha256(side);
        }
        return h;
    }

    private void evict(Path keep) throws IOException {
        List<Path> jars;
        try (Stream<Path> files = Files.list(dir)) {
            jars = new ArrayList<>(files.filter(f -> f.getFileName().toString().endsWith(".jar"))
                    .filter(Files::isRegularFile)
                    .toList());
        }
        // Newest first; ties by name so the order is the same on every run.
        jars.sort(Comparator.comparing(CompileCache::modified).reversed().thenComparing(Path::toString));
        int kept = 0;
        long bytes = 0;
        for (Path jar : jars) {
            long size = Files.size(jar);
            if (jar.equals(keep) || (kept < maxEntries && bytes + size <= maxBytes)) {
                kept++;
                bytes += size;
            } else {
                Files.deleteIfExists(jar);
            }
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static String compilerVersion;

    /**
     * The release plus the sha256 of the jar the compiler's classes come from (the build's jars are
     * reproducible, so equal code gives an equal hash); the release alone when running from class
     * folders (tests).
     */
    static synchronized String compilerVersion() {
        if (compilerVersion == null) {
            String v = JavaBackendOptions.DEFAULT_VERSION;
            try {
                Path self = Path.of(CompileCache.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI());
                if (Files.isRegularFile(self)) {
                    v += "+" + sha256(self).substring(0, 16);
                }
            } catch (Exception e) {
                // no code source: the release alone
            }
            compilerVersion = v;
        }
        return compilerVersion;
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = digest();
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        }
    }

    static String sha256(String text) {
        return HexFormat.of().formatHex(digest().digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
