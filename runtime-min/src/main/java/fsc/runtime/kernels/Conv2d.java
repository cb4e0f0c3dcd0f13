package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 2-D f32 convolution of fixed geometry ({@link ConvShape}), {@code y = act(conv(x, w) + bias)}
 * on {@code NCHW} tensors, one instance per conv node (the generated model makes it once, at
 * construction). Three kernels, chosen by shape as in XNNPACK and ONNX Runtime's MLAS:
 *
 * <ul>
 *   <li><b>depthwise</b> (one filter per channel): {@link DepthwiseConv2d}, channels split across
 *       threads, bias and activation applied in registers;
 *   <li><b>pointwise</b> (1x1, stride 1, no pads): the GEMM {@code y_g[Mg, HW] = w_g[Mg, Cg] ·
 *       x_g[Cg, HW]} straight on the input, no copy;
 *   <li><b>general</b>: im2col (Chellapilla et al., 2006) of one image and group, one block of
 *       output pixels at a time (as MLAS does), written straight in {@link Sgemm}'s packed-panel
 *       layout ({@link Sgemm#panelWidth()} pixels per panel, {@code K = Cg·KH·KW} rows of them
 *       contiguous) into a buffer of about {@value #BLOCK_BYTES} bytes allocated here once, rows
 *       split across threads; then {@link Sgemm#gemmPacked} on that block's output columns. The
 *       block stays in L2 between the copy and the GEMM (a whole 3×3 column matrix is 9× the input:
 *       22 MB for the detector's 96-channel 80×80 convs, and writing it to DRAM cost more than the
 *       GEMM), and the GEMM streams each panel linearly instead of reading {@code K} rows {@code
 *       4·H·W} bytes apart (which conflict in L1 and miss the TLB: 1.7× slower).
 * </ul>
 *
 * The GEMMs run on {@link Sgemm} (threads split its column panels); the bias and activation of a
 * GEMM result are applied in one vector pass per output row afterwards, rows split across threads.
 *
 * <p>Offsets are in bytes. Not safe for concurrent calls: a call keeps its operands in fields so the
 * parallel bodies allocate nothing (a model instance runs one call at a time).
 */
public final class Conv2d implements Parallelism.IntRangeBody {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int VL = S.length();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Below this many multiply-adds or floats moved a phase runs on the calling thread: waking the
     * pool costs more than it saves (the late MobileNet layers are a few thousand floats).
     */
    private static final long PARALLEL_MIN_WORK = 1L << 14;

    private enum Phase {
        DEPTHWISE,
        IM2COL,
        EPILOGUE
    }

    private static final int NR = Sgemm.panelWidth();

    /** Target size of one block of packed columns: well inside L2 (2 MB on the CPUs measured). */
    private static final long BLOCK_BYTES = 1L << 20;

    /** Lane i holds 2i: the even lanes of two concatenated vectors, for {@code selectFrom}. */
    private static final float[] EVEN_LANES = evenLanes();

    private final ConvShape s;
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

    public Conv2d(ConvShape s) {
        this.s = s;
        boolean im2col = !s.isDepthwise() && !s.isPointwise();
        // Arena.ofAuto: shared, so the pool's workers may fill it.
        this.cols = im2col
                ? Arena.ofAuto().allocate(Sgemm.packedBytes(s.columnRows(), blockPixels(s)), 64)
                : MemorySegment.NULL;
    }

    /** Output pixels per packed block: a multiple of the panel width, about {@link #BLOCK_BYTES}. */
    static int blockPixels(ConvShape s) {
        long fit = BLOCK_BYTES / ((long) s.columnRows() * Float.BYTES) / NR * NR;
        long all = ((long) s.outPixels() + NR - 1) / NR * NR;
        return (int) Math.max(NR, Math.min(fit, all));
    }

    private static float[] evenLanes() {
        float[] e = new float[VL];
        for (int i = 0; i < VL; i++) {
            e[i] = 2 * i;
        }
        return e;
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
            if (s.isDepthwise()) {
                long work = (long) batch * s.channels() * s.outPixels() * s.kernelH() * s.kernelW();
                forRange(par, Phase.DEPTHWISE, batch * s.channels(), work);
                return;
            }
            int cg = s.groupChannels();
            int mg = s.groupFilters();
            int p = s.outPixels();
            int k = s.columnRows();
            for (int n = 0; n < batch; n++) {
                for (int g = 0; g < s.group(); g++) {
                    long wo = wOff + (long) g * mg * k * 4;
                    long yo = yOff + ((long) n * s.filters() + (long) g * mg) * p * 4;
                    if (s.isPointwise()) {
                        long bo = xOff + ((long) n * s.channels() + (long) g * cg) * s.inPixels() * 4;
                        Sgemm.gemm(mg, p, k, w, wo, k, false, x, bo, p, false, y, yo, p, 1f, false, par);
                    } else {
                        image = n;
                        grp = g;
                        int block = blockPixels(s);
                        for (int j = 0; j < p; j += block) {
                            blockFrom = j;
                            blockTo = Math.min(p, j + block);
                            int nb = blockTo - j;
                            forRange(par, Phase.IM2COL, k, (long) k * nb);
                            Sgemm.gemmPacked(mg, nb, k, w, wo, k, cols, 0, y, yo + (long) j * 4, p, false, par);
                        }
                    }
                }
            }
            if (bias != null || act != ConvActivation.NONE) {
                forRange(par, Phase.EPILOGUE, batch * s.filters(), (long) batch * s.filters() * s.outPixels());
            }
        } finally {
            this.x = null;
            this.w = null;
            this.bias = null;
            this.y = null;
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
                    copyRun(from, dst, len);
                } else if (sw == 2) {
                    copyRunStride2(from, dst, len);
                } else {
                    for (int t = 0; t < len; t++) {
                        cols.set(F32, dst + (long) t * 4, x.get(F32, from + (long) t * sw * 4));
                    }
                }
                ox += len;
            }
            zeroRun(rowStart + ve - j0, e - ve, panelBytes, rowInPanel);
        }
    }

    /**
     * {@code count} contiguous floats of x into one panel row (never crosses a panel). Runs start
     * at any lane, so the tail is one masked vector, not a scalar loop (up to 15 floats per run).
     */
    private void copyRun(long from, long dst, int count) {
        int t = 0;
        for (; t + VL <= count; t += VL) {
            FloatVector.fromMemorySegment(S, x, from + (long) t * 4, ByteOrder.LITTLE_ENDIAN)
                    .intoMemorySegment(cols, dst + (long) t * 4, ByteOrder.LITTLE_ENDIAN);
        }
        if (t < count) {
            VectorMask<Float> m = S.indexInRange(t, count);
            FloatVector.fromMemorySegment(S, x, from + (long) t * 4, ByteOrder.LITTLE_ENDIAN, m)
                    .intoMemorySegment(cols, dst + (long) t * 4, ByteOrder.LITTLE_ENDIAN, m);
        }
    }

    /**
     * {@code count} floats of x at stride 2 (every other float from {@code from}) into one panel
     * row: each vector of outputs is the even lanes of two loaded vectors, picked by one two-source
     * permute ({@code selectFrom}, {@code vpermt2ps} on AVX-512) instead of a scalar load and store
     * per float (the stride-2 stems were the classifier's third most expensive conv). Loads never
     * reach past the last float the run reads: full vectors run while another output follows, and
     * the last one to {@code VL} outputs is masked.
     */
    private void copyRunStride2(long from, long dst, int count) {
        FloatVector even = FloatVector.fromArray(S, EVEN_LANES, 0);
        int t = 0;
        for (; t + VL < count; t += VL) {
            long f = from + 8L * t;
            FloatVector v0 = FloatVector.fromMemorySegment(S, x, f, ByteOrder.LITTLE_ENDIAN);
            FloatVector v1 = FloatVector.fromMemorySegment(S, x, f + VL * 4L, ByteOrder.LITTLE_ENDIAN);
            even.selectFrom(v0, v1).intoMemorySegment(cols, dst + t * 4L, ByteOrder.LITTLE_ENDIAN);
        }
        int need = 2 * (count - t) - 1;
        long f = from + 8L * t;
        FloatVector v0 = FloatVector.fromMemorySegment(S, x, f, ByteOrder.LITTLE_ENDIAN, S.indexInRange(0, need));
        FloatVector v1 =
                FloatVector.fromMemorySegment(S, x, f + VL * 4L, ByteOrder.LITTLE_ENDIAN, S.indexInRange(VL, need));
        even.selectFrom(v0, v1)
                .intoMemorySegment(cols, dst + t * 4L, ByteOrder.LITTLE_ENDIAN, S.indexInRange(0, count - t));
    }

    /** Zeros block pixels {@code [j, j + count)} of one column row, panel by panel. */
    private void zeroRun(int j, int count, long panelBytes, long rowInPanel) {
        FloatVector z = FloatVector.zero(S);
        int end = j + count;
        while (j < end) {
            int lane = j % NR;
            int len = Math.min(end - j, NR - lane);
            long dst = (j / NR) * panelBytes + rowInPanel + (long) lane * 4;
            int t = 0;
            for (; t + VL <= len; t += VL) {
                z.intoMemorySegment(cols, dst + (long) t * 4, ByteOrder.LITTLE_ENDIAN);
            }
            if (t < len) {
                z.intoMemorySegment(cols, dst + (long) t * 4, ByteOrder.LITTLE_ENDIAN, S.indexInRange(t, len));
            }
            j += len;
        }
    }

    /** Row {@code r = n·M + m} of the output: add channel m's bias and apply the activation, in place. */
    private void epilogueRow(int r) {
        int m = r % s.filters();
        float b = bias == null ? 0f : bias.get(F32, bOff + (long) m * 4);
        ConvRowEpilogue.biasActivate(y, yOff + (long) r * s.outPixels() * 4, s.outPixels(), b, act, lo, hi);
    }
}
