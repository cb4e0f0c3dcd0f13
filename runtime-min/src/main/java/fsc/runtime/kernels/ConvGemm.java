package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The GEMM of one convolution group, {@code y[m, pixel(q)] = act(Σ_k A[m, k] · B[k, q] + bias[m])},
 * driven here rather than through {@link Sgemm} because a conv's operands are not a plain GEMM's:
 *
 * <ul>
 *   <li><b>A is the conv's weights, packed once</b> ({@link #pack}) into {@link
 *       SgemmMicroKernels#kernel8}'s layout (8 rows interleaved per k, rows past the group's filters
 *       zero) and kept by the {@link Conv2d} instance: {@code Sgemm} packed them again on every call
 *       (4 % of the MobileNet classifier). The k order is the im2col order {@code (c, ky, kx)}, or
 *       tap-major {@code (ky, kx, c)} for {@link ConvBand}'s implicit GEMM, which reads one tap's
 *       channels at a fixed stride.
 *   <li><b>B is read where it lies</b>, as runs of k {@link #segment segments}, each a start k, a
 *       length and a byte offset into the panel, so the same loop reads im2col's packed panels, a
 *       pointwise conv's input rows in place, and the band's zero-padded planes (one segment per tap).
 *   <li><b>The bias and activation are a per-row epilogue on the finished tile</b>: the tiles of a
 *       panel accumulate in a per-thread scratch (in L1: {@code M/8} tiles of 8 × {@link
 *       Sgemm#panelWidth()} floats), and after the last segment each row is copied to its output
 *       pixels through {@link ConvRowEpilogue#biasActivateCopy} ({@code GemmEpilogue} biases per
 *       column, a conv needs one bias per row). That copy also drops the band's padding columns
 *       (column {@code q} is pixel {@code (q / wq, q mod wq)}, kept when {@code q mod wq < ow}), so
 *       no kernel needs masks and no separate pass reads the output again.
 * </ul>
 *
 * Loop order, on each thread's share of the panels: blocks of A's tiles ({@link #A_BLOCK_BYTES}; one
 * block unless the weights are large) → panels → segments (a segment's B, at most {@value #KC} k,
 * stays in L1 for every tile) → the block's 8-row tiles. Not safe for concurrent calls (the call's operands are fields,
 * so the parallel body allocates nothing).
 */
final class ConvGemm implements Parallelism.IntRangeBody {
    static final int MR = Sgemm.MR;
    static final int NR = Sgemm.NR;
    /** Most k per segment: the segment's B (KC · NR floats, 32 KB) fits L1d next to the tiles. */
    static final int KC = 256;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final long TILE_ROW = (long) NR * Float.BYTES;
    /**
     * Most bytes of packed A one pass over the panels reads: a block stays in L2 or L3 while the
     * panels go by. ISNet's 1024-channel 3×3 convs have 9.4 and 19 MB of weights, which came from
     * DRAM once per panel: 42–66 GFLOP/s where 1, 2 and 4 MB blocks all give 83–96 (`Conv2dBench
     * wide`, with {@link ConvBand#MIN_BAND_COLUMNS}; 8 MB: 79–87).
     */
    static final long A_BLOCK_BYTES = 2L << 20;

    /** Below this many multiply-adds the GEMM runs on the calling thread. */
    private static final long PARALLEL_MIN_MACS = 1L << 17;

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };

    private final int mg;
    private final int k;
    private final int tiles;
    /** Tiles per block of A ({@link #blockTiles()}). */
    private final int blockTiles;
    // k segments: start k (index into A's packed k order), length, byte offset into a B panel.
    private final int[] segK;
    private final int[] segLen;
    private final long[] segB;

    /** {@link #a} mirrored in native memory for the machine-code tile ({@link NativeTile}). */
    private float[] mirrored;

    private MemorySegment aNative = MemorySegment.NULL;

    // The running call.
    private float[] a;
    private int aBase;
    private MemorySegment b;
    private long bOff;
    private long bRow;
    private long bPanel;
    private boolean packTail;
    private int n;
    private int wq;
    private int ow;
    private MemorySegment y;
    private long yBase;
    private long yChannel;
    private MemorySegment bias;
    private long biasOff;
    private ConvActivation act;
    private float lo;
    private float hi;

    /**
     * A driver for groups of {@code mg} filters over {@code k} rows of B, read in the given segments
     * (start k, length, byte offset into a panel; lengths sum to k).
     */
    ConvGemm(int mg, int k, int[] segK, int[] segLen, long[] segB) {
        this.mg = mg;
        this.k = k;
        this.tiles = (mg + MR - 1) / MR;
        this.blockTiles = (int) Math.max(1, Math.min(tiles, A_BLOCK_BYTES / ((long) MR * k * Float.BYTES)));
        this.segK = segK;
        this.segLen = segLen;
        this.segB = segB;
    }

    /** Segments of at most {@link #KC} k over B rows {@code bRow} bytes apart: the plain GEMM's. */
    static ConvGemm linear(int mg, int k, long bRow) {
        int count = Math.max(1, (k + KC - 1) / KC);
        int[] start = new int[count];
        int[] len = new int[count];
        long[] off = new long[count];
        for (int i = 0; i < count; i++) {
            start[i] = i * KC;
            len[i] = Math.min(KC, k - i * KC);
            off[i] = start[i] * bRow;
        }
        return new ConvGemm(mg, k, start, len, off);
    }

    /** Floats {@link #pack} writes for {@code group} groups of {@code mg} filters over {@code k}. */
    static int packedFloats(int group, int mg, int k) {
        return Math.multiplyExact(group * ((mg + MR - 1) / MR) * MR, k);
    }

    /**
     * Packs a conv's weights ({@code [M, Cg, KH, KW]} at byte {@code wOff}) for {@link
     * SgemmMicroKernels#kernel8}: group {@code g}'s tile {@code t} starts at float {@code (g · tiles
     * + t) · MR · K} and holds, for each k, the MR filters' weights of that k. k is {@code (c · taps
     * + tap)}, or {@code (tap · Cg + c)} when {@code tapMajor}.
     */
    static void pack(MemorySegment w, long wOff, ConvShape s, boolean tapMajor, float[] dst) {
        int cg = s.groupChannels();
        int mg = s.groupFilters();
        int taps = s.kernelH() * s.kernelW();
        int k = s.columnRows();
        int tiles = (mg + MR - 1) / MR;
        for (int g = 0; g < s.group(); g++) {
            for (int t = 0; t < tiles; t++) {
                int base = (g * tiles + t) * MR * k;
                for (int r = 0; r < MR; r++) {
                    int m = t * MR + r;
                    long row = wOff + ((long) g * mg + m) * k * Float.BYTES;
                    for (int c = 0; c < cg; c++) {
                        for (int tap = 0; tap < taps; tap++) {
                            int kk = tapMajor ? tap * cg + c : c * taps + tap;
                            float v = m < mg ? w.get(F32, row + ((long) c * taps + tap) * Float.BYTES) : 0f;
                            dst[base + kk * MR + r] = v;
                        }
                    }
                }
            }
        }
    }

    /**
     * Sets the operands of one group's GEMM. A is group {@code g} of {@code packed}. B's panel
     * {@code p} starts at {@code bOff + p · bPanel}, its k rows {@code bRow} bytes apart within a
     * segment; with {@code packTail} the last, partial panel is first copied into zero-padded scratch
     * (B read in place would run past its last row). Column {@code q < n} is output pixel {@code
     * (q / wq) · ow + q mod wq} of channel plane {@code yChannel} bytes long at {@code yBase},
     * dropped when {@code q mod wq ≥ ow}.
     */
    void set(
            float[] packed,
            int g,
            MemorySegment b,
            long bOff,
            long bRow,
            long bPanel,
            boolean packTail,
            int n,
            int wq,
            int ow,
            MemorySegment y,
            long yBase,
            long yChannel,
            MemorySegment bias,
            long biasOff,
            ConvActivation act,
            float lo,
            float hi) {
        this.a = packed;
        this.aBase = g * tiles * MR * k;
        if (NativeTile.FMA != null && packed != mirrored) {
            // Packed once per model (or per call where the weights change, see weightsRepacked).
            aNative = NativeTile.mirror(packed, packed.length, aNative);
            mirrored = packed;
        }
        this.b = b;
        this.bOff = bOff;
        this.bRow = bRow;
        this.bPanel = bPanel;
        this.packTail = packTail && n % NR != 0;
        this.n = n;
        this.wq = wq;
        this.ow = ow;
        this.y = y;
        this.yBase = yBase;
        this.yChannel = yChannel;
        this.bias = bias;
        this.biasOff = biasOff;
        this.act = act;
        this.lo = lo;
        this.hi = hi;
    }

    /** Runs the GEMM set by {@link #set}, panels split across {@code par}'s threads. */
    void run(Parallelism par) {
        int panels = (n + NR - 1) / NR;
        long macs = (long) tiles * MR * k * n;
        if (par == null || par.threads() == 1 || macs < PARALLEL_MIN_MACS || panels < 2) {
            run(0, panels);
        } else {
            par.forRange(0, panels, 1, this);
        }
    }

    /**
     * The packed weights were rewritten in place (a conv whose weights change between calls): the
     * next {@link #set} copies them to native memory again.
     */
    void weightsRepacked() {
        mirrored = null;
    }

    /** Drops the call's segments so a finished model does not keep them reachable. */
    void clear() {
        this.b = null;
        this.y = null;
        this.bias = null;
    }

    @Override
    public void run(int from, int to) {
        Scratch sc = SCRATCH.get();
        MemorySegment acc = sc.tiles((long) tiles * MR * TILE_ROW);
        for (int t0 = 0; t0 < tiles; t0 += blockTiles) {
            run(from, to, t0, Math.min(tiles, t0 + blockTiles), sc, acc);
        }
    }

    /**
     * Tiles per block of A: as many as fit {@link #A_BLOCK_BYTES}, at least one. A conv with more
     * weights than that runs block by block, every panel once per block, so the block stays in
     * cache while the panels go by and only B (the band, a few MB) is read again per block.
     */
    int blockTiles() {
        return blockTiles;
    }

    /** Panels {@code [from, to)} against A's tiles {@code [t0, t1)}: their rows of y are finished. */
    private void run(int from, int to, int t0, int t1, Scratch sc, MemorySegment acc) {
        for (int p = from; p < to; p++) {
            int q0 = p * NR;
            int cols = Math.min(NR, n - q0);
            MemorySegment bs = b;
            long bo = bOff + p * bPanel;
            long row = bRow;
            boolean tail = packTail && cols < NR;
            if (tail) {
                bs = sc.tail((long) k * TILE_ROW);
                packTail(bs, bo, cols);
                bo = 0;
                row = TILE_ROW;
            }
            for (int sgi = 0; sgi < segK.length; sgi++) {
                int kc = segLen[sgi];
                long bk = bo + (tail ? segK[sgi] * TILE_ROW : segB[sgi]);
                boolean accumulate = sgi > 0;
                int even = kc & ~1;
                if (NativeTile.applies(bs, acc, null)) {
                    // Every tile of the block in one machine-code call (the tiles are full: packed
                    // A and the scratch have MR rows per tile), A read where pack put it, the next
                    // panel's B prefetched while the first tile runs.
                    NativeTile.runPackedTiles(
                            t1 - t0,
                            aNative.address() + 4L * (aBase + (long) t0 * MR * k + segK[sgi] * MR),
                            4L * MR * k,
                            kc,
                            bs,
                            bk,
                            row,
                            tail ? 0 : bPanel,
                            acc,
                            t0 * MR * TILE_ROW,
                            TILE_ROW,
                            accumulate);
                    continue;
                }
                for (int t = t0; t < t1; t++) {
                    int ao = aBase + t * MR * k + segK[sgi] * MR;
                    long co = t * MR * TILE_ROW;
                    SgemmMicroKernels.kernel8(even, a, ao, bs, bk, row, acc, co, TILE_ROW, accumulate, null, 0);
                    if (even < kc) {
                        SgemmMicroKernels.addRank1(a, ao + even * MR, bs, bk + even * row, acc, co, TILE_ROW);
                    }
                }
            }
            epilogue(acc, q0, cols, t0 * MR, Math.min(mg, t1 * MR));
        }
    }

    /** B's columns {@code [q0, q0 + cols)} of every k row, zero-padded to a full panel. */
    private void packTail(MemorySegment dst, long from, int cols) {
        for (int kk = 0; kk < k; kk++) {
            long d = kk * TILE_ROW;
            MemorySegment.copy(b, from + kk * bRow, dst, d, (long) cols * Float.BYTES);
            for (int j = cols; j < NR; j++) {
                dst.set(F32, d + (long) j * Float.BYTES, 0f);
            }
        }
    }

    /**
     * Copies rows {@code [m0, m1)} of the finished tiles of panel columns {@code [q0, q0 + cols)} to
     * y with bias and activation.
     */
    private void epilogue(MemorySegment acc, int q0, int cols, int m0, int m1) {
        int end = q0 + cols;
        for (int m = m0; m < m1; m++) {
            float bv = bias == null ? 0f : bias.get(F32, biasOff + (long) m * Float.BYTES);
            long src = (long) m * TILE_ROW; // tile m / MR, row m % MR: rows of all tiles are consecutive
            long plane = yBase + m * yChannel;
            for (int q = q0; q < end; ) {
                int col = q % wq;
                int run = Math.min(end - q, wq - col);
                int valid = Math.min(run, ow - col);
                if (valid > 0) {
                    long pixel = (long) (q / wq) * ow + col;
                    ConvRowEpilogue.biasActivateCopy(
                            acc,
                            src + (long) (q - q0) * Float.BYTES,
                            y,
                            plane + pixel * Float.BYTES,
                            valid,
                            bv,
                            act,
                            lo,
                            hi);
                }
                q += run;
            }
        }
    }

    /** Per-thread accumulator tiles and tail panel, grown on first use and then reused. */
    private static final class Scratch {
        private MemorySegment tiles = MemorySegment.NULL;
        private MemorySegment tail = MemorySegment.NULL;

        MemorySegment tiles(long bytes) {
            if (tiles.byteSize() < bytes) {
                tiles = Arena.ofAuto().allocate(bytes, 64);
            }
            return tiles;
        }

        MemorySegment tail(long bytes) {
            if (tail.byteSize() < bytes) {
                tail = Arena.ofAuto().allocate(bytes, 64);
            }
            return tail;
        }
    }
}
