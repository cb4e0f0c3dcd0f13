package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Integer GEMM for quantized models (ONNX MatMulInteger / QLinearMatMul after the {@code
 * quant-gemm} pass): {@code acc[i,j] = sum_k (a[i,k] - aZp) · (b[k,j] - off[j])} exactly in int32,
 * with A u8 or s8 activations and B s8 weights packed in column panels, then either stored as int32
 * or rescaled in the epilogue to {@code f32(acc) · scale (+ bias)}.
 *
 * <p>Stages: a prologue widens A (centred on its zero point) to f32 once per call, sums each row,
 * and packs it in tiles of {@value #MR} rows (the rows' values of one k adjacent, as {@link Sgemm}
 * packs A); each block of {@value #KC} k of a panel of B is widened to f32 once and shared by all
 * row tiles; the micro-kernel ({@link Int8GemmMicroKernel}) multiplies eight rows by the panel,
 * exactly in f32 within a block and in int32 across blocks; the
 * epilogue subtracts {@code off[j] · rowsum[i]} and rescales. Panels are split across the {@link
 * Parallelism} team (rows when there are fewer panels than threads), as in {@link Sgemm}.
 *
 * <p>B's packed layout is {@link Sgemm}'s with bytes: {@code ceil(N/NR)} panels of {@code K × NR}
 * s8, row by row, the last zero-padded. A weight whose columns do not fit s8 (u8, or s8 minus a
 * zero point) is stored shifted by a per-column offset {@code off[j]}, which the epilogue takes
 * back out; {@code NULL} means all offsets are zero.
 *
 * <p>On a CPU with AVX-512 VNNI the products run in fsc's own {@code vpdpbusd} tiles instead
 * ({@link Int8GemmVnni}, 5–10× the f32 kernel's rate here), B packed in their layout at load ({@link
 * #panelWidth} is then 0, so a model's compile-time panels are always repacked) and the same
 * epilogue after them; {@code -Dfsc.kernels.native=false} keeps the Vector API kernel.
 *
 * <p>Offsets are in bytes; A is row-major {@code [m, k]}, Y row-major {@code [m, n]}. A call
 * allocates nothing once the calling thread's workspace has grown to the largest A it has seen.
 */
public final class Int8Gemm {
    static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
    static final int VL = FS.length();
    static final int NR = 2 * VL;
    /** VL bytes: widened lane for lane to one int or float vector (A in the prologue, B in the kernel). */
    static final VectorSpecies<Byte> AS = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, VL * 8)));
    /**
     * At 128-bit vectors (VL = 4) there is no 32-bit byte species, so AS is the 64-bit one and a
     * load takes its first VL lanes under this mask (it must not read past the row); at 256 and
     * 512 bits AS has VL lanes and the unmasked load is used.
     */
    static final boolean AS_WIDER = AS.length() > VL;

    static final VectorMask<Byte> AS_FIRST_VL = AS.indexInRange(0, VL);

    /** Rows per register tile: 16 accumulators, 2 B vectors and a broadcast fill 32 AVX-512 registers. */
    static final int MR = 8;
    /** {@link #MR} float lanes: one gather moves one k of a tile's rows into the packed A. */
    static final VectorSpecies<Float> G = FloatVector.SPECIES_256;
    /** Below 256-bit vectors G's gather is the Java fallback (allocating): the tile is interleaved by a scalar loop. */
    static final boolean G_NATIVE = VL >= 8;
    /**
     * k per exact f32 block. Exactness needs {@code KC · 255 · 128 < 2^24} (KC ≤ 514); 256 rather
     * than 512 so that a widened block of B ({@code KC · NR} floats, 32 KB at 512-bit vectors) stays
     * in L1 beside the A rows while every row tile reads it: 0.90–0.93× the CPU time of 512 on
     * MiniLM's three shapes ({@code Int8TileBench}, docs/PERFORMANCE-INT8.md).
     */
    static final int KC = 256;

    /** Below this many multiply-adds a GEMM runs on the calling thread: dispatch would cost more. */
    static final long PARALLEL_MIN_MACS = 1L << 18;

    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final ThreadLocal<Int8GemmTask> TASK = new ThreadLocal<>() {
        @Override
        protected Int8GemmTask initialValue() {
            return new Int8GemmTask();
        }
    };

    /** The VNNI form when this process runs it, else {@code null}: chosen once, for every call. */
    static final Int8GemmVnni VNNI = loadVnni();

    private Int8Gemm() {}

    /**
     * Only with the 512-bit species ({@code NR} = 32, half a VNNI panel): a JVM capped by {@code
     * -XX:MaxVectorSize} below 64 (an AVX2-class target, or the edge width matrix, which tests this
     * class's Vector API kernel there) keeps the Vector API kernel.
     */
    private static Int8GemmVnni loadVnni() {
        if (Int8GemmVnni.NR != 2 * NR) {
            return null;
        }
        fsc.runtime.x86.VnniGemmKernels kernels = fsc.runtime.x86.VnniGemmKernels.loadIfSupported();
        fsc.runtime.x86.ByteRowKernels rows = kernels == null ? null : fsc.runtime.x86.ByteRowKernels.loadIfSupported();
        return rows == null ? null : new Int8GemmVnni(kernels, rows);
    }

    /**
     * Columns per packed panel of the compiler's layout that this process reads in place: two vectors
     * of the CPU's preferred float species, or 0 under VNNI, whose layout is made at load ({@link #repack}).
     */
    public static int panelWidth() {
        return VNNI != null ? 0 : NR;
    }

    /** Bytes {@link #packB} writes for a {@code [k, n]} B. */
    public static long packedBytes(int k, int n) {
        return packedBytes(k, n, VNNI);
    }

    static long packedBytes(int k, int n, Int8GemmVnni vnni) {
        return vnni != null ? Int8GemmVnni.packedBytes(k, n) : (long) panels(n) * NR * k;
    }

    /** Packs a row-major s8 {@code B[k, n]} into this CPU's panels; padding columns are zero. */
    public static void packB(MemorySegment src, long srcOff, int k, int n, MemorySegment dst, long dstOff) {
        packB(src, srcOff, k, n, dst, dstOff, VNNI);
    }

    static void packB(MemorySegment src, long srcOff, int k, int n, MemorySegment dst, long dstOff, Int8GemmVnni vnni) {
        checkSizes(1, n, k);
        if (vnni != null) {
            Int8GemmVnni.pack(src, srcOff, k, n, n, false, dst, dstOff);
        } else {
            repackFrom(src, srcOff, k, n, n, false, dst, dstOff);
        }
    }

    /**
     * Converts a B packed at compile time in panels of {@code srcPanel} columns (the {@code
     * {panelW}} layout of the {@code quant-gemm} pass) into this CPU's panels, for a model run on a
     * CPU with other vectors; {@code dst} needs {@link #packedBytes}{@code (k, n)}.
     */
    public static void repack(
            MemorySegment src, long srcOff, int k, int n, int srcPanel, MemorySegment dst, long dstOff) {
        repack(src, srcOff, k, n, srcPanel, dst, dstOff, VNNI);
    }

    static void repack(
            MemorySegment src,
            long srcOff,
            int k,
            int n,
            int srcPanel,
            MemorySegment dst,
            long dstOff,
            Int8GemmVnni vnni) {
        if (srcPanel <= 0) {
            throw new IllegalArgumentException("panel width " + srcPanel + " is not positive");
        }
        checkSizes(1, n, k);
        if (vnni != null) {
            Int8GemmVnni.pack(src, srcOff, k, n, srcPanel, true, dst, dstOff);
        } else {
            repackFrom(src, srcOff, k, n, srcPanel, true, dst, dstOff);
        }
    }

    private static void repackFrom(
            MemorySegment src, long srcOff, int k, int n, int width, boolean panelled, MemorySegment dst, long dstOff) {
        checkSizes(1, n, k);
        long bytes = packedBytes(k, n, null);
        for (long i = 0; i < bytes; i++) {
            dst.set(ValueLayout.JAVA_BYTE, dstOff + i, (byte) 0);
        }
        for (int kk = 0; kk < k; kk++) {
            for (int j = 0; j < n; j++) {
                long from = panelled ? ((long) (j / width) * k + kk) * width + j % width : (long) kk * n + j;
                long to = ((long) (j / NR) * k + kk) * NR + j % NR;
                dst.set(ValueLayout.JAVA_BYTE, dstOff + to, src.get(ValueLayout.JAVA_BYTE, srcOff + from));
            }
        }
    }

    /**
     * {@code y[i, j] = sum_k (a[i, k] - aZp) · (b[k, j] - colOffset[j])} as int32 when {@code scale}
     * is {@code NULL}, else {@code f32(acc) · (scaleFactor · scale[j or 0]) (+ bias[j])}, each
     * operation rounded to f32 as in the unfused graph ({@code scaleFactor} is the activations'
     * dynamic scale, or 1, which changes nothing: {@code 1f · x == x}). {@code b} is packed ({@link #packB}); {@code colOffset} is i32
     * {@code [n]} or {@code NULL}; {@code bias} f32 {@code [n]} or {@code NULL}.
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
            long biasOff,
            Parallelism par) {
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
                false,
                par);
    }

    /**
     * {@link #gemm} with one f32 scale per row of A ({@code rowScale}, {@code m} floats, or {@code
     * NULL}) applied after the column scale and before the bias: {@code (f32(acc) · (scaleFactor ·
     * scale[j])) · rowScale[i] (+ bias[j])}, each operation rounded to f32 as the graph's {@code mul}
     * by the quantize pass's per-token activation scales and the {@code add} of the layer's bias do.
     * With {@code gelu}, exact GELU ({@code x/2 · (1 + erf(x/√2))}, {@link FloatMath#geluRows}) is
     * applied last. The row scale, the bias after it and GELU run on each thread's block of Y right
     * after the thread computed it, while it is in L2 (so they are split between threads as the
     * GEMM is); the kernels' own epilogue then stops at the column scale (at the bias when there is
     * no row scale).
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
            boolean gelu,
            Parallelism par) {
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
                rowScale,
                rowScaleOff,
                bias,
                biasOff,
                gelu,
                par,
                VNNI);
    }

    /** {@link #gemm} on the given form: {@code vnni}, or the Vector API kernel when it is {@code null}. */
    static void gemm(
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
            long biasOff,
            Parallelism par,
            Int8GemmVnni vnni) {
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
                false,
                par,
                vnni);
    }

    /** {@link #gemm} with a row scale, on the given form (see the public overloads). */
    static void gemm(
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
            boolean gelu,
            Parallelism par,
            Int8GemmVnni vnni) {
        checkSizes(m, n, k);
        if (m == 0 || n == 0) {
            return;
        }
        boolean rowScaled = !rowScale.equals(MemorySegment.NULL);
        if ((rowScaled || gelu) && scale.equals(MemorySegment.NULL)) {
            throw new IllegalArgumentException("a row scale or GELU needs a column scale (the output is f32)");
        }
        if (rowScaled) {
            java.util.Objects.checkFromIndexSize(rowScaleOff, 4L * m, rowScale.byteSize());
        }
        Int8GemmTask t = TASK.get();
        // With a row scale the bias comes after it, so the kernels' epilogue stops at the column scale.
        t.set(
                m,
                n,
                k,
                b,
                bOff,
                colOffset,
                colOffsetOff,
                y,
                yOff,
                scale,
                scaleOff,
                scalePerColumn,
                rowScaled ? MemorySegment.NULL : bias,
                rowScaled ? 0L : biasOff);
        t.rowScale = rowScale;
        t.rowScaleOff = rowScaleOff;
        t.postBias = rowScaled ? bias : MemorySegment.NULL;
        t.postBiasOff = biasOff;
        t.gelu = gelu;
        t.scaleFactor = scaleFactor;
        t.vnni = vnni;
        int panels;
        int tiles;
        if (vnni != null) {
            if (!b.isNative() || bOff < 0 || bOff + Int8GemmVnni.packedBytes(k, n) > b.byteSize()) {
                throw new IllegalArgumentException("the packed B of a " + k + "x" + n
                        + " VNNI GEMM must be native memory of " + Int8GemmVnni.packedBytes(k, n) + " bytes");
            }
            if (y.isNative() && (yOff < 0 || yOff + 4L * m * n > y.byteSize())) {
                throw new IndexOutOfBoundsException(
                        "Y of " + m + "x" + n + " at " + yOff + " is outside its " + y.byteSize() + "-byte segment");
            }
            t.va.prepare(vnni.rows, a, aOff, m, k, aUnsigned, aZp);
            Int8GemmVnni.Epilogue e = t.epi;
            e.colOffset = colOffset;
            e.colOffsetOff = colOffsetOff;
            e.scale = scale;
            e.scaleOff = scaleOff;
            e.scalePerColumn = scalePerColumn;
            e.scaleFactor = scaleFactor;
            e.bias = t.bias;
            e.biasOff = t.biasOff;
            int[] rowSum = t.rowSums(m); // the epilogue reads it; it holds sums only where offsets need them
            if (!colOffset.equals(MemorySegment.NULL)) {
                t.va.rowSums(m, k, rowSum);
            }
            panels = Int8GemmVnni.panels(n);
            tiles = (m + Int8GemmVnni.MR - 1) / Int8GemmVnni.MR;
        } else {
            t.prologue(a, aOff, aUnsigned, aZp);
            panels = panels(n);
            tiles = (m + MR - 1) / MR;
        }
        long macs = (long) m * n * Math.max(k, 1);
        if (par == null || par.threads() == 1 || macs < PARALLEL_MIN_MACS) {
            t.compute(0, tiles, 0, panels);
        } else if (panels >= par.threads()) {
            t.splitPanels = true;
            par.forRange(0, panels, 1, t);
        } else {
            t.splitPanels = false;
            par.forRange(0, tiles, 1, t);
        }
    }

    static int panels(int n) {
        return (n + NR - 1) / NR;
    }

    private static void checkSizes(int m, int n, int k) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative GEMM size m=" + m + " n=" + n + " k=" + k);
        }
    }
}
