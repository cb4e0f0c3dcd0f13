package fsc.runtime;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.CodeSource;

/**
 * Maps a model's weights straight from its jar: the entry must be STORED, so its bytes sit in the
 * jar file unchanged and can be mapped read-only without ever being copied onto the heap.
 *
 * <p>The jar is read as a ZIP file (PKWARE APPNOTE.TXT): the end-of-central-directory record (and
 * its ZIP64 variant for jars over 4 GiB) gives the central directory; the entry's central header
 * gives its method, size and local header offset; the local header's name and extra lengths give
 * where the data starts. When the anchor class was loaded from a directory (tests, IDE runs), the
 * entry is a file under that directory.
 */
public final class WeightsFile {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int EOCD_SIG = 0x06054b50;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int ZIP64_EOCD_SIG = 0x06064b50;
    private static final int CENTRAL_SIG = 0x02014b50;
    private static final int LOCAL_SIG = 0x04034b50;
    private static final int EOCD_BYTES = 22;
    private static final int MAX_COMMENT = 0xFFFF;
    private static final int STORED = 0;
    private static final int ZIP64_EXTRA_ID = 0x0001;

    private WeightsFile() {}

    /**
     * Maps {@code entryName} from the jar (or directory) that {@code anchor} was loaded from, in a
     * GC-managed arena: usable from any thread, unmapped when the segment becomes unreachable.
     */
    public static MemorySegment map(Class<?> anchor, String entryName) {
        return map(anchor, entryName, Arena.ofAuto());
    }

    /**
     * As {@link #map(Class, String)}, with the mapping's lifetime tied to {@code arena} (e.g. a
     * shared arena a model closes in {@link CompiledModel#close()}).
     */
    public static MemorySegment map(Class<?> anchor, String entryName, Arena arena) {
        Path location = locationOf(anchor);
        if (Files.isDirectory(location)) {
            Path file = location.resolve(entryName);
            if (!Files.isRegularFile(file)) {
                throw new RuntimeFailure("weights file " + file + " not found next to " + anchor.getName());
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            } catch (IOException e) {
                throw new RuntimeFailure("cannot map " + file + ": " + e.getMessage(), e);
            }
        }
        return mapFromJar(location, entryName, arena);
    }

    /** Maps STORED entry {@code entryName} of the ZIP/jar file {@code jar}. */
    public static MemorySegment mapFromJar(Path jar, String entryName, Arena arena) {
        try (FileChannel ch = FileChannel.open(jar, StandardOpenOption.READ);
                Arena scan = Arena.ofConfined()) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), scan);
            Entry e = new ZipScanner(jar, file).find(entryName);
            return ch.map(FileChannel.MapMode.READ_ONLY, e.dataOffset, e.size, arena);
        } catch (IOException ex) {
            throw new RuntimeFailure("cannot map " + entryName + " from " + jar + ": " + ex.getMessage(), ex);
        }
    }

    private static Path locationOf(Class<?> anchor) {
        CodeSource cs = anchor.getProtectionDomain().getCodeSource();
        URL url = cs == null || cs.getLocation() == null ? classFileJar(anchor) : cs.getLocation();
        if (url == null || !"file".equals(url.getProtocol())) {
            throw new RuntimeFailure("cannot locate the jar of " + anchor.getName() + " (code source " + url
                    + "); run the model jar from a file");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new RuntimeFailure("cannot locate the jar of " + anchor.getName() + " at " + url, e);
        }
    }

    /**
     * The jar a class's bytes come from, read off its class-file resource URL
     * ({@code jar:file:/x/m.jar!/a/B.class}), or null. A class a JDK AOT cache loaded (fsc package)
     * has a code source without a location when the jar was moved after training; its resource still names the jar.
     */
    private static URL classFileJar(Class<?> anchor) {
        URL res = anchor.getResource("/" + anchor.getName().replace('.', '/') + ".class");
        if (res == null || !"jar".equals(res.getProtocol())) {
            return null;
        }
        String spec = res.getPath();
        int bang = spec.indexOf("!/");
        try {
            return bang < 0
                    ? null
                    : java.net.URI.create(spec.substring(0, bang)).toURL();
        } catch (java.net.MalformedURLException | IllegalArgumentException e) {
            return null;
        }
    }

    private record Entry(long dataOffset, long size) {}

    /** Reads just enough of the ZIP structure to find one entry's data. */
    private record ZipScanner(Path jar, MemorySegment file) {
        Entry find(String entryName) {
            long size = file.byteSize();
            long eocd = findEocd(size);
            long entries = Short.toUnsignedInt(file.get(U16, eocd + 10));
            long cdOffset = Integer.toUnsignedLong(file.get(U32, eocd + 16));
            if (entries == 0xFFFF || cdOffset == 0xFFFFFFFFL) {
                long locator = eocd - 20;
                if (locator < 0 || file.get(U32, locator) != ZIP64_LOCATOR_SIG) {
                    throw fail(eocd, "ZIP64 values without a ZIP64 locator");
                }
                long z64 = file.get(U64, locator + 8);
                check(z64, 56, "ZIP64 end record");
                if (file.get(U32, z64) != ZIP64_EOCD_SIG) {
                    throw fail(z64, "bad ZIP64 end-of-central-directory signature");
                }
                entries = file.get(U64, z64 + 32);
                cdOffset = file.get(U64, z64 + 48);
            }
            byte[] wanted = entryName.getBytes(StandardCharsets.UTF_8);
            long p = cdOffset;
            for (long i = 0; i < entries; i++) {
                check(p, 46, "central directory");
                if (file.get(U32, p) != CENTRAL_SIG) {
                    throw fail(p, "bad central directory signature");
                }
                int method = Short.toUnsignedInt(file.get(U16, p + 10));
                long compressed = Integer.toUnsignedLong(file.get(U32, p + 20));
                long uncompressed = Integer.toUnsignedLong(file.get(U32, p + 24));
                int nameLen = Short.toUnsignedInt(file.get(U16, p + 28));
                int extraLen = Short.toUnsignedInt(file.get(U16, p + 30));
                int commentLen = Short.toUnsignedInt(file.get(U16, p + 32));
                long localOffset = Integer.toUnsignedLong(file.get(U32, p + 42));
                check(p + 46, nameLen + extraLen, "central directory entry");
                if (nameEquals(p + 46, nameLen, wanted)) {
                    if (method != STORED) {
                        throw fail(
                                p,
                                "entry " + entryName + " is compressed (method " + method
                                        + "); weights must be STORED so they can be mapped");
                    }
                    long[] z = {uncompressed, compressed, localOffset};
                    readZip64Extra(p + 46 + nameLen, extraLen, z);
                    return dataOf(entryName, z[2], z[0]);
                }
                p += 46L + nameLen + extraLen + commentLen;
            }
            throw new RuntimeFailure(jar + ": no entry " + entryName + " in the jar");
        }

        private Entry dataOf(String entryName, long local, long length) {
            check(local, 30, "local header of " + entryName);
            if (file.get(U32, local) != LOCAL_SIG) {
                throw fail(local, "bad local header signature for " + entryName);
            }
            int nameLen = Short.toUnsignedInt(file.get(U16, local + 26));
            int extraLen = Short.toUnsignedInt(file.get(U16, local + 28));
            long data = local + 30 + nameLen + extraLen;
            check(data, length, "data of " + entryName);
            return new Entry(data, length);
        }

        /** Replaces 0xFFFFFFFF sizes/offset with their ZIP64 extra-field values, in APPNOTE order. */
        private void readZip64Extra(long p, int len, long[] z) {
            long end = p + len;
            while (p + 4 <= end) {
                int id = Short.toUnsignedInt(file.get(U16, p));
                int size = Short.toUnsignedInt(file.get(U16, p + 2));
                if (id == ZIP64_EXTRA_ID) {
                    long q = p + 4;
                    for (int i = 0; i < z.length && q + 8 <= p + 4 + size; i++) {
                        if (z[i] == 0xFFFFFFFFL) {
                            z[i] = file.get(U64, q);
                            q += 8;
                        }
                    }
                }
                p += 4L + size;
            }
        }

        private long findEocd(long size) {
            long stop = Math.max(0, size - EOCD_BYTES - MAX_COMMENT);
            for (long p = size - EOCD_BYTES; p >= stop; p--) {
                if (file.get(U32, p) == EOCD_SIG) {
                    return p;
                }
            }
            throw fail(size, "not a jar/zip file (no end-of-central-directory record)");
        }

        private boolean nameEquals(long p, int len, byte[] wanted) {
            if (len != wanted.length) {
                return false;
            }
            for (int i = 0; i < len; i++) {
                if (file.get(ValueLayout.JAVA_BYTE, p + i) != wanted[i]) {
                    return false;
                }
            }
            return true;
        }

        private void check(long offset, long length, String what) {
            if (offset < 0 || length < 0 || offset + length > file.byteSize()) {
                throw fail(offset, what + " runs past the end of the file");
            }
        }

        private RuntimeFailure fail(long offset, String message) {
            return new RuntimeFailure(jar + ": byte " + offset + ": " + message);
        }
    }
}
