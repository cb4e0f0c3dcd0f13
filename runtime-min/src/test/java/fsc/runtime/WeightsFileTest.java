package fsc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightsFileTest {
    private static final String ANCHOR = "fsc.runtime.WeightsAnchorFixture";
    private static final String CLASS_ENTRY = "fsc/runtime/WeightsAnchorFixture.class";

    @TempDir
    Path dir;

    @Test
    void mapsAStoredEntryAlignedWithoutCopying() throws Exception {
        byte[] weights = pattern(1000);
        Path jar = buildJar(weights);
        try (URLClassLoader loader = loaderFor(jar);
                Arena arena = Arena.ofShared()) {
            Class<?> anchor = Class.forName(ANCHOR, false, loader);
            MemorySegment seg = WeightsFile.map(anchor, JarLayout.WEIGHTS_ENTRY, arena);
            assertEquals(weights.length, seg.byteSize());
            assertEquals(-1L, seg.mismatch(MemorySegment.ofArray(weights)));
            assertTrue(seg.isMapped() && seg.isReadOnly() && seg.isNative(), "a read-only file mapping");
            assertEquals(0, seg.address() % JarLayout.ALIGNMENT, "data must start 64-byte aligned");
            RuntimeFailure deflated =
                    assertThrows(RuntimeFailure.class, () -> WeightsFile.map(anchor, "fsc/deflated.bin", arena));
            assertTrue(deflated.getMessage().contains("compressed (method 8)"), deflated.getMessage());
            RuntimeFailure missing =
                    assertThrows(RuntimeFailure.class, () -> WeightsFile.map(anchor, "fsc/none.bin", arena));
            assertTrue(missing.getMessage().contains("no entry fsc/none.bin"), missing.getMessage());
        }
    }

    @Test
    void mapsAFileWhenTheAnchorComesFromADirectory() throws Exception {
        Path classes = dir.resolve("classes");
        Files.createDirectories(classes.resolve("fsc/runtime"));
        Files.write(classes.resolve(CLASS_ENTRY), classBytes());
        Files.createDirectories(classes.resolve("fsc"));
        byte[] weights = pattern(77);
        Files.write(classes.resolve(JarLayout.WEIGHTS_ENTRY), weights);
        try (URLClassLoader loader = loaderFor(classes)) {
            Class<?> anchor = Class.forName(ANCHOR, false, loader);
            MemorySegment seg = WeightsFile.map(anchor, JarLayout.WEIGHTS_ENTRY);
            assertEquals(-1L, seg.mismatch(MemorySegment.ofArray(weights)));
            assertThrows(RuntimeFailure.class, () -> WeightsFile.map(anchor, "fsc/absent.bin"));
        }
    }

    /**
     * Jars over 4 GiB (LLM weights) use ZIP64: 0xFFFFFFFF in the 32-bit size and offset fields, the
     * real values in a ZIP64 extra field, and a ZIP64 end record found through its locator. Built
     * byte by byte here (APPNOTE.TXT 4.3.14–4.3.15, 4.5.3) since a real one would need 4 GiB.
     */
    @Test
    void readsZip64SizesAndOffsets() throws IOException {
        byte[] name = JarLayout.WEIGHTS_ENTRY.getBytes(StandardCharsets.UTF_8);
        byte[] data = pattern(200);
        java.nio.ByteBuffer z = java.nio.ByteBuffer.allocate(1024).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        // Local header with a ZIP64 extra (uncompressed, compressed sizes).
        z.putInt(0x04034b50).putShort((short) 45).putShort((short) 0).putShort((short) 0);
        z.putShort((short) 0).putShort((short) 0).putInt(0).putInt(-1).putInt(-1);
        z.putShort((short) name.length).putShort((short) 20).put(name);
        z.putShort((short) 1).putShort((short) 16).putLong(data.length).putLong(data.length);
        z.put(data);
        int cd = z.position();
        z.putInt(0x02014b50)
                .putShort((short) 45)
                .putShort((short) 45)
                .putShort((short) 0)
                .putShort((short) 0);
        z.putShort((short) 0).putShort((short) 0).putInt(0).putInt(-1).putInt(-1);
        z.putShort((short) name.length).putShort((short) 28).putShort((short) 0);
        z.putShort((short) 0).putShort((short) 0).putInt(0).putInt(-1).put(name);
        z.putShort((short) 1)
                .putShort((short) 24)
                .putLong(data.length)
                .putLong(data.length)
                .putLong(0);
        int cdSize = z.position() - cd;
        int z64 = z.position();
        z.putInt(0x06064b50)
                .putLong(44)
                .putShort((short) 45)
                .putShort((short) 45)
                .putInt(0)
                .putInt(0);
        z.putLong(1).putLong(1).putLong(cdSize).putLong(cd);
        z.putInt(0x07064b50).putInt(0).putLong(z64).putInt(1);
        z.putInt(0x06054b50)
                .putShort((short) 0)
                .putShort((short) 0)
                .putShort((short) -1)
                .putShort((short) -1);
        z.putInt(-1).putInt(-1).putShort((short) 0);
        Path jar = dir.resolve("zip64.jar");
        Files.write(jar, java.util.Arrays.copyOf(z.array(), z.position()));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = WeightsFile.mapFromJar(jar, JarLayout.WEIGHTS_ENTRY, arena);
            assertEquals(data.length, seg.byteSize());
            assertEquals(-1L, seg.mismatch(MemorySegment.ofArray(data)));
        }
    }

    @Test
    void rejectsAFileThatIsNotAZip() throws IOException {
        Path notZip = dir.resolve("x.jar");
        Files.write(notZip, "hello".getBytes(StandardCharsets.US_ASCII));
        RuntimeFailure e = assertThrows(
                RuntimeFailure.class, () -> WeightsFile.mapFromJar(notZip, JarLayout.WEIGHTS_ENTRY, Arena.ofAuto()));
        assertTrue(e.getMessage().contains("no end-of-central-directory"), e.getMessage());
    }

    @Test
    void alignmentExtraPadsToTheBoundary() {
        for (long offset : new long[] {0, 1, 63, 64, 1000}) {
            for (int name : new int[] {0, 15, 16, 60}) {
                byte[] extra = JarLayout.alignmentExtra(offset, name);
                long data = offset + JarLayout.LOCAL_HEADER_FIXED_BYTES + name + extra.length;
                assertEquals(0, data % JarLayout.ALIGNMENT);
                assertEquals(extra.length - 4, (extra[2] & 0xFF) | (extra[3] & 0xFF) << 8);
            }
        }
    }

    /** A jar like the backend's packer writes: the class deflated, weights STORED and aligned. */
    private Path buildJar(byte[] weights) throws IOException {
        Path jar = dir.resolve("model.jar");
        try (Counting counting = new Counting(Files.newOutputStream(jar));
                ZipOutputStream zip = new ZipOutputStream(counting)) {
            ZipEntry cls = new ZipEntry(CLASS_ENTRY);
            zip.putNextEntry(cls);
            zip.write(classBytes());
            zip.closeEntry();

            ZipEntry w = new ZipEntry(JarLayout.WEIGHTS_ENTRY);
            w.setMethod(ZipEntry.STORED);
            w.setSize(weights.length);
            CRC32 crc = new CRC32();
            crc.update(weights);
            w.setCrc(crc.getValue());
            zip.flush();
            w.setExtra(JarLayout.alignmentExtra(counting.count, JarLayout.WEIGHTS_ENTRY.length()));
            zip.putNextEntry(w);
            zip.write(weights);
            zip.closeEntry();

            zip.putNextEntry(new ZipEntry("fsc/deflated.bin"));
            zip.write(weights);
            zip.closeEntry();
        }
        return jar;
    }

    private static URLClassLoader loaderFor(Path location) throws IOException {
        return new URLClassLoader(new URL[] {location.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
    }

    private static byte[] classBytes() throws IOException {
        try (InputStream in = WeightsAnchorFixture.class.getResourceAsStream("WeightsAnchorFixture.class")) {
            return in.readAllBytes();
        }
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }

    /** Counts bytes written, so the test knows where the next local header starts. */
    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(OutputStream out) {
            super(out);
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
