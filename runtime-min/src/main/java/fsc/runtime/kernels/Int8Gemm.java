package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
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
    private static final boolean AS_WIDER = AS.length() > VL;

    private static final VectorMask<Byte> AS_FIRST_VL = AS.indexInRange(0, VL);

    /** Rows per register tile: 16 accumulators, 2 B vectors and a broadcast fill 32 AVX-512 registers. */
    static final int MR = 8;
    /** {@link #MR} float lanes: one gather moves one k of a tile's rows into the packed A. */
    private static final VectorSpecies<Float> G = FloatVector.SPECIES_256;
    /** Below 256-bit vectors G's gather is the Java fallback (allocating): the tile is interleaved by a scalar loop. */
    private static final boolean G_NATIVE = VL >= 8;
    /**
     * k per exact f32 block. Exactness needs {@code KC · 255 · 128 < 2^24} (KC ≤ 514); 256 rather
     * than 512 so that a widened block of B ({@code KC · NR} floats, 32 KB at 512-bit vectors) stays
     * in L1 beside the A rows while every row tile reads it: 0.90–0.93× the CPU time of 512 on
     * MiniLM's three shapes ({@code Int8TileBench}, docs/PERFORMANCE-INT8.md).
     */
    static final int KC = 256;

    /** Below this many multiply-adds a GEMM runs on the calling thread: dispatch would cost more. */
    private static final long PARALLEL_MIN_MACS = 1L << 18;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final ThreadLocal<Task> TASK = ThreadLocal.withInitial(Task::new);

    /** The VNNI form when this process runs it, else {@code null}: chosen once, for every call. */
    static final Int8GemmVnni VNNI = loadVnni();

    /** One thread's widened block of B and the int32 sums of its row tiles, grown to the largest call seen. */
    private static final class Scratch {
        final float[] bw = new float[KC * NR];
        /** The epilogue's view of one panel: its column offsets, scales and bias, and one output row. */
        final int[] colOff = new int[NR];

        final float[] colScale = new float[NR];
        final float[] colBias = new float[NR];
        final float[] outF = new float[NR];
        final int[] outI = new int[NR];
        final Int8GemmVnni.Scratch vnni = new Int8GemmVnni.Scratch();
        private int[] acc = new int[0];

        int[] acc(int size) {
            if (acc.length < size) {
                acc = new int[size];
            }
            return acc;
        }
    }

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
        return kernels == null ? null : new Int8GemmVnni(kernels);
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
        Task t = TASK.get();
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
            t.va.prepare(a, aOff, m, k, aUnsigned, aZp);
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

    /**
     * One call's operands, the widened A and its row sums (the caller's, reused across calls), and
     * the parallel body. Worker threads read the caller's Task; each uses its own thread's tile.
     */
    private static final class Task implements Parallelism.IntRangeBody {
        private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

        float[] ap = new float[0]; // packed A: tile t, k index kk, row r at (t * k + kk) * MR + r
        float[] rows = new float[0]; // one tile's widened rows, row-major with stride lda
        final int[] idx = new int[MR]; // the gather's row starts in rows: 0, lda, 2 lda, ...
        int[] rowSum = new int[0];
        /** The VNNI form of this call, or {@code null}; its A operand, reused across calls. */
        Int8GemmVnni vnni;

        final Int8GemmVnni.Operand va = new Int8GemmVnni.Operand();
        final Int8GemmVnni.Epilogue epi = new Int8GemmVnni.Epilogue();
        int m;
        int n;
        int k;
        int lda; // k rounded up to a vector, so the prologue writes whole vectors
        MemorySegment b;
        long bOff;
        MemorySegment colOffset;
        long colOffsetOff;
        MemorySegment y;
        long yOff;
        MemorySegment scale;
        long scaleOff;
        boolean scalePerColumn;
        float scaleFactor;
        MemorySegment bias;
        long biasOff;
        /** Per-row scales applied after the epilogue, and the bias that then follows them; or NULL. */
        MemorySegment rowScale = MemorySegment.NULL;

        long rowScaleOff;
        MemorySegment postBias = MemorySegment.NULL;
        long postBiasOff;
        boolean gelu;
        boolean splitPanels;

        void set(
                int m,
                int n,
                int k,
                MemorySegment b,
                long bOff,
                MemorySegment colOffset,
                long colOffsetOff,
                MemorySegment y,
                long yOff,
                MemorySegment scale,
                long scaleOff,
                boolean scalePerColumn,
                MemorySegment bias,
                long biasOff) {
            this.m = m;
            this.n = n;
            this.k = k;
            this.b = b;
            this.bOff = bOff;
            this.colOffset = colOffset;
            this.colOffsetOff = colOffsetOff;
            this.y = y;
            this.yOff = yOff;
            this.scale = scale;
            this.scaleOff = scaleOff;
            this.scalePerColumn = scalePerColumn;
            this.bias = bias;
            this.biasOff = biasOff;
        }

        /**
         * Widens A to centred f32 and sums each row, a tile of {@value #MR} rows at a time into
         * {@code rows}, then packs the tile into {@code ap} with one 8-lane gather and one store per
         * k. Rows past {@code m} in the last tile are zero, so the kernel needs no row mask.
         */
        void prologue(MemorySegment a, long aOff, boolean unsigned, int zp) {
            int tiles = (m + MR - 1) / MR;
            lda = Math.max(VL, (k + VL - 1) / VL * VL);
            int size = Math.multiplyExact(Math.multiplyExact(tiles, MR), k);
            if (ap.length < size) {
                ap = new float[size];
            }
            if (rows.length < MR * lda) {
                rows = new float[MR * lda];
            }
            if (rowSum.length < tiles * MR) {
                rowSum = new int[tiles * MR];
            }
            for (int r = 0; r < MR; r++) {
                idx[r] = r * lda;
            }
            VectorOperators.Conversion<Byte, Integer> widen =
                    unsigned ? VectorOperators.ZERO_EXTEND_B2I : VectorOperators.B2I;
            int vecEnd = k / VL * VL;
            for (int t = 0; t < tiles; t++) {
                for (int r = 0; r < MR; r++) {
                    int i = t * MR + r;
                    int dst = r * lda;
                    if (i >= m) {
                        java.util.Arrays.fill(rows, dst, dst + k, 0f);
                        rowSum[i] = 0;
                        continue;
                    }
                    long src = aOff + (long) i * k;
                    IntVector sum = IntVector.zero(IS);
                    int kk = 0;
                    for (; kk < vecEnd; kk += VL) {
                        ByteVector bytes = AS_WIDER
                                ? ByteVector.fromMemorySegment(AS, a, src + kk, ByteOrder.LITTLE_ENDIAN, AS_FIRST_VL)
                                : ByteVector.fromMemorySegment(AS, a, src + kk, ByteOrder.LITTLE_ENDIAN);
                        IntVector v = (IntVector) bytes.convertShape(widen, IS, 0);
                        v = v.sub(zp);
                        sum = sum.add(v);
                        ((FloatVector) v.convert(VectorOperators.I2F, 0)).intoArray(rows, dst + kk);
                    }
                    int s = sum.reduceLanes(VectorOperators.ADD);
                    for (; kk < k; kk++) {
                        byte raw = a.get(ValueLayout.JAVA_BYTE, src + kk);
                        int v = (unsigned ? raw & 0xff : raw) - zp;
                        s += v;
                        rows[dst + kk] = v;
                    }
                    rowSum[i] = s;
                }
                int base = t * k * MR;
                if (G_NATIVE) {
                    for (int kk = 0; kk < k; kk++) {
                        FloatVector.fromArray(G, rows, kk, idx, 0).intoArray(ap, base + kk * MR);
                    }
                } else {
                    for (int kk = 0; kk < k; kk++) {
                        for (int r = 0; r < MR; r++) {
                            ap[base + kk * MR + r] = rows[idx[r] + kk];
                        }
                    }
                }
            }
        }

        int[] rowSums(int size) {
            if (rowSum.length < size) {
                rowSum = new int[size];
            }
            return rowSum;
        }

        @Override
        public void run(int from, int to) {
            if (!splitPanels) {
                compute(from, to, 0, vnni != null ? Int8GemmVnni.panels(n) : panels(n));
            } else if (vnni != null) {
                compute(0, (m + Int8GemmVnni.MR - 1) / Int8GemmVnni.MR, from, to);
            } else {
                compute(0, (m + MR - 1) / MR, from, to);
            }
        }

        void compute(int tileFrom, int tileTo, int panelFrom, int panelTo) {
            if (vnni != null) {
                computeVnni(tileFrom, tileTo, panelFrom, panelTo);
            } else {
                computeShared(tileFrom, tileTo, panelFrom, panelTo);
            }
        }

        /**
         * What follows a panel's epilogue for rows {@code [i0, i1)} and columns {@code [c0, c1)}: the
         * row scale and the bias after it ({@link #rescaleRows}), then GELU in place.
         */
        private void postRows(int i0, int i1, int c0, int c1) {
            if (c0 >= c1 || i0 >= i1) {
                return;
            }
            if (!rowScale.equals(MemorySegment.NULL)) {
                rescaleRows(i0, i1, c0, c1);
            }
            if (gelu) {
                NativeGelu.rows(y, yOff + ((long) i0 * n + c0) * 4, i1 - i0, c1 - c0, 4L * n);
            }
        }

        /**
         * {@code y[i, c0..c1) = y[i, c0..c1) · rowScale[i] (+ postBias[c0..c1))} for rows {@code [i0,
         * i1)}: the row-scale step after a panel's epilogue, on this thread's heap rows (see {@link
         * RowScratch}), the same two f32 operations per element as the graph's {@code mul} and {@code add}.
         */
        private void rescaleRows(int i0, int i1, int c0, int c1) {
            int w = c1 - c0;
            float[] row = RowScratch.floats(w);
            boolean hasBias = !postBias.equals(MemorySegment.NULL);
            float[] cb = hasBias ? RowScratch.floats2(w) : null;
            if (hasBias) {
                MemorySegment.copy(postBias, F32, postBiasOff + 4L * c0, cb, 0, w);
            }
            int bound = FS.loopBound(w);
            for (int i = i0; i < i1; i++) {
                long at = yOff + ((long) i * n + c0) * 4;
                MemorySegment.copy(y, F32, at, row, 0, w);
                float r = rowScale.get(F32, rowScaleOff + 4L * i);
                int j = 0;
                for (; j < bound; j += VL) {
                    FloatVector v = FloatVector.fromArray(FS, row, j).mul(r);
                    if (hasBias) {
                        v = v.add(FloatVector.fromArray(FS, cb, j));
                    }
                    v.intoArray(row, j);
                }
                for (; j < w; j++) {
                    row[j] = hasBias ? row[j] * r + cb[j] : row[j] * r;
                }
                MemorySegment.copy(row, 0, y, F32, at, w);
            }
        }

        /**
         * Each VNNI panel (64 columns): a full panel of a native Y takes the epilogue in the tiles'
         * registers and is stored there; otherwise (the last, partial panel, or a heap Y) the tiles'
         * exact sums go to this thread's array and the Vector API epilogue runs on each {@code
         * NR}-column half.
         */
        private void computeVnni(int tileFrom, int tileTo, int panelFrom, int panelTo) {
            Scratch sc = SCRATCH.get();
            int tileInts = Int8GemmVnni.MR * Int8GemmVnni.NR;
            boolean direct = y.isNative();
            int rowEnd = Math.min(m, tileTo * Int8GemmVnni.MR);
            for (int p = panelFrom; p < panelTo; p++) {
                if (direct && (p + 1) * Int8GemmVnni.NR <= n) {
                    vnni.multiplyInto(va, b, bOff, m, k, n, tileFrom, tileTo, p, epi, y.address() + yOff, sc.vnni);
                    continue;
                }
                int[] tile = sc.acc((tileTo - tileFrom) * tileInts);
                vnni.multiply(va, b, bOff, m, k, n, tileFrom, tileTo, p, sc.vnni, tile);
                for (int h = 0; h < Int8GemmVnni.NR / NR; h++) {
                    int col0 = p * Int8GemmVnni.NR + h * NR;
                    if (col0 >= n) {
                        break;
                    }
                    loadPanel(sc, col0);
                    for (int t = tileFrom; t < tileTo; t++) {
                        int i0 = t * Int8GemmVnni.MR;
                        int to = (t - tileFrom) * tileInts + h * NR;
                        epilogue(sc, tile, to, Int8GemmVnni.NR, i0, Math.min(Int8GemmVnni.MR, m - i0), col0);
                    }
                }
            }
            // Once over this call's panels, not per panel: a row copy per 64 columns cost more than
            // the multiply; the block (at most M × N / threads floats) is still in L2.
            postRows(
                    tileFrom * Int8GemmVnni.MR,
                    rowEnd,
                    panelFrom * Int8GemmVnni.NR,
                    Math.min(n, panelTo * Int8GemmVnni.NR));
        }

        /**
         * Each block of {@value #KC} k of a panel is widened to f32 once (this thread's {@code bw})
         * and multiplied by every row tile, whose int32 sums wait in {@code acc} until the panel's
         * last block; then the epilogues run. (One tile, M ≤ 8, widens too: the block is then read
         * once, and the widening costs two instructions per 16 bytes against 8 × 16 FMAs.)
         */
        private void computeShared(int tileFrom, int tileTo, int panelFrom, int panelTo) {
            Scratch sc = SCRATCH.get();
            int tiles = tileTo - tileFrom;
            int[] acc = sc.acc(tiles * MR * NR);
            float[] bw = sc.bw;
            long panelBytes = (long) k * NR;
            for (int p = panelFrom; p < panelTo; p++) {
                long bp = bOff + p * panelBytes;
                if (k == 0) {
                    java.util.Arrays.fill(acc, 0, tiles * MR * NR, 0);
                }
                for (int k0 = 0; k0 < k; k0 += KC) {
                    int kc = Math.min(KC, k - k0);
                    Int8GemmMicroKernel.widen(b, bp + (long) k0 * NR, kc * NR, bw);
                    for (int t = 0; t < tiles; t++) {
                        Int8GemmMicroKernel.kernel8p(
                                kc, ap, ((tileFrom + t) * k + k0) * MR, bw, acc, t * MR * NR, k0 == 0);
                    }
                }
                loadPanel(sc, p * NR);
                for (int t = 0; t < tiles; t++) {
                    int i0 = (tileFrom + t) * MR;
                    epilogue(sc, acc, t * MR * NR, NR, i0, Math.min(MR, m - i0), p * NR);
                }
            }
            postRows(tileFrom * MR, Math.min(m, tileTo * MR), panelFrom * NR, Math.min(n, panelTo * NR));
        }

        /**
         * Copies a full panel's column offsets, scales (times the scale factor) and bias into this
         * thread's arrays, once per panel for all its row tiles' epilogues.
         */
        private void loadPanel(Scratch sc, int col0) {
            if (col0 + NR > n) {
                return; // the partial last panel takes the scalar epilogue
            }
            if (!colOffset.equals(MemorySegment.NULL)) {
                MemorySegment.copy(colOffset, I32, colOffsetOff + col0 * 4L, sc.colOff, 0, NR);
            }
            if (scale.equals(MemorySegment.NULL)) {
                return;
            }
            float[] cs = sc.colScale;
            if (scalePerColumn) {
                MemorySegment.copy(scale, F32, scaleOff + col0 * 4L, cs, 0, NR);
                for (int v = 0; v < NR; v += VL) {
                    FloatVector.fromArray(FS, cs, v).mul(scaleFactor).intoArray(cs, v);
                }
            } else {
                java.util.Arrays.fill(cs, scaleFactor * scale.get(F32, scaleOff));
            }
            if (!bias.equals(MemorySegment.NULL)) {
                MemorySegment.copy(bias, F32, biasOff + col0 * 4L, sc.colBias, 0, NR);
            }
        }

        /**
         * Takes the column offsets back out, rescales if asked, and writes the tile's valid part. The
         * panel's offsets, scales and bias are in this thread's arrays ({@link #loadPanel}) and each row is
         * computed into an array and copied out whole: vector ops on a segment keep their liveness
         * and bounds checks inside the loop once a speculation on them failed (see {@link RowScratch}).
         * The same float operations in the same order as {@link #epilogueScalar}.
         */
        private void epilogue(Scratch sc, int[] tile, int to, int stride, int i0, int rows, int col0) {
            boolean offsets = !colOffset.equals(MemorySegment.NULL);
            boolean toFloat = !scale.equals(MemorySegment.NULL);
            boolean hasBias = !bias.equals(MemorySegment.NULL);
            if (col0 + NR > n) {
                epilogueScalar(tile, to, stride, i0, rows, col0, offsets, toFloat, hasBias);
                return;
            }
            int[] off = sc.colOff;
            float[] cs = sc.colScale;
            float[] cb = sc.colBias;
            for (int r = 0; r < rows; r++) {
                long yRow = yOff + ((long) (i0 + r) * n + col0) * 4;
                int rs = rowSum[i0 + r];
                for (int v = 0; v < NR; v += VL) {
                    IntVector acc = IntVector.fromArray(IS, tile, to + r * stride + v);
                    if (offsets) {
                        acc = acc.sub(IntVector.fromArray(IS, off, v).mul(rs));
                    }
                    if (!toFloat) {
                        acc.intoArray(sc.outI, v);
                        continue;
                    }
                    FloatVector f =
                            ((FloatVector) acc.convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(FS, cs, v));
                    if (hasBias) {
                        f = f.add(FloatVector.fromArray(FS, cb, v));
                    }
                    f.intoArray(sc.outF, v);
                }
                if (toFloat) {
                    MemorySegment.copy(sc.outF, 0, y, F32, yRow, NR);
                } else {
                    MemorySegment.copy(sc.outI, 0, y, I32, yRow, NR);
                }
            }
        }

        private void epilogueScalar(
                int[] tile,
                int to,
                int stride,
                int i0,
                int rows,
                int col0,
                boolean offsets,
                boolean toFloat,
                boolean hasBias) {
            int cols = n - col0;
            for (int r = 0; r < rows; r++) {
                long yRow = yOff + ((long) (i0 + r) * n + col0) * 4;
                for (int j = 0; j < cols; j++) {
                    long col = col0 + j;
                    int acc = tile[to + r * stride + j];
                    if (offsets) {
                        acc -= colOffset.get(I32, colOffsetOff + col * 4) * rowSum[i0 + r];
                    }
                    if (!toFloat) {
                        y.set(I32, yRow + j * 4L, acc);
                        continue;
                    }
                    float f = (float) acc * (scaleFactor * scale.get(F32, scaleOff + (scalePerColumn ? col * 4 : 0)));
                    if (hasBias) {
                        f = f + bias.get(F32, biasOff + col * 4);
                    }
                    y.set(F32, yRow + j * 4L, f);
                }
            }
        }
    }
}
