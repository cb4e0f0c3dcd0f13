package fsc.runtime.kernels;

import fsc.runtime.Parallelism;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A KH×KW convolution as an implicit GEMM over a zero-padded, phase-split band of input rows, for
 * convs with enough channels per group ({@link #applies}): the detector's 96→24 3×3 convs at 80×80,
 * most of its time. im2col copies every input float once per tap (9× for 3×3) before the GEMM;
 * here each input float is copied about once and the GEMM reads the copy in place.
 *
 * <p>The trick (the "padded-width" implicit GEMM of direct-convolution kernels): lay a channel's
 * zero-padded input out with row pitch {@code wq} and number output pixel {@code (oy, ox)} as
 * column {@code q = oy·wq + ox}. For stride 1, tap {@code (ky, kx)} of output column {@code q}
 * reads padded input float {@code q + ky·wq + kx}: for a fixed tap every column is the same shift
 * of the plane, so a panel of {@link Sgemm#panelWidth()} columns is a contiguous run, and across
 * channels the runs are one plane apart: exactly the B operand {@link ConvGemm} reads in place,
 * one k segment per tap, weights packed tap-major. Columns with {@code ox ≥ outW} are padding; the
 * GEMM's epilogue drops them ({@code wq − outW} of every {@code wq}, 2.4 % at 80 wide). For stride
 * {@code s} the input is split into {@code sh·sw} phase planes ({@code plane(py, px)[i][j] =
 * xpad[i·sh + py][j·sw + px]}), and tap {@code (ry, rx) = (ky·dh, kx·dw)} reads phase {@code (ry
 * mod sh, rx mod sw)} shifted by {@code (ry / sh, rx / sw)}: again one shift per tap.
 *
 * <p>The planes hold a band of {@code rows} output rows at a time (plus the rows the kernel reaches
 * below them), sized to about {@value #BAND_BYTES} bytes so the band stays in L2 while the GEMM
 * reads it once per tap. Layout {@code [phase][channel][row][wq]}; channel {@code c} of a tap's
 * segment is {@code planeBytes} after channel {@code c − 1}. The buffer ends with slack that the
 * last panel's padding columns may read.
 */
final class ConvBand implements Parallelism.IntRangeBody {
    /** Target size of one band of planes: well inside L2 (2 MB per core on the CPUs measured). */
    private static final long BAND_BYTES = 384L << 10;

    private static final int NR = Sgemm.NR;

    /** Fewest GEMM columns a band may have: sixteen panels. */
    static final int MIN_BAND_COLUMNS = 16 * NR;

    private final ConvShape s;
    private final int wq;
    private final int ext;
    private final int rows;
    private final int bandRows;
    private final long planeBytes;
    private final int planes;
    private final MemorySegment buf;
    final ConvGemm gemm;

    // The running call, read by run(from, to).
    private MemorySegment x;
    private long xChannel0;
    private int oy0;
    private int rowsNow;

    /**
     * Whether the implicit GEMM beats im2col for {@code s}: a real (not depthwise, not pointwise)
     * conv with at least 8 channels per group, so each tap's segment keeps {@link
     * SgemmMicroKernels#kernel8} busy for more than its accumulator loads and stores, and no more than
     * a quarter of the columns are padding (the 3-channel stems and narrow late layers keep im2col).
     */
    static boolean applies(ConvShape s) {
        if (s.isDepthwise() || s.isPointwise() || s.groupChannels() < 8) {
            return false;
        }
        return 4L * s.outW() >= 3L * pitch(s);
    }

    /** The planes' row pitch: the output width plus the columns the kernel reaches past it. */
    static int pitch(ConvShape s) {
        return s.outW() + (s.kernelW() - 1) * s.dilationW() / s.strideW();
    }

    ConvBand(ConvShape s) {
        this.s = s;
        this.wq = pitch(s);
        this.ext = (s.kernelH() - 1) * s.dilationH() / s.strideH();
        this.planes = s.strideH() * s.strideW() * s.groupChannels();
        this.rows = bandRows(s, (long) planes * wq * Float.BYTES, wq, ext);
        this.bandRows = rows + ext;
        this.planeBytes = (long) bandRows * wq * Float.BYTES;
        long slack = ((long) s.kernelW() * s.dilationW() + NR) * Float.BYTES;
        // Arena.ofAuto: shared, so the pool's workers may fill it; zeroed, so the slack reads zeros.
        this.buf = Arena.ofAuto().allocate(planes * planeBytes + slack, 64);
        this.gemm = new ConvGemm(s.groupFilters(), s.columnRows(), segK(), segLen(), segB());
    }

    int bandRows() {
        return rows;
    }

    /**
     * Output rows per band: as many as fit {@value #BAND_BYTES} bytes of planes, but at least
     * {@link #MIN_BAND_COLUMNS} GEMM columns, then spread evenly over the bands. Many channels on a
     * small plane (ISNet's 1024 channels at 32×32: 139 KB a row) fit one row or none: a band of one
     * 34-column row fills 34 of its two panels' 64 columns and streams every weight once per band,
     * 42 GFLOP/s where 16-row bands reach the kernel's rate (`Conv2dBench wide`). A band past L2 costs
     * less: each panel's segment is read once from L3 and reused by every tile.
     */
    static int bandRows(ConvShape s, long rowBytes, int wq, int ext) {
        int byBytes = (int) Math.max(1, Math.min(s.outH(), BAND_BYTES / rowBytes - ext));
        int byColumns = (MIN_BAND_COLUMNS + wq - 1) / wq;
        int rows = Math.min(s.outH(), Math.max(byBytes, byColumns));
        int bands = (s.outH() + rows - 1) / rows;
        return (s.outH() + bands - 1) / bands;
    }

    /** k segments, tap-major: tap (ky, kx)'s channels in runs of at most {@link ConvGemm#KC}. */
    private int segments() {
        int per = (s.groupChannels() + ConvGemm.KC - 1) / ConvGemm.KC;
        return s.kernelH() * s.kernelW() * per;
    }

    private int[] segK() {
        int[] out = new int[segments()];
        int i = 0;
        int cg = s.groupChannels();
        for (int tap = 0; tap < s.kernelH() * s.kernelW(); tap++) {
            for (int c0 = 0; c0 < cg; c0 += ConvGemm.KC) {
                out[i++] = tap * cg + c0;
            }
        }
        return out;
    }

    private int[] segLen() {
        int[] out = new int[segments()];
        int i = 0;
        int cg = s.groupChannels();
        for (int tap = 0; tap < s.kernelH() * s.kernelW(); tap++) {
            for (int c0 = 0; c0 < cg; c0 += ConvGemm.KC) {
                out[i++] = Math.min(ConvGemm.KC, cg - c0);
            }
        }
        return out;
    }

    private long[] segB() {
        long[] out = new long[segments()];
        int i = 0;
        int cg = s.groupChannels();
        for (int ky = 0; ky < s.kernelH(); ky++) {
            for (int kx = 0; kx < s.kernelW(); kx++) {
                int ry = ky * s.dilationH();
                int rx = kx * s.dilationW();
                int phase = ry % s.strideH() * s.strideW() + rx % s.strideW();
                long tapOff =
                        phase * cg * planeBytes + ((long) (ry / s.strideH()) * wq + rx / s.strideW()) * Float.BYTES;
                for (int c0 = 0; c0 < cg; c0 += ConvGemm.KC) {
                    out[i++] = tapOff + c0 * planeBytes;
                }
            }
        }
        return out;
    }

    /**
     * Group {@code g} of image {@code n}: band by band, fill the planes (split across threads by
     * plane), then the GEMM with its epilogue into y.
     */
    /** The packed weights were rewritten in place (see {@link ConvGemm#weightsRepacked}). */
    void weightsRepacked() {
        gemm.weightsRepacked();
    }

    void run(
            int n,
            int g,
            float[] packed,
            MemorySegment x,
            long xOff,
            MemorySegment y,
            long yOff,
            MemorySegment bias,
            long bOff,
            ConvActivation act,
            float lo,
            float hi,
            Parallelism par) {
        int cg = s.groupChannels();
        int mg = s.groupFilters();
        this.x = x;
        this.xChannel0 = xOff + ((long) n * s.channels() + (long) g * cg) * s.inPixels() * Float.BYTES;
        long yGroup = yOff + ((long) n * s.filters() + (long) g * mg) * s.outPixels() * Float.BYTES;
        try {
            for (int r0 = 0; r0 < s.outH(); r0 += rows) {
                oy0 = r0;
                rowsNow = Math.min(rows, s.outH() - r0);
                long floats = (long) planes * (rowsNow + ext) * wq;
                if (par == null || par.threads() == 1 || floats < (1 << 14)) {
                    run(0, planes);
                } else {
                    par.forRange(0, planes, 1, this);
                }
                gemm.set(
                        packed,
                        g,
                        buf,
                        0,
                        planeBytes,
                        (long) NR * Float.BYTES,
                        false,
                        rowsNow * wq,
                        wq,
                        s.outW(),
                        y,
                        yGroup + (long) r0 * s.outW() * Float.BYTES,
                        (long) s.outPixels() * Float.BYTES,
                        bias,
                        bias == null ? 0 : bOff + (long) g * mg * Float.BYTES,
                        act,
                        lo,
                        hi);
                gemm.run(par);
            }
        } finally {
            this.x = null;
            gemm.clear();
        }
    }

    /** Fills planes {@code [from, to)} of the current band: plane {@code (py·sw + px)·Cg + c}. */
    @Override
    public void run(int from, int to) {
        int cg = s.groupChannels();
        int sw = s.strideW();
        int width = s.width();
        // Plane columns j whose input column j·sw + px − padLeft lies in [0, width), per phase px.
        for (int pl = from; pl < to; pl++) {
            int phase = pl / cg;
            int c = pl % cg;
            int py = phase / sw;
            int px = phase % sw;
            long src = xChannel0 + (long) c * s.inPixels() * Float.BYTES;
            long dst = pl * planeBytes;
            int shift = s.padLeft() - px; // input column of plane column j is j·sw − shift
            int first = shift <= 0 ? 0 : Math.min(wq, (shift + sw - 1) / sw);
            int last = width - 1 + shift < 0 ? 0 : Math.min(wq, (width - 1 + shift) / sw + 1);
            last = Math.max(last, first);
            for (int i = 0; i < rowsNow + ext; i++) {
                long row = dst + (long) i * wq * Float.BYTES;
                int iy = (oy0 + i) * s.strideH() + py - s.padTop();
                if (iy < 0 || iy >= s.height()) {
                    ConvCopy.zero(buf, row, wq);
                    continue;
                }
                ConvCopy.zero(buf, row, first);
                long in = src + ((long) iy * width + (long) first * sw - shift) * Float.BYTES;
                long out = row + (long) first * Float.BYTES;
                int count = last - first;
                if (sw == 1) {
                    ConvCopy.copy(x, in, buf, out, count);
                } else if (sw == 2) {
                    ConvCopy.copyStride2(x, in, buf, out, count);
                } else {
                    ConvCopy.copyStrided(x, in, sw, buf, out, count);
                }
                ConvCopy.zero(buf, row + (long) last * Float.BYTES, wq - last);
            }
        }
    }
}
