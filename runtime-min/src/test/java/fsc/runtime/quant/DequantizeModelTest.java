package fsc.runtime.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The scalar dequantizers read llama.cpp's own files correctly. */
class DequantizeModelTest {

    @Test
    void q8_0AndF16TensorsAreWithinTheirErrorOfTheF32Model() {
        try (Arena arena = Arena.ofConfined()) {
            TestGguf f32 = TestGguf.read(TestGguf.shared("stories260K.gguf"), arena);
            TestGguf q = TestGguf.read(TestGguf.shared("stories260K-Q8_0.gguf"), arena);
            int q8 = 0;
            int f16 = 0;
            for (TestGguf.Tensor t : q.tensors.values()) {
                float[] ref = f32.tensors.get(t.name()).data().toArray(ValueLayout.JAVA_FLOAT);
                float[] got = new float[ref.length];
                Dequantize.row(t.type(), t.data(), 0, got, 0, ref.length);
                for (int b = 0; b < ref.length; b += t.type().blockSize()) {
                    float amax = 0;
                    for (int i = b; i < b + t.type().blockSize(); i++) {
                        amax = Math.max(amax, Math.abs(ref[i]));
                    }
                    for (int i = b; i < b + t.type().blockSize(); i++) {
                        // Q8_0: half a step of amax/127 (plus f16 rounding of the scale); F16: 2^-11 relative.
                        double tol =
                                switch (t.type()) {
                                    case Q8_0 -> amax / 127 * 0.5 + amax * 1e-3;
                                    case F16 -> Math.abs(ref[i]) * 0x1p-11 + 1e-7;
                                    case F32 -> 0;
                                    default -> throw new AssertionError(t.type());
                                };
                        assertEquals(ref[i], got[i], tol, t.name() + "[" + i + "]");
                    }
                }
                q8 += t.type() == GgmlType.Q8_0 ? 1 : 0;
                f16 += t.type() == GgmlType.F16 ? 1 : 0;
            }
            assertEquals(32, q8);
            assertEquals(5, f16);
        }
    }

    @Test
    void q4KAndQ6KTensorsOfTheSameRoleHaveTheSameStatistics() {
        // The synthetic model's weights are random with one distribution per role; llama.cpp
        // stored blk.0.ffn_down as Q4_K and blk.1.ffn_down as Q6_K (likewise attn_v). A wrong
        // scale, min or bit layout in either dequantizer would pull their statistics apart.
        try (Arena arena = Arena.ofConfined()) {
            TestGguf g = TestGguf.read(TestGguf.shared("synth-llama-a-Q4_K_M.gguf"), arena);
            for (String role : new String[] {"ffn_down", "attn_v"}) {
                TestGguf.Tensor a = g.tensors.get("blk.0." + role + ".weight");
                TestGguf.Tensor b = g.tensors.get("blk.1." + role + ".weight");
                assertEquals(GgmlType.Q4_K, a.type());
                assertEquals(GgmlType.Q6_K, b.type());
                double[] sa = stats(a);
                double[] sb = stats(b);
                assertTrue(sa[1] > 0 && Math.abs(sa[1] / sb[1] - 1) < 0.1, role + " std " + sa[1] + " vs " + sb[1]);
                assertTrue(Math.abs(sa[0]) < 0.1 * sa[1] && Math.abs(sb[0]) < 0.1 * sb[1], role + " means");
            }
        }
    }

    private static double[] stats(TestGguf.Tensor t) {
        float[] w = new float[(int) t.elements()];
        Dequantize.row(t.type(), t.data(), 0, w, 0, w.length);
        double sum = 0;
        double sq = 0;
        for (float v : w) {
            assertTrue(Float.isFinite(v), t.name());
            sum += v;
            sq += v * v;
        }
        double mean = sum / w.length;
        return new double[] {mean, Math.sqrt(sq / w.length - mean * mean)};
    }
}
