package fsc.frontend.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufWriterTest {
    @TempDir
    Path dir;

    @Test
    void metadataOfEveryTypeRoundTrips() {
        GgufWriter w = new GgufWriter()
                .put("u8", GgufValue.u8(200))
                .put("i8", GgufValue.i8(-100))
                .put("u16", GgufValue.u16(60000))
                .put("i16", GgufValue.i16(-30000))
                .put("u32", GgufValue.u32(4_000_000_000L))
                .put("i32", GgufValue.i32(-2_000_000_000))
                .put("u64", GgufValue.u64(-1L))
                .put("i64", GgufValue.i64(Long.MIN_VALUE))
                .put("f32", GgufValue.f32(1e-5f))
                .put("f64", GgufValue.f64(Math.PI))
                .put("t", GgufValue.bool(true))
                .put("f", GgufValue.bool(false))
                .put("s", GgufValue.string("naïve 日本語 🙂"))
                .put("strings", GgufValue.strings(List.of("▁a", "", "<0x0A>")))
                .put("floats", GgufValue.f32s(new float[] {0, -1.5f, Float.NaN}))
                .put("ints", GgufValue.i32s(new int[] {1, -2, 3}))
                .put(
                        "nested",
                        GgufValue.array(
                                GgufValueType.ARRAY,
                                List.of(
                                        GgufValue.i32s(new int[] {1}),
                                        GgufValue.array(GgufValueType.UINT8, List.of()))));
        Path p = dir.resolve("meta.gguf");
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            GgufMetadata m = f.metadata();
            assertEquals(List.copyOf(w_keys()), List.copyOf(m.asMap().keySet()));
            assertEquals(200, m.getInt("u8"));
            assertEquals(-100, m.getInt("i8"));
            assertEquals(60000, m.getInt("u16"));
            assertEquals(-30000, m.getInt("i16"));
            assertEquals(4_000_000_000L, m.getLong("u32"));
            assertEquals(-2_000_000_000, m.getInt("i32"));
            assertEquals(new GgufValue.IntValue(GgufValueType.UINT64, -1L), m.get("u64"));
            assertEquals(Long.MIN_VALUE, m.getLong("i64"));
            assertEquals(1e-5f, m.getFloat("f32"));
            assertEquals(Math.PI, m.getDouble("f64"));
            assertTrue(m.getBool("t"));
            assertEquals(false, m.getBool("f"));
            assertEquals("naïve 日本語 🙂", m.getString("s"));
            assertEquals(List.of("▁a", "", "<0x0A>"), m.getStrings("strings"));
            assertTrue(Float.isNaN(m.getFloats("floats")[2]));
            assertArrayEquals(new int[] {1, -2, 3}, m.getInts("ints"));
            assertEquals(w_nested(), m.get("nested"));
        }
    }

    private static List<String> w_keys() {
        return List.of(
                "u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "t", "f", "s", "strings", "floats",
                "ints", "nested");
    }

    private static GgufValue w_nested() {
        return GgufValue.array(
                GgufValueType.ARRAY,
                List.of(GgufValue.i32s(new int[] {1}), GgufValue.array(GgufValueType.UINT8, List.of())));
    }

    @Test
    void tensorBytesOfEveryTypeRoundTripAtTheRequestedAlignment() {
        Random rnd = new Random(7);
        GgufWriter w = new GgufWriter().alignment(64).putString("general.architecture", "test");
        List<GgmlType> types = List.of(
                GgmlType.F32,
                GgmlType.F16,
                GgmlType.BF16,
                GgmlType.Q8_0,
                GgmlType.Q4_0,
                GgmlType.Q4_1,
                GgmlType.Q4_K,
                GgmlType.Q5_K,
                GgmlType.Q6_K);
        byte[][] payloads = new byte[types.size()][];
        for (int i = 0; i < types.size(); i++) {
            GgmlType t = types.get(i);
            long rowLen = t.blockSize() == 1 ? 7 : t.blockSize();
            payloads[i] = new byte[(int) t.bytesFor(rowLen * 3)];
            rnd.nextBytes(payloads[i]);
            w.addRaw("t" + i, t, List.of(rowLen, 3L), MemorySegment.ofArray(payloads[i]));
        }
        Path p = dir.resolve("tensors.gguf");
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(64, f.alignment());
            assertEquals(0, f.dataOffset() % 64);
            for (int i = 0; i < types.size(); i++) {
                GgufTensorInfo t = f.tensor("t" + i);
                assertEquals(types.get(i), t.type());
                assertEquals(0, t.offset() % 64);
                assertArrayEquals(payloads[i], f.tensorData(t).toArray(ValueLayout.JAVA_BYTE), t.name());
            }
        }
    }

    @Test
    void q8_0QuantizerIsByteIdenticalToLlamaCpp() {
        // stories260K-Q8_0.gguf was made from stories260K.gguf by llama-quantize.
        try (Arena arena = Arena.ofConfined();
                GgufFile f32 = GgufFile.open(GgufTestData.gguf("stories260K.gguf"), arena);
                GgufFile q8 = GgufFile.open(GgufTestData.gguf("stories260K-Q8_0.gguf"), arena)) {
            int checked = 0;
            for (GgufTensorInfo t : q8.tensors()) {
                if (t.type() != GgmlType.Q8_0) {
                    continue;
                }
                float[] src = f32.tensorData(t.name()).toArray(ValueLayout.JAVA_FLOAT);
                MemorySegment mine = arena.allocate(t.byteSize());
                GgufQuantizer.quantize(GgmlType.Q8_0, src, 0, src.length, mine, 0);
                assertEquals(-1, mine.mismatch(q8.tensorData(t)), t.name());
                checked++;
            }
            assertEquals(32, checked); // output, token_embd, and six matrices in each of 5 layers
        }
    }

    @Test
    void quantizersAreReadBackWithinTheirErrorBounds() {
        Random rnd = new Random(11);
        float[] x = new float[256 * 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian() * (i % 97 == 0 ? 4 : 1); // a few outliers per block
        }
        // Worst-case error relative to the largest |x| of a block, from each format's step size.
        checkRoundTrip(GgmlType.F32, x, 0);
        checkRoundTrip(GgmlType.F16, x, 1e-3);
        checkRoundTrip(GgmlType.BF16, x, 8e-3);
        checkRoundTrip(GgmlType.Q8_0, x, 0.5 / 127 + 1e-3);
        checkRoundTrip(GgmlType.Q4_0, x, 1.0 / 8 + 1e-3);
        checkRoundTrip(GgmlType.Q4_1, x, 1.0 / 15 + 1e-3);
        checkRoundTrip(GgmlType.Q4_K, x, 0.2);
        checkRoundTrip(GgmlType.Q6_K, x, 0.05);
    }

    private void checkRoundTrip(GgmlType type, float[] x, double relTol) {
        Path p = dir.resolve(type + ".gguf");
        new GgufWriter().addF32("w", type, List.of(256L, 5L), x).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            float[] y = ReferenceDequant.dequantize(type, f.tensorData("w"), x.length);
            double amax = 0;
            double worst = 0;
            double sumSq = 0;
            for (int i = 0; i < x.length; i++) {
                amax = Math.max(amax, Math.abs(x[i]));
                worst = Math.max(worst, Math.abs(x[i] - y[i]));
                sumSq += (x[i] - y[i]) * (x[i] - y[i]);
            }
            assertTrue(worst <= relTol * amax, type + ": worst error " + worst + " vs max |x| " + amax);
            if (type == GgmlType.Q4_K || type == GgmlType.Q6_K) {
                // Also a typical-error bound, so a scale that collapses most values fails.
                double rms = Math.sqrt(sumSq / x.length);
                assertTrue(rms < (type == GgmlType.Q4_K ? 0.12 : 0.03), type + ": rms error " + rms);
            }
        }
    }
}
