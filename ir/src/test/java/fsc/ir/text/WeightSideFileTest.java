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
}
