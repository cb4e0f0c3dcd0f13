package fsc.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The scalar definition of {@link Int8Gemm}, for differential tests: B read row-major
 * ({@code s8[K,N]}), every sum in {@code long} and checked to fit int32 as ONNX's accumulator does.
 */
public final class Int8GemmReference {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Int8GemmReference() {}

    /**
     * {@code acc[i][j] = sum_k (a[i][k] - aZp) * (b[k][j] - colOffset[j])}; {@code y} gets {@code acc}
     * as int32 when {@code scale} is {@code NULL}, otherwise {@code (float) acc * (scaleFactor *
     * scale) (+ bias)} in f32, rounded after each operation as the unfused graph does.
     */
    public static void gemm(
            int m,
            int n,
            int k,
            MemorySegment a,
            long aOff,
            boolean aUnsigned,
            int aZp,
            MemorySegment b,
            long bOff,
            MemorySegment colOffset,
            long colOffsetOff,
            MemorySegment y,
            long yOff,
            MemorySegment scale,
            long scaleOff,
            boolean scalePerColumn,
            float scaleFactor,
            MemorySegment bias,
            long biasOff) {
        gemm(
                m,
                n,
                k,
                a,
                aOff,
                aUnsigned,
                aZp,
                b,
                bOff,
                colOffset,
                colOffsetOff,
                y,
                yOff,
                scale,
                scaleOff,
                scalePerColumn,
                scaleFactor,
                MemorySegment.NULL,
                0L,
                bias,
                biasOff,
                false);
    }

    /**
     * {@link #gemm} with a per-row scale after the column scale, before the bias ({@code NULL}: none),
     * and with {@code gelu} exact GELU ({@link FloatMath#gelu(float)}) last.
     */
    public static void gemm(
            int m,
            int n,
            int k,
            MemorySegment a,
            long aOff,
            boolean aUnsigned,
            int aZp,
            MemorySegment b,
            long bOff,
            MemorySegment colOffset,
            long colOffsetOff,
            MemorySegment y,
            long yOff,
            MemorySegment scale,
            long scaleOff,
            boolean scalePerColumn,
            float scaleFactor,
            MemorySegment rowScale,
            long rowScaleOff,
            MemorySegment bias,
            long biasOff,
            boolean gelu) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                long acc = 0;
                int off = colOffset.equals(MemorySegment.NULL) ? 0 : colOffset.get(I32, colOffsetOff + 4L * j);
                for (int kk = 0; kk < k; kk++) {
                    byte av = a.get(ValueLayout.JAVA_BYTE, aOff + (long) i * k + kk);
                    int ai = (aUnsigned ? av & 0xff : av) - aZp;
                    int bi = b.get(ValueLayout.JAVA_BYTE, bOff + (long) kk * n + j) - off;
                    acc += (long) ai * bi;
                }
                int sum = Math.toIntExact(acc);
                long at = (long) i * n + j;
                if (scale.equals(MemorySegment.NULL)) {
                    y.set(I32, yOff + 4 * at, sum);
                } else {
                    float s = scaleFactor * scale.get(F32, scaleOff + (scalePerColumn ? 4L * j : 0));
                    float v = (float) sum * s;
                    if (!rowScale.equals(MemorySegment.NULL)) {
                        v = v * rowScale.get(F32, rowScaleOff + 4L * i);
                    }
                    if (!bias.equals(MemorySegment.NULL)) {
                        v = v + bias.get(F32, biasOff + 4L * j);
                    }
                    if (gelu) {
                        v = FloatMath.gelu(v);
                    }
                    y.set(F32, yOff + 4 * at, v);
                }
            }
        }
    }
}
