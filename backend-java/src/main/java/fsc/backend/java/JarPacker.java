package fsc.backend.java;

import fsc.runtime.JarLayout;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes the model jar: manifest, generated classes, the runtime's classes, the generated sources for
 * readers, {@code fsc/model.json}, and {@code fsc/weights.bin} last, STORED and 64-byte aligned so the
 * runtime can map it in place. Entry order and timestamps are fixed, so the same graph gives a
 * byte-identical jar.
 */
final class JarPacker {
    private JarPacker() {}

    /** Every entry timestamp: fixed, and given as local DOS time so the time zone cannot leak in. */
    static final LocalDateTime TIMESTAMP = LocalDateTime.of(2026, 1, 1, 0, 0);

    static final String RUNTIME_PREFIX = "fsc/runtime/";

    /** What goes in the jar besides the runtime. Maps are sorted by entry name. */
    record Contents(
            String mainClass,
            String modelClass,
            SortedMap<String, byte[]> classes,
            SortedMap<String, String> sources,
            String modelJson,
            byte[] weights,
            SortedMap<String, byte[]> resources) {}

    static void write(Path jar, Contents c, Path runtimeLocation) {
        SortedMap<String, byte[]> runtime = runtimeClasses(runtimeLocation);
        try (CountingStream counter = new CountingStream(new BufferedOutputStream(Files.newOutputStream(jar)));
                ZipOutputStream zip = new ZipOutputStream(counter)) {
            deflated(zip, JarFile.MANIFEST_NAME, manifest(c).getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, byte[]> e : c.classes().entrySet()) {
                deflated(zip, e.getKey(), e.getValue());
            }
            for (Map.Entry<String, byte[]> e : runtime.entrySet()) {
                deflated(zip, e.getKey(), e.getValue());
            }
            for (Map.Entry<String, String> e : c.sources().entrySet()) {
                deflated(zip, "fsc/src/" + e.getKey(), e.getValue().getBytes(StandardCharsets.UTF_8));
            }
            deflated(zip, "fsc/model.json", c.modelJson().getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, byte[]> e : c.resources().entrySet()) {
                if (!e.getKey().startsWith(JavaBackend.MANIFEST_ATTRIBUTE_PREFIX)) {
                    deflated(zip, e.getKey(), e.getValue());
                }
            }
            storedAligned(zip, counter, JarLayout.WEIGHTS_ENTRY, c.weights());
        } catch (IOException e) {
            throw new fsc.ir.FscException("cannot write " + jar + ": " + e.getMessage(), null, e);
        }
    }

    static String manifest(Contents c) {
        return "Manifest-Version: 1.0\r\n"
                + "Created-By: fsc\r\n"
                + "Main-Class: " + c.mainClass() + "\r\n"
                + "Fsc-Model-Class: " + c.modelClass() + "\r\n"
                + "Enable-Native-Access: ALL-UNNAMED\r\n"
                + extraAttributes(c)
                + "\r\n";
    }

    /**
     * The {@link JavaBackend#MANIFEST_ATTRIBUTE_PREFIX} resources as manifest lines, wrapped as the JAR
     * specification requires: at most 72 bytes a line, a continuation line starting with one space.
     */
    static String extraAttributes(Contents c) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, byte[]> e : c.resources().entrySet()) {
            if (!e.getKey().startsWith(JavaBackend.MANIFEST_ATTRIBUTE_PREFIX)) {
                continue;
            }
            String name = e.getKey().substring(JavaBackend.MANIFEST_ATTRIBUTE_PREFIX.length());
            String value = new String(e.getValue(), StandardCharsets.UTF_8).replaceAll("[\\r\\n]+", " ");
            byte[] line = (name + ": " + value).getBytes(StandardCharsets.UTF_8);
            int at = 0;
            int width = 72;
            while (at < line.length) {
                int end = Math.min(line.length, at + width);
                while (end < line.length && end > at && (line[end] & 0xC0) == 0x80) {
                    end--; // never split a UTF-8 sequence
                }
                if (at > 0) {
                    b.append(' ');
                }
                b.append(new String(line, at, end - at, StandardCharsets.UTF_8)).append("\r\n");
                at = end;
                width = 71; // the leading space counts
            }
        }
        return b.toString();
    }

    private static void deflated(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setTimeLocal(TIMESTAMP);
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    /**
     * A STORED entry whose data starts on a multiple of {@link JarLayout#ALIGNMENT}: the local header is
     * 30 bytes plus the name plus the extra field, so the extra field is sized to pad up to the boundary.
     */
    private static void storedAligned(ZipOutputStream zip, CountingStream counter, String name, byte[] data)
            throws IOException {
        byte[] extra = JarLayout.alignmentExtra(counter.count(), name.getBytes(StandardCharsets.UTF_8).length);
        CRC32 crc = new CRC32();
        crc.update(data);
        ZipEntry e = new ZipEntry(name);
        e.setTimeLocal(TIMESTAMP);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        e.setCrc(crc.getValue());
        e.setExtra(extra);
        zip.putNextEntry(e);
        if (counter.count() % JarLayout.ALIGNMENT != 0) {
            throw new IllegalStateException(
                    name + " data starts at " + counter.count() + ", expected a multiple of " + JarLayout.ALIGNMENT);
        }
        zip.write(data);
        zip.closeEntry();
    }

    /** The runtime's classes, from its classes directory or from the jar fsc runs from. */
    static SortedMap<String, byte[]> runtimeClasses(Path location) {
        SortedMap<String, byte[]> out = new TreeMap<>();
        try {
            if (Files.isDirectory(location)) {
                Path root = location.resolve(RUNTIME_PREFIX);
                try (Stream<Path> files = Files.walk(root)) {
                    for (Path p : files.filter(Files::isRegularFile).toList()) {
                        String entry = location.relativize(p).toString().replace('\\', '/');
                        out.put(entry, Files.readAllBytes(p));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(location.toFile())) {
                    for (var e : java.util.Collections.list(jar.entries())) {
                        if (!e.isDirectory() && e.getName().startsWith(RUNTIME_PREFIX)) {
                            try (InputStream in = jar.getInputStream(e)) {
                                out.put(e.getName(), in.readAllBytes());
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the fsc runtime from " + location, e);
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("no " + RUNTIME_PREFIX + " classes under " + location);
        }
        return out;
    }

    /** Counts bytes on their way to the file, to place the aligned entry. */
    private static final class CountingStream extends FilterOutputStream {
        private long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        long count() {
            return count;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
