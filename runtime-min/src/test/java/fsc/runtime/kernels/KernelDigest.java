package fsc.runtime.kernels;

import fsc.runtime.quant.GgmlType;
import fsc.runtime.quant.QuantDot;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Runs the runtime's float kernels on fixed inputs and prints a digest of every output bit, per
 * kernel: a child JVM runs it in a forced JIT tier and {@link JitTierDeterminismTest} compares.
 * Sizes are odd where a kernel has a scalar tail, and small enough for the interpreter.
 */
public final class KernelDigest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private KernelDigest() {}

    /** Prints the digest after {@code args[0]} calls (default 1: the kernels' first, cold call). */
    public static void main(String[] args) {
        System.out.println(digest(args.length > 0 ? Integer.parseInt(args[0]) : 1));
    }

    /**
     * {@code name=hash} per kernel, one line, of the outputs of the last of {@code calls} calls on
     * the same inputs: 1 is the kernels' first call in this JVM, thousands reach C2.
     */
    static String digest(int calls) {
        try (Arena arena = Arena.ofConfined()) {
            List<Kernel> kernels = new ArrayList<>();
            kernels.add(softmax(arena));
            kernels.add(layerNorm(arena));
            kernels.add(unary(arena, "gelu", FloatMath::geluInPlace));
            kernels.add(unary(arena, "geluTanh", FloatMath::geluTanhInPlace));
            for (GgmlType t : GgmlType.values()) {
                kernels.add(quantDot(arena, t));
            }
            kernels.add(sgemm(arena, false));
            kernels.add(sgemm(arena, true));
            kernels.add(sgemmScaledTransposed(arena));
            for (GemmEpilogue.Activation act : GemmEpilogue.Activation.values()) {
                kernels.add(linear(arena, act));
            }
            kernels.add(attention(arena));
            for (int c = 0; c < calls; c++) {
                for (Kernel k : kernels) {
                    k.body().run();
                }
            }
            StringBuilder sb = new StringBuilder();
            for (Kernel k : kernels) {
                sb.append(sb.isEmpty() ? "" : " ").append(k.name()).append('=').append(hash(k.out()));
            }
            return sb.toString();
        }
    }

    /** One kernel call that recomputes {@code out} from inputs it never writes. */
    private record Kernel(String name, MemorySegment out, Runnable body) {}

    private static MemorySegment floats(Arena arena, int n, long seed, float scale) {
        Random r = new Random(seed);
        MemorySegment s = arena.allocate(4L * n, 64);
        for (int i = 0; i < n; i++) {
            s.setAtIndex(F32, i, (float) (r.nextGaussian() * scale));
        }
        return s;
    }

    private static String hash(MemorySegment s) {
        long h = 1;
        for (long i = 0; i < s.byteSize() / 4; i++) {
            h = h * 1_000_003 + Float.floatToRawIntBits(s.getAtIndex(F32, i));
        }
        return Long.toHexString(h);
    }

    /**
     * {@code C = A·B} (or {@code C += A·B}) with tails in every direction: 8-row tiles, a short tile
     * and a lone row; full and partial panels; an odd k across two k blocks.
     */
    private static Kernel sgemm(Arena arena, boolean accumulate) {
        int m = 19;
        int n = 70;
        int k = Sgemm.KC + 45;
        MemorySegment a = floats(arena, m * k, 11, 1f);
        MemorySegment b = floats(arena, k * n, 12, 1f);
        MemorySegment c0 = floats(arena, m * n, 13, 1f);
        MemorySegment out = arena.allocate(c0.byteSize(), 64);
        return new Kernel(accumulate ? "sgemmAcc" : "sgemm", out, () -> {
            MemorySegment.copy(c0, 0, out, 0, c0.byteSize());
            Sgemm.gemm(m, n, k, a, 0, k, false, b, 0, n, false, out, 0, n, 1f, accumulate, null);
        });
    }

    /** {@code C = 0.375 · Aᵀ·B}: A packed (scaled) rather than read in place. */
    private static Kernel sgemmScaledTransposed(Arena arena) {
        int m = 19;
        int n = 70;
        int k = Sgemm.KC + 45;
        MemorySegment a = floats(arena, m * k, 14, 1f);
        MemorySegment b = floats(arena, k * n, 15, 1f);
        MemorySegment out = arena.allocate(4L * m * n, 64);
        return new Kernel("sgemmScaledTransA", out, () -> {
            Sgemm.gemm(m, n, k, a, 0, m, true, b, 0, n, false, out, 0, n, 0.375f, false, null);
        });
    }

    /** A linear layer, {@code C = act(A·packedB + bias)}, as generated code calls it. */
    private static Kernel linear(Arena arena, GemmEpilogue.Activation act) {
        int m = 19;
        int n = 70;
        int k = Sgemm.KC + 45;
        MemorySegment a = floats(arena, m * k, 16, 1f);
        MemorySegment b = floats(arena, k * n, 17, 0.1f);
        MemorySegment bias = floats(arena, n, 18, 1f);
        MemorySegment packed = arena.allocate(Sgemm.packedBytes(k, n), 64);
        Sgemm.packB(b, 0, k, n, false, packed, 0);
        MemorySegment out = arena.allocate(4L * m * n, 64);
        GemmEpilogue e = GemmEpilogue.of(bias, 0, act);
        return new Kernel("linear" + act, out, () -> {
            Sgemm.gemmPacked(m, n, k, a, 0, k, packed, 0, out, 0, n, false, e, null);
        });
    }

    /**
     * The blocked attention path: odd rows and keys (tails of the row block, the key panel and the
     * exp's vector loop), a causal cut in some blocks and not others, an additive mask row shared by
     * every query, sequence-major q and out.
     */
    private static Kernel attention(Arena arena) {
        int h = 2;
        int sq = 37;
        int skv = 45;
        int d = 24;
        MemorySegment q = floats(arena, h * sq * d, 21, 1f);
        MemorySegment k = floats(arena, h * skv * d, 22, 1f);
        MemorySegment v = floats(arena, h * skv * d, 23, 1f);
        MemorySegment mask = floats(arena, skv, 24, 2f);
        MemorySegment out = arena.allocate(4L * h * sq * d, 64);
        int layout = Attention.Q_SEQ_MAJOR | Attention.OUT_SEQ_MAJOR;
        float[] scratch = new float[skv];
        return new Kernel(
                "attention",
                out,
                () -> Attention.attend(
                        q, k, v, mask, false, 0, 0, 0, 1, out, 1, h, h, sq, skv, d, d, 0.2f, 0f, 20L, layout, scratch));
    }

    private static Kernel softmax(Arena arena) {
        int rows = 4;
        int n = 77;
        MemorySegment x = floats(arena, rows * n, 1, 4f);
        MemorySegment out = arena.allocate(x.byteSize(), 64);
        return new Kernel("softmaxRows", out, () -> {
            MemorySegment.copy(x, 0, out, 0, x.byteSize());
            FloatMath.softmaxRows(out, 0, rows, n);
        });
    }

    private static Kernel layerNorm(Arena arena) {
        int rows = 3;
        int n = 101;
        MemorySegment x = floats(arena, rows * n, 2, 3f);
        MemorySegment g = floats(arena, n, 3, 1f);
        MemorySegment b = floats(arena, n, 4, 1f);
        MemorySegment out = arena.allocate(4L * rows * n, 64);
        return new Kernel(
                "layerNormRows", out, () -> FloatMath.layerNormRows(x, 0, out, 0, rows, n, g, 0, b, 0, 1e-5f));
    }

    private interface InPlace {
        void apply(MemorySegment buf, long off, int count);
    }

    private static Kernel unary(Arena arena, String name, InPlace f) {
        int n = 301;
        MemorySegment x = floats(arena, n, name.length(), 3f);
        MemorySegment out = arena.allocate(x.byteSize(), 64);
        return new Kernel(name, out, () -> {
            MemorySegment.copy(x, 0, out, 0, x.byteSize());
            f.apply(out, 0, n);
        });
    }

    /** 16 dot products of random weight bytes (f16 scales kept finite) against one activation row. */
    private static Kernel quantDot(Arena arena, GgmlType t) {
        int n = 512;
        long rowBytes = t.bytesFor(n);
        Random r = new Random(t.ordinal());
        MemorySegment w = arena.allocate(rowBytes * 16, 64);
        for (long i = 0; i < w.byteSize(); i++) {
            // Bytes below 0x3C make every f16/bf16 field finite and small; f32 rows get small floats.
            w.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt(0x3C));
        }
        MemorySegment x = floats(arena, n, 7, 1f);
        MemorySegment y = arena.allocate(4L * 16, 64);
        return new Kernel(t.name(), y, () -> {
            for (int row = 0; row < 16; row++) {
                y.setAtIndex(F32, row, QuantDot.dot(t, w, row * rowBytes, x, 0, n));
            }
        });
    }
}
