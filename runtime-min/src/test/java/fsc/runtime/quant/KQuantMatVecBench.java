package fsc.runtime.quant;

import static fsc.runtime.quant.QuantDot.F;
import static fsc.runtime.quant.QuantDot.LE;

import fsc.runtime.kernels.Lanes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The K-quant decode matvec against what it replaced and against Q4_0: the 1.1B model's FFN shapes
 * (gate/up [5632 x 2048], down [2048 x 5632]) in Q4_K, Q6_K and Q4_0 times one f32 activation, one
 * thread, thread CPU time. The kernels run interleaved call by call (other processes' load hits
 * them alike); each row gives the median and best GB/s of weight bytes and the median per-round
 * speed-up over the per-row {@link KQuantDot} path decode took before. A benchmark, not a test: it
 * asserts nothing. Run: {@code ./mvnw -B -pl runtime-min test -Pbench -Dtest=KQuantMatVecBench
 * -Dsurefire.failIfNoSpecifiedTests=false} (writes {@code target/bench-kquant-matvec.md}).
 */
@Tag("bench")
class KQuantMatVecBench {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private interface Kernel {
        void run();
    }

    @Test
    void kQuantMatVec() throws Exception {
        int reps = Integer.getInteger("fsc.bench.matvec.reps", 40);
        StringBuilder md = new StringBuilder(String.format(
                Locale.ROOT,
                "K-quant decode matvec, 1 thread, %d interleaved rounds, thread CPU time\n\n"
                        + "| weights | n x k | MB | kernel | GB/s median | GB/s best | speed-up over per-row KQuantDot |\n"
                        + "|---|---|---|---|---|---|---|\n",
                reps));
        for (int[] shape : new int[][] {{5632, 2048}, {2048, 5632}}) {
            int n = shape[0];
            int k = shape[1];
            Random rnd = new Random(7);
            Arena arena = Arena.ofAuto();
            MemorySegment q4k = RandomWeights.of(arena, GgmlType.Q4_K, n, k, rnd);
            MemorySegment q6k = RandomWeights.of(arena, GgmlType.Q6_K, n, k, rnd);
            MemorySegment q40 = RandomWeights.of(arena, GgmlType.Q4_0, n, k, rnd);
            float[] x = new float[k];
            for (int i = 0; i < k; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            // Native, as decode feeds it (a heap segment over a float[] can run the Vector API's
            // fallback: docs/DECISIONS.md).
            MemorySegment xs = arena.allocate(4L * k, 64);
            MemorySegment.copy(x, 0, xs, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, k);
            MemorySegment y = arena.allocate(4L * n);
            String[] names = {
                "Q4_K per-row KQuantDot (before)",
                "Q4_K KQuantMatVec",
                "Q6_K per-row KQuantDot (before)",
                "Q6_K QuantMatVec.rows (machine code unless -Dfsc.kernels.native=false)",
                "Q4_0 QuantMatVec.rows (for scale; machine code as Q6_K)",
                "Q4_K without scales and mins (not a dot product: the ceiling)",
                "Q4_K KQuantMatVec before (lookup nibbles, scales broadcast by lane shuffles)",
                "Q4_K x int16 activations, auto-vectorized vpdpwssd (prototype, not a product path)",
                "Q4_K x Q8_K machine code (llama-cpp numerics; with the activation's quantization)",
                "Q6_K x Q8_K machine code (llama-cpp numerics; with the activation's quantization)",
            };
            GgmlType[] types = {
                GgmlType.Q4_K,
                GgmlType.Q4_K,
                GgmlType.Q6_K,
                GgmlType.Q6_K,
                GgmlType.Q4_0,
                GgmlType.Q4_K,
                GgmlType.Q4_K,
                GgmlType.Q4_K,
                GgmlType.Q4_K,
                GgmlType.Q6_K
            };
            long rb4 = GgmlType.Q4_K.bytesFor(k);
            Int16Prototype int16 = new Int16Prototype(x, k);
            long rb6 = GgmlType.Q6_K.bytesFor(k);
            Q8KMatVec.Prepared q8k = new Q8KMatVec.Prepared().prepare(Q8K.quantize(xs, 0, 1, k));
            Kernel[] kernels = {
                () -> {
                    for (int j = 0; j < n; j++) {
                        y.set(Dequantize.F32, 4L * j, KQuantDot.q4_K(q4k, j * rb4, xs, 0, k));
                    }
                },
                () -> QuantMatVec.rows(GgmlType.Q4_K, q4k, x, xs, k, y, 0, 0, n),
                () -> {
                    for (int j = 0; j < n; j++) {
                        y.set(Dequantize.F32, 4L * j, KQuantDot.q6_K(q6k, j * rb6, xs, 0, k));
                    }
                },
                () -> QuantMatVec.rows(GgmlType.Q6_K, q6k, x, xs, k, y, 0, 0, n),
                () -> QuantMatVec.rows(GgmlType.Q4_0, q40, x, xs, k, y, 0, 0, n),
                () -> {
                    float[] scratch = KQuantMatVec.scratch(k);
                    for (int j = 0; j < n; j++) {
                        y.set(Dequantize.F32, 4L * j, q4_KNoScales(q4k, j * rb4, xs, scratch, k));
                    }
                },
                () -> {
                    float[] scratch = KQuantMatVec.scratch(k);
                    KQuantMatVec.prepare(GgmlType.Q4_K, xs, k, scratch);
                    for (int j = 0; j < n; j++) {
                        y.set(Dequantize.F32, 4L * j, q4_KShuffledScales(q4k, j * rb4, xs, scratch, k));
                    }
                },
                () -> int16.rows(q4k, rb4, y, n),
                () -> Q8KMatVec.rows(
                        GgmlType.Q4_K, q4k, rb4, q8k.prepare(Q8K.quantize(xs, 0, 1, k, q8k.q8k())), 0, y, 0, 0, n),
                () -> Q8KMatVec.rows(
                        GgmlType.Q6_K, q6k, rb6, q8k.prepare(Q8K.quantize(xs, 0, 1, k, q8k.q8k())), 0, y, 0, 0, n),
            };
            for (int i = 0; i < 15; i++) {
                for (Kernel kk : kernels) {
                    kk.run();
                }
            }
            double[][] t = new double[kernels.length][reps];
            for (int r = 0; r < reps; r++) {
                for (int i = 0; i < kernels.length; i++) {
                    long s = THREADS.getCurrentThreadCpuTime();
                    kernels[i].run();
                    t[i][r] = (THREADS.getCurrentThreadCpuTime() - s) / 1e9;
                }
            }
            for (int i = 0; i < kernels.length; i++) {
                int before = types[i] == GgmlType.Q6_K ? 2 : 0;
                double[] ratio = new double[reps];
                for (int r = 0; r < reps; r++) {
                    ratio[r] = t[before][r] / t[i][r];
                }
                Arrays.sort(ratio);
                double[] sorted = t[i].clone();
                Arrays.sort(sorted);
                double bytes = (double) n * types[i].bytesFor(k);
                md.append(String.format(
                        Locale.ROOT,
                        "| %s | %d x %d | %.1f | %s | %.2f | %.2f | %s |\n",
                        types[i],
                        n,
                        k,
                        bytes / 1e6,
                        names[i],
                        bytes / sorted[reps / 2] / 1e9,
                        bytes / sorted[0] / 1e9,
                        types[i] == GgmlType.Q4_0 ? "–" : String.format(Locale.ROOT, "%.2f", ratio[reps / 2])));
            }
        }
        System.out.print(md);
        Path out = Path.of("target", "bench-kquant-matvec.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md);
    }

    // The shipped Q4_K loop without its scales and mins (not a dot product): what they cost.
    private static float q4_KNoScales(MemorySegment w, long row, MemorySegment x, float[] scratch, int k) {
        int blocks = k / 256;
        // Two chains (low- and high-nibble sub-blocks), so consecutive FMAs do not wait on each other.
        FloatVector accLo = FloatVector.zero(F);
        FloatVector accHi = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long at = row + 144L * b;
            float d = Float.float16ToFloat(w.get(Dequantize.I16, at));
            float dmin = Float.float16ToFloat(w.get(Dequantize.I16, at + 2));
            for (int g = 0; g < 4; g++) {
                long q = at + 16 + 32L * g;
                long xo = 1024L * b + 256L * g;
                IntVector q0 = (IntVector) ByteVector.fromMemorySegment(QuantDot.B, w, q, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, QuantDot.I, 0);
                IntVector q1 = (IntVector) ByteVector.fromMemorySegment(QuantDot.B, w, q + 16, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, QuantDot.I, 0);
                FloatVector lo = q0.selectFrom(KQuantMatVec.NIBBLES)
                        .reinterpretAsFloats()
                        .mul(FloatVector.fromMemorySegment(F, x, xo, LE));
                lo = q1.selectFrom(KQuantMatVec.NIBBLES)
                        .reinterpretAsFloats()
                        .fma(FloatVector.fromMemorySegment(F, x, xo + 64, LE), lo);
                FloatVector hi = q0.lanewise(VectorOperators.LSHR, 4)
                        .selectFrom(KQuantMatVec.NIBBLES)
                        .reinterpretAsFloats()
                        .mul(FloatVector.fromMemorySegment(F, x, xo + 128, LE));
                hi = q1.lanewise(VectorOperators.LSHR, 4)
                        .selectFrom(KQuantMatVec.NIBBLES)
                        .reinterpretAsFloats()
                        .fma(FloatVector.fromMemorySegment(F, x, xo + 192, LE), hi);
                accLo = lo.fma(FloatVector.broadcast(F, d), accLo);
                accHi = hi.fma(FloatVector.broadcast(F, dmin), accHi);
            }
        }
        return Lanes.sum(accLo.add(accHi));
    }

    /** {@code LANE[i]} broadcasts lane {@code i} by a shuffle (the formulation before the load broadcasts). */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] LANE = new VectorShuffle[16];

    static {
        for (int i = 0; i < LANE.length; i++) {
            int[] idx = new int[F.length()];
            Arrays.fill(idx, i % F.length());
            LANE[i] = VectorShuffle.fromArray(F, idx, 0);
        }
    }

    // The Q4_K kernel as shipped before: nibbles by table lookup (selectFrom, which C2 emits as a mask
    // and a vpermd), each sub-block scale spread by a lane shuffle whose shuffle is reloaded and
    // masked per use. Same values as KQuantMatVec's, kept to measure the change against.
    private static float q4_KShuffledScales(MemorySegment w, long row, MemorySegment x, float[] scratch, int k) {
        int blocks = k / 256;
        FloatVector accLo = FloatVector.zero(F);
        FloatVector accHi = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long at = row + 144L * b;
            float d = Float.float16ToFloat(w.get(Dequantize.I16, at));
            float dmin = Float.float16ToFloat(w.get(Dequantize.I16, at + 2));
            IntVector p = (IntVector) ByteVector.fromMemorySegment(QuantDot.B, w, at + 4, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, QuantDot.I, 0);
            IntVector sm = p.rearrange(KQuantMatVec.SCALE_A)
                    .lanewise(VectorOperators.LSHR, KQuantMatVec.SCALE_SHIFT)
                    .and(KQuantMatVec.SCALE_MASK)
                    .or(p.rearrange(KQuantMatVec.SCALE_H)
                            .lanewise(VectorOperators.LSHR, 6)
                            .lanewise(VectorOperators.LSHL, 4)
                            .and(KQuantMatVec.SCALE_HIGH));
            FloatVector dsm = ((FloatVector) sm.convert(VectorOperators.I2F, 0))
                    .mul(FloatVector.broadcast(F, d).blend(-dmin, KQuantMatVec.MINS));
            accLo = dsm.fma(FloatVector.fromArray(F, scratch, 16 * b), accLo);
            for (int g = 0; g < 4; g++) {
                long q = at + 16 + 32L * g;
                long xo = 1024L * b + 256L * g;
                IntVector q0 = (IntVector) ByteVector.fromMemorySegment(QuantDot.B, w, q, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, QuantDot.I, 0);
                IntVector q1 = (IntVector) ByteVector.fromMemorySegment(QuantDot.B, w, q + 16, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, QuantDot.I, 0);
                FloatVector lo = q0.selectFrom(KQuantMatVec.NIBBLES)
                        .reinterpretAsFloats()
                        .mul(FloatVector.fromMemorySegment(F, x, xo, LE));
                lo = q1.selectFrom(KQuantMatVec.NIBBLES)
                        .reinterpretAsFloats()
                        .fma(FloatVector.fromMemorySegment(F, x, xo + 64, LE), lo);
                FloatVector hi = q0.lanewise(VectorOperators.LSHR, 4)
                        .selectFrom(KQuantMatVec.NIBBLES)
                        .reinterpretAsFloats()
                        .mul(FloatVector.fromMemorySegment(F, x, xo + 128, LE));
                hi = q1.lanewise(VectorOperators.LSHR, 4)
                        .selectFrom(KQuantMatVec.NIBBLES)
                        .reinterpretAsFloats()
                        .fma(FloatVector.fromMemorySegment(F, x, xo + 192, LE), hi);
                accLo = lo.fma(dsm.rearrange(LANE[2 * g]), accLo);
                accHi = hi.fma(dsm.rearrange(LANE[2 * g + 1]), accHi);
            }
        }
        return Lanes.sum(accLo.add(accHi));
    }

    /**
     * A Q4_K row times activations quantized to int16 per super-block (amax / 32767), the products
     * summed in pairs by the loop {@code out[i] = a[2i]*b[2i] + a[2i+1]*b[2i+1]} over {@code short[]},
     * which C2 auto-vectorizes to {@code vpdpwssd} with AVX512_VNNI (the Vector API has no such
     * operation). Per row: nibbles unpacked to a {@code short[]} by the Vector API, one pair-sum
     * loop over the whole row, then per 32 weights one int vector converted and FMA'd with its
     * scale. Measured against the f32 kernel in docs/PERFORMANCE-LLM.md; not a product path (it
     * changes the f32 numerics to quantized activations).
     */
    static final class Int16Prototype {
        private static final jdk.incubator.vector.VectorSpecies<Byte> B256 =
                jdk.incubator.vector.ByteVector.SPECIES_256;
        private static final jdk.incubator.vector.VectorSpecies<Short> S512 =
                jdk.incubator.vector.ShortVector.SPECIES_512;
        private final int k;
        private final short[] xq;
        private final float[] dx;
        private final float[] sums;
        private final short[] wq;
        private final int[] pairs;
        private final float[] scales;

        Int16Prototype(float[] x, int k) {
            this.k = k;
            xq = new short[k];
            dx = new float[k / 256];
            sums = new float[k / 16];
            wq = new short[k];
            pairs = new int[k / 2];
            scales = new float[k / 16];
            for (int b = 0; b < k / 256; b++) {
                float amax = 0;
                for (int i = 0; i < 256; i++) {
                    amax = Math.max(amax, Math.abs(x[256 * b + i]));
                }
                float d = amax / 32767f;
                float id = d == 0 ? 0 : 1 / d;
                dx[b] = d;
                for (int i = 0; i < 256; i++) {
                    xq[256 * b + i] = (short) Math.round(x[256 * b + i] * id);
                }
                for (int j = 0; j < 8; j++) {
                    int s = 0;
                    for (int i = 0; i < 32; i++) {
                        s += xq[256 * b + 32 * j + i];
                    }
                    sums[16 * b + 8 + j] = d * s;
                }
            }
        }

        void rows(MemorySegment w, long rowBytes, MemorySegment y, int n) {
            for (int j = 0; j < n; j++) {
                y.set(Dequantize.F32, 4L * j, row(w, j * rowBytes));
            }
        }

        private static void pairSums(short[] a, short[] b, int[] out, int n) {
            for (int i = 0; i < n; i++) {
                out[i] = a[2 * i] * b[2 * i] + a[2 * i + 1] * b[2 * i + 1];
            }
        }

        private float row(MemorySegment w, long row) {
            FloatVector acc = FloatVector.zero(F);
            FloatVector mins = FloatVector.zero(F);
            int blocks = k / 256;
            for (int b = 0; b < blocks; b++) {
                long at = row + 144L * b;
                float d = Float.float16ToFloat(w.get(Dequantize.I16, at)) * dx[b];
                float dmin = Float.float16ToFloat(w.get(Dequantize.I16, at + 2));
                IntVector p = (IntVector) ByteVector.fromMemorySegment(QuantDot.B, w, at + 4, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, QuantDot.I, 0);
                IntVector sm = p.rearrange(KQuantMatVec.SCALE_A)
                        .lanewise(VectorOperators.LSHR, KQuantMatVec.SCALE_SHIFT)
                        .and(KQuantMatVec.SCALE_MASK)
                        .or(p.rearrange(KQuantMatVec.SCALE_H)
                                .lanewise(VectorOperators.LSHR, 6)
                                .lanewise(VectorOperators.LSHL, 4)
                                .and(KQuantMatVec.SCALE_HIGH));
                FloatVector dsm = ((FloatVector) sm.convert(VectorOperators.I2F, 0))
                        .mul(FloatVector.broadcast(F, d).blend(-dmin, KQuantMatVec.MINS));
                mins = dsm.fma(FloatVector.fromArray(F, sums, 16 * b), mins);
                dsm.intoArray(scales, 16 * b);
                for (int g = 0; g < 4; g++) {
                    jdk.incubator.vector.ShortVector q = (jdk.incubator.vector.ShortVector)
                            jdk.incubator.vector.ByteVector.fromMemorySegment(B256, w, at + 16 + 32L * g, LE)
                                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, S512, 0);
                    q.and((short) 15).intoArray(wq, 256 * b + 64 * g);
                    q.lanewise(VectorOperators.LSHR, 4).intoArray(wq, 256 * b + 64 * g + 32);
                }
            }
            pairSums(wq, xq, pairs, k / 2);
            for (int b = 0; b < blocks; b++) {
                for (int j = 0; j < 8; j++) {
                    acc = ((FloatVector) IntVector.fromArray(QuantDot.I, pairs, 128 * b + 16 * j)
                                    .convert(VectorOperators.I2F, 0))
                            .fma(FloatVector.broadcast(F, scales[16 * b + j]), acc);
                }
            }
            return Lanes.sum(acc.add(mins));
        }
    }
}
