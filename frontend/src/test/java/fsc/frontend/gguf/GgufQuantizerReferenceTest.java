package fsc.frontend.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link GgufQuantizer} against ggml's own reference quantizers, byte for byte, on rows chosen to
 * reach every branch of the scale searches: all zeros, constants of either sign, a lone spike, float
 * subnormals, magnitudes below ggml's {@code GROUP_MAX_EPS} and near f16's limit, one-signed rows,
 * alternating signs, outliers, zero sub-blocks inside a block, an exact integer grid, a ramp. The
 * expected bytes ({@code quantizer-rows.ggml.txt}) are what libggml-base's {@code ggml_quantize_chunk}
 * wrote for the same floats ({@code quantizer-rows.f32}), by tests/scripts/ggml-quantize-rows.c.
 */
class GgufQuantizerReferenceTest {
    @Test
    void everyRowAndTypeEqualsGgml() throws IOException {
        float[] rows = floats(resource("quantizer-rows.f32"));
        List<String> expected = new String(resource("quantizer-rows.ggml.txt"), StandardCharsets.UTF_8)
                .lines()
                .toList();
        assertEquals(5 * rows.length / 256, expected.size(), "golden lines");
        try (Arena arena = Arena.ofConfined()) {
            for (String line : expected) {
                String[] f = line.split(" ");
                GgmlType type = GgmlType.valueOf(f[0].toUpperCase(java.util.Locale.ROOT));
                int row = Integer.parseInt(f[1]);
                MemorySegment out = arena.allocate(type.bytesFor(256));
                GgufQuantizer.quantize(type, rows, 256 * row, 256, out, 0);
                assertEquals(f[2], HexFormat.of().formatHex(out.toArray(ValueLayout.JAVA_BYTE)), type + " row " + row);
            }
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = GgufQuantizerReferenceTest.class.getResourceAsStream(name)) {
            assertNotNull(in, name);
            return in.readAllBytes();
        }
    }

    private static float[] floats(byte[] b) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.length / 4];
        bb.asFloatBuffer().get(out);
        return out;
    }
}
