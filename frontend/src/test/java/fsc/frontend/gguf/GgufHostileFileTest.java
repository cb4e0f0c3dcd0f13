package fsc.frontend.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.FscException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncated and forged files must end in one {@link FscException} line naming the file and a byte
 * offset: never another exception, an OutOfMemoryError, or an allocation sized by a forged count.
 */
class GgufHostileFileTest {
    private static final Pattern ONE_LINE = Pattern.compile("t\\.gguf: [^\\n]+ at byte offset \\d+");

    @TempDir
    Path dir;

    private String error(byte[] bytes) {
        Path p = dir.resolve("t.gguf");
        try {
            Files.write(p, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        FscException e = assertThrows(FscException.class, () -> GgufFile.open(p).close());
        assertTrue(ONE_LINE.matcher(e.getMessage()).matches(), e.getMessage());
        return e.getMessage();
    }

    private static byte[] validFile() {
        return RawGguf.header(3, 2, 3)
                .str("general.architecture")
                .u32(8)
                .str("llama")
                .str("tokens")
                .u32(9)
                .u32(8)
                .u64(2)
                .str("a")
                .str("bc")
                .str("nested")
                .u32(9)
                .u32(9)
                .u64(1)
                .u32(4)
                .u64(2)
                .u32(7)
                .u32(9)
                .tensor("w", new long[] {32, 2}, 8, 0)
                .tensor("b", new long[] {3}, 0, 96)
                .pad(32)
                .zeros(68) // two Q8_0 blocks
                .zeros(28) // pad to 96
                .zeros(12) // three f32
                .toBytes();
    }

    @Test
    void theBaseFileIsValid() throws IOException {
        Path p = dir.resolve("ok.gguf");
        Files.write(p, validFile());
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(
                    List.of("w", "b"),
                    f.tensors().stream().map(GgufTensorInfo::name).toList());
            assertEquals(12, f.tensorData("b").byteSize());
            assertEquals(List.of("a", "bc"), f.metadata().getStrings("tokens"));
        }
    }

    @Test
    void everyTruncationIsAOneLineUserError() {
        byte[] full = validFile();
        for (int n = 0; n < full.length; n++) {
            error(Arrays.copyOf(full, n));
        }
    }

    @Test
    void badMagicAndVersions() {
        assertEquals(
                "t.gguf: not a GGUF file (magic 0x46554758, expected \"GGUF\") at byte offset 0", error(forgeMagic()));
        assertEquals(
                "t.gguf: GGUF version 1 is not supported (re-convert the model with a current llama.cpp) at byte offset 4",
                error(RawGguf.header(1, 0, 0).toBytes()));
        assertEquals(
                "t.gguf: big-endian GGUF files are not supported at byte offset 4",
                error(RawGguf.header(0x03000000L, 0, 0).toBytes()));
    }

    private static byte[] forgeMagic() {
        byte[] b = RawGguf.header(3, 0, 0).toBytes();
        b[0] = 'X';
        return b;
    }

    @Test
    void absurdCountsAreRejectedBeforeAllocating() {
        assertEquals(
                "t.gguf: tensor count 1099511627776 needs more bytes than the 0 left in the file at byte offset 24",
                error(RawGguf.header(3, 1L << 40, 0).toBytes()));
        assertTrue(error(RawGguf.header(3, 0, Long.MAX_VALUE).toBytes()).startsWith("t.gguf: metadata count"));
        assertTrue(
                error(RawGguf.header(3, 0, -1).toBytes()).contains("metadata count 18446744073709551615 is too large"));
        String array = error(
                RawGguf.header(3, 0, 1).str("k").u32(9).u32(0).u64(1L << 23).toBytes());
        assertTrue(array.contains("array length for key 'k' 8388608 needs more bytes"), array);
        String huge = error(
                RawGguf.header(3, 0, 1).str("k").u32(9).u32(0).u64(1L << 40).toBytes());
        assertTrue(huge.contains("exceeds fsc's limit"), huge);
    }

    @Test
    void stringLengthsPastTheEndAreRejected() {
        assertEquals(
                "t.gguf: metadata key length 4096 exceeds the 8 bytes left in the file at byte offset 24",
                error(RawGguf.header(3, 0, 1).u64(4096).zeros(8).toBytes()));
        String s = error(
                RawGguf.header(3, 0, 1).str("k").u32(8).u64(Long.MAX_VALUE).toBytes());
        assertTrue(s.contains("k length 9223372036854775807 exceeds"), s);
    }

    @Test
    void unknownTypesAreNamed() {
        assertEquals(
                "t.gguf: unknown metadata value type 13 for key 'k' at byte offset 33",
                error(RawGguf.header(3, 0, 1).str("k").u32(13).u8(0).toBytes()));
        assertEquals(
                "t.gguf: tensor 'w' has unknown ggml type 4 at byte offset 45",
                error(RawGguf.header(3, 1, 0).tensor("w", new long[] {32}, 4, 0).toBytes()));
        assertTrue(
                error(RawGguf.header(3, 0, 1).str("k").u32(7).u8(2).toBytes()).contains("neither 0 nor 1"));
    }

    @Test
    void deeplyNestedArraysAreRejected() {
        RawGguf g = RawGguf.header(3, 0, 1).str("k").u32(9);
        for (int i = 0; i < 20; i++) {
            g.u32(9).u64(1);
        }
        assertTrue(error(g.zeros(64).toBytes()).contains("arrays nested deeper than 8"));
    }

    @Test
    void tensorGeometryIsChecked() {
        assertTrue(error(RawGguf.header(3, 1, 0)
                        .tensor("w", new long[] {1L << 32, 1L << 32, 1L << 32}, 0, 0)
                        .zeros(32)
                        .toBytes())
                .contains("tensor 'w' dimensions overflow"));
        assertTrue(error(RawGguf.header(3, 1, 0)
                        .tensor("w", new long[] {33}, 8, 0)
                        .zeros(64)
                        .toBytes())
                .contains("row length 33 is not a multiple of the Q8_0 block size 32"));
        assertTrue(error(RawGguf.header(3, 1, 0)
                        .tensor("w", new long[] {1, 1, 1, 1, 1}, 0, 0)
                        .toBytes())
                .contains("has 5 dimensions"));
        assertEquals(
                "t.gguf: tensor 'w' data (4096 bytes at data offset 0) runs past the end of the file (96 bytes)"
                        + " at byte offset 24",
                error(RawGguf.header(3, 1, 0)
                        .tensor("w", new long[] {1024}, 0, 0)
                        .pad(32)
                        .zeros(32)
                        .toBytes()));
        assertTrue(error(RawGguf.header(3, 1, 0)
                        .tensor("w", new long[] {1}, 0, 1L << 62)
                        .pad(32)
                        .zeros(32)
                        .toBytes())
                .contains("runs past the end of the file"));
        assertTrue(error(RawGguf.header(3, 1, 0)
                        .tensor("w", new long[] {1}, 0, 4)
                        .pad(32)
                        .zeros(32)
                        .toBytes())
                .contains("data offset 4 is not a multiple of the alignment 32"));
        assertTrue(error(RawGguf.header(3, 2, 0)
                        .tensor("w", new long[] {1}, 0, 0)
                        .tensor("w", new long[] {1}, 0, 32)
                        .pad(32)
                        .zeros(64)
                        .toBytes())
                .contains("duplicate tensor name 'w'"));
    }

    @Test
    void badAlignmentIsRejected() {
        assertEquals(
                "t.gguf: general.alignment 48 is not a power of two up to 1 MiB at byte offset 24",
                error(RawGguf.header(3, 0, 1)
                        .str("general.alignment")
                        .u32(4)
                        .u32(48)
                        .toBytes()));
    }

    @Test
    void aMissingFileIsAUserError() {
        FscException e = assertThrows(FscException.class, () -> GgufFile.open(dir.resolve("none.gguf")));
        assertTrue(e.getMessage().startsWith("none.gguf: file not found ("), e.getMessage());
    }
}
