package fsc.runtime.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Java formulations of an int8 GEMM ({@code u8 A[M,K] · s8 B[K,N]}, exact int32) on MiniLM's widest
 * shape, in GOP/s (2 per multiply-add) of calling-thread CPU time, for docs/PERFORMANCE-INT8.md (a
 * micro benchmark main, not a test). Each variant's int32 result is checked against the first.
 *
 * <ul>
 *   <li>{@code vnni}: {@link Int8Gemm} on its machine-code {@code vpdpbusd} tiles ({@link
 *       Int8GemmVnni}), what runs on a CPU with AVX-512 VNNI.
 *   <li>{@code f32-fma}: {@link Int8Gemm}'s Vector API form (bytes widened to f32, FMA, exact in
 *       blocks), what runs elsewhere.
 *   <li>{@code short-widen}: Vector API in integers: B bytes widened to shorts, {@code mul} by the
 *       broadcast A byte (exact: |u8·s8| < 2^15), products widened to ints and added.
 *   <li>{@code auto-byte}, {@code auto-pairs}, {@code auto-dot}: plain loops for C2's
 *       auto-vectorizer: {@code acc[j] += a·b[j]} over bytes; the {@code MulAddS2I} shape {@code
 *       acc[j] += a0·b[2j] + a1·b[2j+1]} over shorts (C2 maps it to {@code vpmaddwd}, or {@code
 *       vpdpwssd} with AVX512_VNNI, when it vectorizes it); and the same shape as a dot-product
 *       reduction over k with B transposed.
 *   <li>{@code auto-pairs-arrays}: the shape C2's own test of the idiom vectorizes ({@code
 *       TestMulAddS2I}: {@code out[i] += s1[2i]·s2[2i] + s1[2i+1]·s2[2i+1]}, both factors loaded from
 *       short arrays): a row of C against one k pair of B stored {@code [K/2][N][2]}, the pair of A
 *       values repeated along a pattern array filled for each (row, k pair). {@code auto-pairs}
 *       above, with the A pair in two locals, is not that shape and stays scalar.
 * </ul>
 *
 * <p>Run with the test classpath: {@code java --add-modules jdk.incubator.vector -cp
 * runtime-min/target/classes:runtime-min/target/test-classes fsc.runtime.kernels.Int8DotBench}.
 */
public final class Int8DotBench {
    private static final VectorSpecies<Short> SS = ShortVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Byte> BH =
            ByteVector.SPECIES_PREFERRED.withShape(jdk.incubator.vector.VectorShape.forBitSize(SS.length() * 8));
    private static final int M = 128;
    private static final int K = 384;
    private static final int N = 1536;
    private static final int NR = 2 * IS.length();

    private static final byte[] A = new byte[M * K];
    private static final short[] AS = new short[M * K];
    private static final byte[] BP = new byte[K * N]; // panels [N/NR][K][NR]
    private static final short[] BPAIRS = new short[K * N]; // [N/NR][K/2][NR][2]
    private static final short[] BT = new short[N * K]; // [N][K]
    private static final short[] BROW = new short[K * N]; // [K/2][N][2]
    private static final short[] PAT = new short[2 * N];
    private static final int[] C = new int[M * N];

    private Int8DotBench() {}

    public static void main(String[] args) {
        Random r = new Random(1);
        for (int i = 0; i < A.length; i++) {
            A[i] = (byte) r.nextInt(256);
            AS[i] = (short) (A[i] & 0xff);
        }
        for (int i = 0; i < BP.length; i++) {
            BP[i] = (byte) r.nextInt(256);
        }
        for (int p = 0; p < N / NR; p++) {
            for (int k = 0; k < K; k++) {
                for (int j = 0; j < NR; j++) {
                    byte v = BP[p * K * NR + k * NR + j];
                    BPAIRS[p * K * NR + (k / 2) * 2 * NR + 2 * j + (k & 1)] = v;
                    BT[(p * NR + j) * K + k] = v;
                    BROW[(k / 2) * 2 * N + 2 * (p * NR + j) + (k & 1)] = v;
                }
            }
        }
        int[] want = shipped(null);
        if (Int8Gemm.VNNI != null) {
            report("vnni (Int8Gemm, machine code)", () -> shipped(Int8Gemm.VNNI), want);
        }
        report("f32-fma (Int8Gemm, Vector API)", () -> shipped(null), want);
        report("short-widen", Int8DotBench::shortWiden, want);
        report("auto-byte", Int8DotBench::autoByte, want);
        report("auto-pairs (MulAddS2I)", Int8DotBench::autoPairs, want);
        report("auto-dot (reduction)", Int8DotBench::autoDot, want);
        report("auto-pairs-arrays (TestMulAddS2I shape)", Int8DotBench::autoPairsArrays, want);
    }

    private static final Arena ARENA = Arena.ofAuto();
    private static MemorySegment a8;
    private static MemorySegment b8;
    private static MemorySegment b8Vnni;
    private static MemorySegment y;

    private static int[] shipped(Int8GemmVnni form) {
        if (a8 == null) {
            a8 = ARENA.allocate(A.length);
            a8.copyFrom(MemorySegment.ofArray(A));
            MemorySegment rowMajor = ARENA.allocate(BP.length);
            for (int k = 0; k < K; k++) {
                for (int n = 0; n < N; n++) {
                    rowMajor.set(ValueLayout.JAVA_BYTE, (long) k * N + n, BP[(n / NR) * K * NR + k * NR + n % NR]);
                }
            }
            b8 = ARENA.allocate(Int8Gemm.packedBytes(K, N, null), 64);
            Int8Gemm.packB(rowMajor, 0, K, N, b8, 0, null);
            if (Int8Gemm.VNNI != null) {
                b8Vnni = ARENA.allocate(Int8Gemm.packedBytes(K, N, Int8Gemm.VNNI), 64);
                Int8Gemm.packB(rowMajor, 0, K, N, b8Vnni, 0, Int8Gemm.VNNI);
            }
            y = ARENA.allocate(4L * M * N, 64);
        }
        Int8Gemm.gemm(
                M,
                N,
                K,
                a8,
                0,
                true,
                0,
                form == null ? b8 : b8Vnni,
                0,
                MemorySegment.NULL,
                0,
                y,
                0,
                MemorySegment.NULL,
                0,
                false,
                1f,
                MemorySegment.NULL,
                0,
                null,
                form);
        MemorySegment.ofArray(C).copyFrom(y);
        return C.clone();
    }

    private static int[] shortWiden() {
        int vl = IS.length();
        for (int p = 0; p < N / NR; p++) {
            int pb = p * K * NR;
            for (int m0 = 0; m0 < M; m0 += 4) {
                IntVector c00 = IntVector.zero(IS), c01 = c00, c10 = c00, c11 = c00;
                IntVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
                int a0 = m0 * K;
                for (int k = 0; k < K; k++) {
                    ShortVector b = (ShortVector)
                            ByteVector.fromArray(BH, BP, pb + k * NR).convertShape(VectorOperators.B2S, SS, 0);
                    ShortVector pr = b.mul((short) (A[a0 + k] & 0xff));
                    c00 = c00.add(pr.convertShape(VectorOperators.S2I, IS, 0));
                    c01 = c01.add(pr.convertShape(VectorOperators.S2I, IS, 1));
                    pr = b.mul((short) (A[a0 + K + k] & 0xff));
                    c10 = c10.add(pr.convertShape(VectorOperators.S2I, IS, 0));
                    c11 = c11.add(pr.convertShape(VectorOperators.S2I, IS, 1));
                    pr = b.mul((short) (A[a0 + 2 * K + k] & 0xff));
                    c20 = c20.add(pr.convertShape(VectorOperators.S2I, IS, 0));
                    c21 = c21.add(pr.convertShape(VectorOperators.S2I, IS, 1));
                    pr = b.mul((short) (A[a0 + 3 * K + k] & 0xff));
                    c30 = c30.add(pr.convertShape(VectorOperators.S2I, IS, 0));
                    c31 = c31.add(pr.convertShape(VectorOperators.S2I, IS, 1));
                }
                int o = m0 * N + p * NR;
                c00.intoArray(C, o);
                c01.intoArray(C, o + vl);
                c10.intoArray(C, o + N);
                c11.intoArray(C, o + N + vl);
                c20.intoArray(C, o + 2 * N);
                c21.intoArray(C, o + 2 * N + vl);
                c30.intoArray(C, o + 3 * N);
                c31.intoArray(C, o + 3 * N + vl);
            }
        }
        return C.clone();
    }

    private static int[] autoByte() {
        int[] acc = new int[NR];
        for (int p = 0; p < N / NR; p++) {
            for (int m = 0; m < M; m++) {
                java.util.Arrays.fill(acc, 0);
                autoByteRow(acc, m, p * K * NR);
                System.arraycopy(acc, 0, C, m * N + p * NR, NR);
            }
        }
        return C.clone();
    }

    private static void autoByteRow(int[] acc, int m, int pb) {
        for (int k = 0; k < K; k++) {
            int x = A[m * K + k] & 0xff;
            int bo = pb + k * NR;
            for (int j = 0; j < NR; j++) {
                acc[j] += x * BP[bo + j];
            }
        }
    }

    private static int[] autoPairs() {
        int[] acc = new int[NR];
        for (int p = 0; p < N / NR; p++) {
            for (int m = 0; m < M; m++) {
                java.util.Arrays.fill(acc, 0);
                autoPairsRow(acc, m, p * K * NR);
                System.arraycopy(acc, 0, C, m * N + p * NR, NR);
            }
        }
        return C.clone();
    }

    private static void autoPairsRow(int[] acc, int m, int pb) {
        for (int k = 0; k < K; k += 2) {
            int x0 = AS[m * K + k];
            int x1 = AS[m * K + k + 1];
            int bo = pb + k * NR;
            for (int j = 0; j < NR; j++) {
                acc[j] += x0 * BPAIRS[bo + 2 * j] + x1 * BPAIRS[bo + 2 * j + 1];
            }
        }
    }

    private static int[] autoPairsArrays() {
        for (int m = 0; m < M; m++) {
            java.util.Arrays.fill(C, m * N, (m + 1) * N, 0);
            for (int kp = 0; kp < K / 2; kp++) {
                short x0 = AS[m * K + 2 * kp];
                short x1 = AS[m * K + 2 * kp + 1];
                for (int j = 0; j < N; j++) {
                    PAT[2 * j] = x0;
                    PAT[2 * j + 1] = x1;
                }
                pairsRow(C, m * N, PAT, BROW, kp * 2 * N);
            }
        }
        return C.clone();
    }

    private static void pairsRow(int[] out, int oo, short[] s1, short[] s2, int so) {
        for (int i = 0; i < N; i++) {
            out[oo + i] += (s1[2 * i] * s2[so + 2 * i]) + (s1[2 * i + 1] * s2[so + 2 * i + 1]);
        }
    }

    private static int[] autoDot() {
        for (int m = 0; m < M; m++) {
            for (int n = 0; n < N; n++) {
                C[m * N + n] = dot(AS, m * K, BT, n * K, K / 2);
            }
        }
        return C.clone();
    }

    private static int dot(short[] x, int xo, short[] w, int wo, int pairs) {
        int s = 0;
        for (int i = 0; i < pairs; i++) {
            s += x[xo + 2 * i] * w[wo + 2 * i] + x[xo + 2 * i + 1] * w[wo + 2 * i + 1];
        }
        return s;
    }

    private static void report(String name, java.util.function.Supplier<int[]> f, int[] want) {
        if (!java.util.Arrays.equals(want, f.get())) {
            throw new IllegalStateException(name + " computes another product");
        }
        Int8GemmBench.report(name, M, N, K, f::get);
    }
}
