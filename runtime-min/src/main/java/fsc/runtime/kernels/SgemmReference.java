package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The obviously-correct GEMM that {@link Sgemm} is tested against: three loops, double accumulation,
 * same operand conventions as {@link Sgemm#gemm} (offsets in bytes, leading dimensions in elements).
 */
public final class SgemmReference {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SgemmReference() {}

    public static void gemm(
            int m,
            int n,
            int k,
            MemorySegment a,
            long aOff,
            long lda,
            boolean transA,
            MemorySegment b,
            long bOff,
            long ldb,
            boolean transB,
            MemorySegment c,
            long cOff,
            long ldc,
            float alpha,
            boolean accumulate) {
        // Gather op(A) as [m][k] and op(B) as [n][k] first: the product loop is then plain array
        // code that even C1 runs quickly, so tests spend their time in the kernel under test.
        float[] opA = new float[m * k];
        float[] opBt = new float[n * k];
        for (int i = 0; i < m; i++) {
            for (int kk = 0; kk < k; kk++) {
                long ai = transA ? (long) kk * lda + i : (long) i * lda + kk;
                opA[i * k + kk] = a.get(F32, aOff + ai * 4);
            }
        }
        for (int j = 0; j < n; j++) {
            for (int kk = 0; kk < k; kk++) {
                long bi = transB ? (long) j * ldb + kk : (long) kk * ldb + j;
                opBt[j * k + kk] = b.get(F32, bOff + bi * 4);
            }
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int kk = 0; kk < k; kk++) {
                    sum += (double) opA[i * k + kk] * opBt[j * k + kk];
                }
                long ci = cOff + ((long) i * ldc + j) * 4;
                double v = alpha * sum + (accumulate ? c.get(F32, ci) : 0);
                c.set(F32, ci, (float) v);
            }
        }
    }
}
