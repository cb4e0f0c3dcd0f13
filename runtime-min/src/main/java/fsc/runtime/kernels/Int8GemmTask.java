package fsc.runtime.kernels;

import static fsc.runtime.kernels.Int8Gemm.AS;
import static fsc.runtime.kernels.Int8Gemm.AS_FIRST_VL;
import static fsc.runtime.kernels.Int8Gemm.AS_WIDER;
import static fsc.runtime.kernels.Int8Gemm.F32;
import static fsc.runtime.kernels.Int8Gemm.FS;
import static fsc.runtime.kernels.Int8Gemm.G;
import static fsc.runtime.kernels.Int8Gemm.G_NATIVE;
import static fsc.runtime.kernels.Int8Gemm.I32;
import static fsc.runtime.kernels.Int8Gemm.IS;
import static fsc.runtime.kernels.Int8Gemm.KC;
import static fsc.runtime.kernels.Int8Gemm.MR;
import static fsc.runtime.kernels.Int8Gemm.NR;
import static fsc.runtime.kernels.Int8Gemm.VL;
import static fsc.runtime.kernels.Int8Gemm.panels;

import fsc.runtime.Parallelism;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * One {@link Int8Gemm} call's operands, the widened A and its row sums (the caller's, reused across
 * calls), and the parallel body: the prologue, the tiles (VNNI or Vector API) and the epilogue.
 * Worker threads read the caller's task; each uses its own thread's tile.
 */
final class Int8GemmTask implements Parallelism.IntRangeBody {
    /** One thread's widened block of B and the int32 sums of its row tiles, grown to the largest call seen. */
    static final class Scratch {
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

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    /**
     * {@link #rescaleRows}' vector code, warm once a timed call takes under 20 ns per vector
     * (compiled: about 1; the fallback: hundreds); until then every element takes the scalar tail's
     * two operations, the vector lanes' own.
     */
    private static final VectorWarmth RESCALE_WARMTH = new VectorWarmth(20);

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
        boolean cold = !RESCALE_WARMTH.warm() && !RESCALE_WARMTH.sample();
        long start = RESCALE_WARMTH.warm() || cold ? 0 : System.nanoTime();
        int bound = cold ? 0 : FS.loopBound(w); // cold: every element in the scalar tail (same two operations)
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
        if (start != 0) {
            RESCALE_WARMTH.timed(System.nanoTime() - start, (long) (i1 - i0) * (w / VL));
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
                    Int8GemmMicroKernel.kernel8p(kc, ap, ((tileFrom + t) * k + k0) * MR, bw, acc, t * MR * NR, k0 == 0);
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
