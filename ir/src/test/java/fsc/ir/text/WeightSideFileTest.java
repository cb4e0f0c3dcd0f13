package fsc.ir.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.FscException;
import fsc.ir.TestWeights;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightSideFileTest {

    private static byte[] bytes(WeightData w) {
        ByteBuffer b = w.view();
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    @Test
    void writesAlignedAndReadsBackEveryWeight(@TempDir Path dir) throws Exception {
        Weights w = new Weights(new TreeMap<>(Map.of(
                "layer0.q.weight", TestWeights.floats(new long[] {3, 2}, 1, 2, 3, 4, 5, 6),
                "shape", TestWeights.longs(new long[] {3}, 1, -1, 384),
                "scalar", TestWeights.scalar(7))));
        Path file = dir.resolve(WeightSideFile.NAME);
        WeightSideFile.write(file, w);
        assertEquals(0, Files.size(file) % 64);
        Weights back = WeightSideFile.read(file);
        assertEquals(w.byName().keySet(), back.byName().keySet());
        for (String name : w.byName().keySet()) {
            assertEquals(w.get(name).type(), back.get(name).type());
            assertArrayEquals(bytes(w.get(name)), bytes(back.get(name)));
        }
        // Same weights, same bytes.
        Path again = dir.resolve("again.fsw");
        WeightSideFile.write(again, back);
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again));
    }

    @Test
    void missingOrForeignFilesAreUserErrors(@TempDir Path dir) throws Exception {
        FscException missing =
                assertThrows(FscException.class, () -> WeightSideFile.nextTo(dir.resolve("03-fuse.fsir")));
        assertTrue(missing.getMessage().contains("weights side file"), missing.getMessage());
        Path junk = dir.resolve(WeightSideFile.NAME);
        Files.writeString(junk, "hello, not weights");
        FscException bad = assertThrows(FscException.class, () -> WeightSideFile.read(junk));
        assertTrue(bad.getMessage().contains("bad magic"), bad.getMessage());
    }

    /**
     * Index entries a mutation fuzzer produced (docs/RELIABILITY.md): each used to end in an
     * internal error (ArithmeticException, "Size exceeds Integer.MAX_VALUE") and is now a one-line
     * user error naming the weight and the index offset.
     */
    @Test
    void hostileIndexEntriesAreUserErrors(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(WeightSideFile.NAME);
        // One f32[3,2] weight named "w": its entry starts at byte 16.
        WeightSideFile.write(
                file, new Weights(new TreeMap<>(Map.of("w", TestWeights.floats(new long[] {3, 2}, 1, 2, 3, 4, 5, 6)))));
        byte[] good = Files.readAllBytes(file);
        int rank = 16 + 2 + 1 + 1 + "f32".length();
        int dims = rank + 1;
        int offset = dims + 16;
        int size = offset + 8;

        // offset + bytes wraps past 2^63: "points past the end", not a long overflow.
        assertUserError(file, patchLong(good, offset, Long.MAX_VALUE - 8), "weight 'w' (index at byte offset 16)");
        assertUserError(file, patchLong(good, size, Long.MAX_VALUE), "points past the end");
        // dims whose element count overflows 64 bits.
        byte[] huge = patchLong(patchLong(good, dims, 1L << 40), dims + 8, 1L << 40);
        assertUserError(file, huge, "overflow a 64-bit element count");
        assertUserError(file, patchLong(good, dims, -3), "negative dimension");
        // A count of 2^32 - 1 entries in a file of a few hundred bytes.
        assertUserError(file, patchInt(good, 8, -1), "the index claims 4294967295 weights");
    }

    /** Rank 255 in a short file: the index runs out before the dims do. */
    @Test
    void aRankPastTheFileIsTruncation(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(WeightSideFile.NAME);
        WeightSideFile.write(file, new Weights(new TreeMap<>(Map.of("w", TestWeights.scalar(7)))));
        byte[] b = Files.readAllBytes(file);
        b[16 + 2 + 1 + 1 + "f32".length()] = (byte) 255;
        Files.write(file, java.util.Arrays.copyOf(b, 256));
        FscException e = assertThrows(FscException.class, () -> WeightSideFile.read(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
    }

    @Test
    void aFifoOrFolderIsNotASideFile(@TempDir Path dir) throws Exception {
        Files.createDirectory(dir.resolve(WeightSideFile.NAME));
        FscException e = assertThrows(FscException.class, () -> WeightSideFile.nextTo(dir.resolve("03-fuse.fsir")));
        assertTrue(e.getMessage().contains("is not a regular file"), e.getMessage());
    }

    private static void assertUserError(Path file, byte[] bytes, String message) throws Exception {
        Files.write(file, bytes);
        FscException e = assertThrows(FscException.class, () -> WeightSideFile.read(file));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    private static byte[] patchLong(byte[] in, int at, long v) {
        byte[] b = in.clone();
        ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(at, v);
        return b;
    }

    private static byte[] patchInt(byte[] in, int at, int v) {
        byte[] b = in.clone();
        ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(at, v);
        return b;
    }
}
