package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A 2-D f32 convolution of fixed geometry ({@link ConvShape}), {@code y = act(conv(x, w) + bias)}
 * on {@code NCHW} tensors, one instance per conv node (the generated model makes it once, at
 * construction). Four kernels, chosen by shape as in XNNPACK and ONNX Runtime's MLAS:
 *
 * <ul>
 *   <li><b>depthwise</b> (one filter per channel): {@link DepthwiseConv2d}, channels split across
 *       threads, bias and activation applied while the plane is in L1;
 *   <li><b>pointwise</b> (1x1, stride 1, no pads): the GEMM {@code y_g[Mg, HW] = w_g[Mg, Cg] ·
 *       x_g[Cg, HW]} reading the input rows in place, no copy;
 *   <li><b>band</b> (KH×KW with at least 8 channels per group): {@link ConvBand}'s implicit GEMM
 *       over a zero-padded, phase-split copy of the input, made once per band of output rows;
 *   <li><b>im2col</b> (the rest: the 3-channel stems, narrow late layers, odd strides): im2col
 *       (Chellapilla et al., 2006) of one image and group, one block of output pixels at a time (as
 *       MLAS does), written straight in {@link Sgemm}'s packed-panel layout ({@link
 *       Sgemm#panelWidth()} pixels per panel, {@code K = Cg·KH·KW} rows of them contiguous) into a
 *       buffer of about {@value #BLOCK_BYTES} bytes allocated here once, rows split across threads;
 *       then the GEMM on that block's output columns. The block stays in L2 between the copy and
 *       the GEMM.
 * </ul>
 *
 * The band GEMM, and pointwise/im2col GEMMs with K of at least {@link #CONV_GEMM_MIN_K}, run on
 * {@link ConvGemm} (shorter ones keep {@link Sgemm} and a bias/activation pass per row): the
 * weights packed once into the micro-kernel's layout (at the first call when they are the model's
 * constants, {@code constantWeights}; on every call otherwise, into the same buffer), and the bias
 * and activation applied as each output tile is copied out of the accumulators, while it is in L1.
 *
 * <p>Offsets are in bytes. Not safe for concurrent calls: a call keeps its operands in fields so the
 * parallel bodies allocate nothing (a model instance runs one call at a time).
 */
public final class Conv2d implements Parallelism.IntRangeBody {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Below this many multiply-adds or floats moved a phase runs on the calling thread: waking the
     * pool costs more than it saves (the late MobileNet layers are a few thousand floats).
     */
    private static final long PARALLEL_MIN_WORK = 1L << 14;

    /** Which kernel a shape runs. */
    enum Kind {
        DEPTHWISE,
        POINTWISE,
        BAND,
        IM2COL
    }

    private enum Phase {
        DEPTHWISE,
        IM2COL,
        EPILOGUE
    }

    /**
     * Below this K a pointwise or im2col conv keeps {@link Sgemm} (weights packed per call, then one
     * bias/activation pass per output row): {@link ConvGemm}'s copy-out is one call per output
     * channel per panel, which outweighs a short K's multiply-adds (`Conv2dBench pointwise`: 2.1×
     * slower at K = 16, 1.2× at 96, 0.83× at 576).
     */
    static final int CONV_GEMM_MIN_K = 256;

    private static final int NR = Sgemm.panelWidth();

    /** Target size of one block of packed columns: well inside L2 (2 MB on the CPUs measured). */
    private static final long BLOCK_BYTES = 1L << 20;

    private final ConvShape s;
    private final Kind kind;
    private final boolean constantWeights;
    /** The weights in {@link ConvGemm}'s layout (empty for depthwise). */
    private final float[] packed;
    /** Whether {@link #packed} holds the constant weights already. */
    private boolean packedOnce;
    /** The GEMM driver of the pointwise and im2col kernels (null otherwise). */
    private final ConvGemm gemm;

    private final ConvBand band;
    /** Whether the pointwise or im2col GEMM runs on {@link Sgemm} (a short K). */
    private final boolean viaSgemm;
    /** The packed column buffer; its last panel's lanes past the output pixels stay zero. */
    private final MemorySegment cols;

    // The running call, read by run(from, to) on every thread.
    private Phase phase;
    private MemorySegment x;
    private long xOff;
    private MemorySegment w;
    private long wOff;
    private MemorySegment bias;
    private long bOff;
    private MemorySegment y;
    private long yOff;
    private ConvActivation act;
    private float lo;
    private float hi;
    private int image;
    private int grp;
    private int blockFrom;
    private int blockTo;

    /** A conv whose weights may differ from call to call (packed on every call). */
    public Conv2d(ConvShape s) {
        this(s, false);
    }

    /**
     * A conv; with {@code constantWeights} every call passes the same weights (a model's
     * initializer), so they are packed at the first call only.
     */
    public Conv2d(ConvShape s, boolean constantWeights) {
        this(s, constantWeights, kindOf(s));
    }

    /**
     * A conv run by the given kernel rather than the one its shape picks (tests and benchmarks
     * compare the GEMM kernels on one shape): any GEMM kernel runs any non-depthwise shape but a
     * pointwise one only a pointwise shape.
     */
    Conv2d(ConvShape s, boolean constantWeights, Kind kind) {
        boolean ok =
                switch (kind) {
                    case DEPTHWISE -> s.isDepthwise();
                    case POINTWISE -> s.isPointwise();
                    case BAND, IM2COL -> true;
                };
        if (!ok) {
            throw new IllegalArgumentException(kind + " cannot run " + s);
        }
        this.s = s;
        this.constantWeights = constantWeights;
        this.kind = kind;
        int k = s.columnRows();
        int mg = s.groupFilters();
        this.viaSgemm = (kind == Kind.POINTWISE || kind == Kind.IM2COL) && k < CONV_GEMM_MIN_K;
        this.packed =
                kind == Kind.DEPTHWISE || viaSgemm ? new float[0] : new float[ConvGemm.packedFloats(s.group(), mg, k)];
        this.band = kind == Kind.BAND ? new ConvBand(s) : null;
        this.gemm = viaSgemm
                ? null
                : switch (kind) {
                    case POINTWISE -> ConvGemm.linear(mg, k, (long) s.inPixels() * Float.BYTES);
                    case IM2COL -> ConvGemm.linear(mg, k, (long) NR * Float.BYTES);
                    case DEPTHWISE, BAND -> null;
                };
        // Arena.ofAuto: shared, so the pool's workers may fill it.
        this.cols = kind == Kind.IM2COL
                ? Arena.ofAuto().allocate(Sgemm.packedBytes(k, blockPixels(s)), 64)
                : MemorySegment.NULL;
    }

    static Kind kindOf(ConvShape s) {
        if (s.isDepthwise()) {
            return Kind.DEPTHWISE;
        }
        if (s.isPointwise()) {
            return Kind.POINTWISE;
        }
        return ConvBand.applies(s) ? Kind.BAND : Kind.IM2COL;
    }

    Kind kind() {
        return kind;
    }

    /** Output pixels per packed block: a multiple of the panel width, about {@link #BLOCK_BYTES}. */
    static int blockPixels(ConvShape s) {
        long fit = BLOCK_BYTES / ((long) s.columnRows() * Float.BYTES) / NR * NR;
        long all = ((long) s.outPixels() + NR - 1) / NR * NR;
        return (int) Math.max(NR, Math.min(fit, all));
    }

    public ConvShape shape() {
        return s;
    }

    /**
     * {@code y = act(conv(x, w) + bias)} for {@code batch} images; {@code bias} may be null. {@code
     * lo} and {@code hi} are the bounds of {@link ConvActivation#CLIP} (ignored otherwise).
     */
    public void run(
            int batch,
            MemorySegment x,
            long xOff,
            MemorySegment w,
            long wOff,
            MemorySegment bias,
            long bOff,
            MemorySegment y,
            long yOff,
            ConvActivation act,
            float lo,
            float hi,
            Parallelism par) {
        this.x = x;
        this.xOff = xOff;
        this.w = w;
        this.wOff = wOff;
        this.bias = bias;
        this.bOff = bOff;
        this.y = y;
        this.yOff = yOff;
        this.act = act;
        this.lo = lo;
        this.hi = hi;
        try {
            if (kind == Kind.DEPTHWISE) {
                long work = (long) batch * s.channels() * s.outPixels() * s.kernelH() * s.kernelW();
                forRange(par, Phase.DEPTHWISE, batch * s.channels(), work);
                return;
            }
            if (!packedOnce && !viaSgemm) {
                ConvGemm.pack(w, wOff, s, kind == Kind.BAND, packed);
                packedOnce = constantWeights;
                // New weights in the same array: the machine-code tile's native copy is stale.
                if (gemm != null) {
                    gemm.weightsRepacked();
                }
                if (band != null) {
                    band.weightsRepacked();
                }
            }
            int cg = s.groupChannels();
            int mg = s.groupFilters();
            int p = s.outPixels();
            int k = s.columnRows();
            long plane = (long) p * Float.BYTES;
            for (int n = 0; n < batch; n++) {
                for (int g = 0; g < s.group(); g++) {
                    long yo = yOff + ((long) n * s.filters() + (long) g * mg) * plane;
                    long bo = bias == null ? 0 : bOff + (long) g * mg * Float.BYTES;
                    long wo = wOff + (long) g * mg * k * Float.BYTES;
                    switch (kind) {
                        case POINTWISE -> {
                            long xo = xOff + ((long) n * s.channels() + (long) g * cg) * s.inPixels() * Float.BYTES;
                            if (viaSgemm) {
                                Sgemm.gemm(mg, p, k, w, wo, k, false, x, xo, p, false, y, yo, p, 1f, false, par);
                                continue;
                            }
                            gemm.set(
                                    packed,
                                    g,
                                    x,
                                    xo,
                                    plane,
                                    (long) NR * Float.BYTES,
                                    true,
                                    p,
                                    p,
                                    p,
                                    y,
                                    yo,
                                    plane,
                                    bias,
                                    bo,
                                    act,
                                    lo,
                                    hi);
                            gemm.run(par);
                        }
                        case BAND -> band.run(n, g, packed, x, xOff, y, yOff, bias, bOff, act, lo, hi, par);
                        case IM2COL -> {
                            image = n;
                            grp = g;
                            int block = blockPixels(s);
                            for (int j = 0; j < p; j += block) {
                                blockFrom = j;
                                blockTo = Math.min(p, j + block);
                                int nb = blockTo - j;
                                forRange(par, Phase.IM2COL, k, (long) k * nb);
                                if (viaSgemm) {
                                    Sgemm.gemmPacked(
                                            mg,
                                            nb,
                                            k,
                                            w,
                                            wo,
                                            k,
                                            cols,
                                            0,
                                            y,
                                            yo + (long) j * Float.BYTES,
                                            p,
                                            false,
                                            par);
                                    continue;
                                }
                                gemm.set(
                                        packed,
                                        g,
                                        cols,
                                        0,
                                        (long) NR * Float.BYTES,
                                        (long) k * NR * Float.BYTES,
                                        false,
                                        nb,
                                        nb,
                                        nb,
                                        y,
                                        yo + (long) j * Float.BYTES,
                                        plane,
                                        bias,
                                        bo,
                                        act,
                                        lo,
                                        hi);
                                gemm.run(par);
                            }
                        }
                        case DEPTHWISE -> throw new IllegalStateException("depthwise conv reached the GEMM path");
                    }
                }
            }
            if (viaSgemm && (bias != null || act != ConvActivation.NONE)) {
                forRange(par, Phase.EPILOGUE, batch * s.filters(), (long) batch * s.filters() * p);
            }
        } finally {
            this.x = null;
            this.w = null;
            this.bias = null;
            this.y = null;
            if (gemm != null) {
                gemm.clear();
            }
        }
    }

    private void forRange(Parallelism par, Phase ph, int end, long work) {
        this.phase = ph;
        if (par == null || work < PARALLEL_MIN_WORK) {
            run(0, end);
        } else {
            par.forRange(0, end, 1, this);
        }
    }

    @Override
    public void run(int from, int to) {
        switch (phase) {
            case DEPTHWISE -> {
                for (int i = from; i < to; i++) {
                    DepthwiseConv2d.channel(
                            s, i / s.channels(), i % s.channels(), x, xOff, w, wOff, bias, bOff, y, yOff, act, lo, hi);
                }
            }
            case IM2COL -> {
                for (int r = from; r < to; r++) {
                    im2colRow(r);
                }
            }
            case EPILOGUE -> {
                for (int r = from; r < to; r++) {
                    epilogueRow(r);
                }
            }
        }
    }

    /** Row {@code r = n·M + m} of a {@link Sgemm} result: add channel m's bias and apply the activation. */
    private void epilogueRow(int r) {
        int m = r % s.filters();
        float b = bias == null ? 0f : bias.get(F32, bOff + (long) m * 4);
        ConvRowEpilogue.biasActivate(y, yOff + (long) r * s.outPixels() * 4, s.outPixels(), b, act, lo, hi);
    }

    /**
     * Row {@code r = (c·KH + ky)·KW + kx} of the current block of the column matrix: for every
     * output pixel {@code j} of {@code [blockFrom, blockTo)}, the input that tap {@code (ky, kx)} of
     * channel {@code c} reads (zero in the pads), stored at lane {@code i mod NR} of row {@code r} of
     * panel {@code i / NR}, {@code i = j − blockFrom}. Each output row is a zero run, a valid run and
     * a zero run; each run is cut where it crosses a panel.
     */
    private void im2colRow(int r) {
        int taps = s.kernelH() * s.kernelW();
        int c = r / taps;
        int ky = r % taps / s.kernelW();
        int kx = r % s.kernelW();
        int ow = s.outW();
        int width = s.width();
        long src = xOff + ((long) image * s.channels() + (long) grp * s.groupChannels() + c) * s.inPixels() * 4;
        long panelBytes = (long) s.columnRows() * NR * 4;
        long rowInPanel = (long) r * NR * 4;
        int ix0 = kx * s.dilationW() - s.padLeft();
        int sw = s.strideW();
        // Output columns whose input column ox·sw + ix0 lies in [0, width).
        int first = ix0 >= 0 ? 0 : Math.min(ow, (-ix0 + sw - 1) / sw);
        int last = ix0 >= width ? 0 : Math.min(ow, (width - 1 - ix0) / sw + 1);
        last = Math.max(last, first);
        int j0 = blockFrom;
        int j1 = blockTo;
        for (int oy = j0 / ow; oy * ow < j1; oy++) {
            int rowStart = oy * ow;
            // This output row's columns inside the block, and their valid (non-pad) part.
            int a = Math.max(0, j0 - rowStart);
            int e = Math.min(ow, j1 - rowStart);
            int iy = oy * s.strideH() - s.padTop() + ky * s.dilationH();
            int va = Math.min(Math.max(first, a), e);
            int ve = Math.max(Math.min(last, e), va);
            if (iy < 0 || iy >= s.height()) {
                va = e;
                ve = e;
            }
            zeroRun(rowStart + a - j0, va - a, panelBytes, rowInPanel);
            long in = src + (long) iy * width * 4;
            for (int ox = va; ox < ve; ) {
                int i = rowStart + ox - j0;
                int lane = i % NR;
                int len = Math.min(ve - ox, NR - lane);
                long dst = (i / NR) * panelBytes + rowInPanel + (long) lane * 4;
                long from = in + (long) (ox * sw + ix0) * 4;
                if (sw == 1) {
                    ConvCopy.copy(x, from, cols, dst, len);
                } else if (sw == 2) {
                    ConvCopy.copyStride2(x, from, cols, dst, len);
                } else {
                    ConvCopy.copyStrided(x, from, sw, cols, dst, len);
                }
                ox += len;
            }
            zeroRun(rowStart + ve - j0, e - ve, panelBytes, rowInPanel);
        }
    }

    /** Zeros block pixels {@code [j, j + count)} of one column row, panel by panel. */
    private void zeroRun(int j, int count, long panelBytes, long rowInPanel) {
        int end = j + count;
        while (j < end) {
            int lane = j % NR;
            int len = Math.min(end - j, NR - lane);
            long dst = (j / NR) * panelBytes + rowInPanel + (long) lane * 4;
            ConvCopy.zero(cols, dst, len);
            j += len;
        }
    }
}
