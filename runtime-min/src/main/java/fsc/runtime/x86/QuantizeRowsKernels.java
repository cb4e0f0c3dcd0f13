package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R10;
import static fsc.runtime.x86.Assembler.R11;
import static fsc.runtime.x86.Assembler.R8;
import static fsc.runtime.x86.Assembler.R9;
import static fsc.runtime.x86.Assembler.RAX;
import static fsc.runtime.x86.Assembler.RCX;
import static fsc.runtime.x86.Assembler.RDI;
import static fsc.runtime.x86.Assembler.RDX;
import static fsc.runtime.x86.Assembler.RSI;

import fsc.runtime.x86.Assembler.Mem;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code f32_qs8_rows__avx512}: the {@code quantize} pass's per-row symmetric s8 quantizer ({@code
 * Int8Quantize.rowsS8}) over rows of whole 16-float vectors, in machine code. Per row: the largest
 * |x| (after the optional SmoothQuant multiply by {@code inv}), {@code s = max(that, FLT_MIN) / 127},
 * then {@code q = round(x / s)} by the same division and round-half-even trick ({@code (v +
 * 1.5·2^23) - 1.5·2^23}) as the Vector API form, so the bytes and scales are the same. Why: the
 * Vector API form copies each row to a heap array and narrows f32→i32→byte in several instructions
 * per vector, ~1.5 cycles an element on Zen 4 (8% of a one-thread int8 MiniLM call); here a row is
 * read twice from L1 and each 16 outputs are one {@code vpmovsdb}.
 *
 * <p>x86's max returns the second operand when one is NaN, where Java's propagates NaN: a row with
 * a NaN gets another scale than the Vector API form gives it (neither is meaningful).
 *
 * <p>Parameter block (longs): {@link #X} (first row; rows are contiguous), {@link #Q} (bytes out,
 * rows contiguous), {@link #SCALES} (one f32 per row out), {@link #ROWS}, {@link #VECTORS} (16-float
 * vectors per row), {@link #INV} (the multiplier row, read only by the smoothing kernel), {@link
 * #CONSTS} (four 32-bit values: the abs mask 0x7fffffff, FLT_MIN, 127f, 1.5·2^23).
 */
public final class QuantizeRowsKernels {
    public static final int X = 0, Q = 1, SCALES = 2, ROWS = 3, VECTORS = 4, INV = 5, CONSTS = 6;
    /** Longs in a parameter block. */
    public static final int PARAMS = 7;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    private final MethodHandle plain = ExecutableMemory.link(code(false), SIGNATURE);
    private final MethodHandle smoothed = ExecutableMemory.link(code(true), SIGNATURE);

    private QuantizeRowsKernels() {}

    /** The kernels when this CPU has AVX-512 and native kernels are on, else {@code null}. */
    public static QuantizeRowsKernels loadIfSupported() {
        return CpuFeatures.avx512() ? CpuFeatures.loadOrNull("row quantize", QuantizeRowsKernels::new) : null;
    }

    /** Quantizes the rows the block at {@code params} describes; {@code smooth} multiplies by INV first. */
    public void run(long params, boolean smooth) {
        ExecutableMemory.call(smooth ? smoothed : plain, params);
    }

    static byte[] code(boolean smooth) {
        Assembler x = new Assembler();
        int rowLoop = x.newLabel();
        int rangeLoop = x.newLabel();
        int quantizeLoop = x.newLabel();
        int done = x.newLabel();
        x.movLoad(RSI, param(X));
        x.movLoad(RDX, param(Q));
        x.movLoad(R11, param(SCALES));
        x.movLoad(RCX, param(ROWS));
        x.movLoad(R8, param(VECTORS));
        x.movLoad(R9, param(INV));
        x.movLoad(RDI, param(CONSTS)); // the block is not read again; rdi walks INV below
        x.vbroadcastss(16, Mem.at(RDI, 0)); // abs mask
        x.vbroadcastss(17, Mem.at(RDI, 4)); // FLT_MIN
        x.vbroadcastss(18, Mem.at(RDI, 8)); // 127
        x.vbroadcastss(19, Mem.at(RDI, 12)); // 1.5 · 2^23
        x.test(RCX);
        x.jz(done);
        x.test(R8);
        x.jz(done);
        x.bind(rowLoop);
        // Pass 1: zmm0 = lane-wise max |x·inv| (from 0, as the Vector API form starts).
        x.vpxord(0, 0, 0);
        startRow(x);
        x.bind(rangeLoop);
        load(x, smooth);
        x.vpandd(1, 1, 16);
        x.vmaxps(0, 0, 1);
        x.add(RAX, 64);
        x.add(RDI, 64);
        x.dec(R10);
        x.jnz(rangeLoop);
        // Butterfly: every lane ends up with the row's max (max is exact, so the order does not matter).
        x.vshufi64x2(1, 0, 0, 0x4E);
        x.vmaxps(0, 0, 1);
        x.vshufi64x2(1, 0, 0, 0xB1);
        x.vmaxps(0, 0, 1);
        x.vpshufd(1, 0, 0x4E);
        x.vmaxps(0, 0, 1);
        x.vpshufd(1, 0, 0xB1);
        x.vmaxps(0, 0, 1);
        x.vmaxps(0, 0, 17);
        x.vdivps(0, 0, 18); // s in every lane
        x.vmovssStore(Mem.at(R11, 0), 0);
        x.add(R11, 4);
        // Pass 2: q = round(x·inv / s), the row still in L1.
        startRow(x);
        x.bind(quantizeLoop);
        load(x, smooth);
        x.vdivps(1, 1, 0);
        x.vaddps(1, 1, 19);
        x.vsubps(1, 1, 19);
        x.vcvttps2dq(1, 1);
        x.vpmovsdbStore(Mem.at(RDX, 0), 1);
        x.add(RAX, 64);
        x.add(RDI, 64);
        x.add(RDX, 16);
        x.dec(R10);
        x.jnz(quantizeLoop);
        x.mov(RSI, RAX); // the next row starts where this one ended
        x.dec(RCX);
        x.jnz(rowLoop);
        x.bind(done);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** rax and rdi at the row's first vector and INV's, r10 = vectors to go. */
    private static void startRow(Assembler x) {
        x.mov(RAX, RSI);
        x.mov(RDI, R9);
        x.mov(R10, R8);
    }

    /** zmm1 = the vector at rax, times the one at rdi when smoothing. */
    private static void load(Assembler x, boolean smooth) {
        x.vmovupsLoad(1, Mem.at(RAX, 0));
        if (smooth) {
            x.vmulps(1, 1, Mem.at(RDI, 0));
        }
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }
}
