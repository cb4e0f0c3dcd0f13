package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.RCX;
import static fsc.runtime.x86.Assembler.RDI;
import static fsc.runtime.x86.Assembler.RDX;
import static fsc.runtime.x86.Assembler.RSI;

import fsc.runtime.x86.Assembler.Mem;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * ONNX DynamicQuantizeLinear's two passes over whole 16-float vectors, in machine code: {@code
 * f32_range__avx512} (lane-wise min and max) and {@code f32_qu8__avx512} ({@code y = saturate(round(x
 * / scale) + zp)}, the division and the round-half-even trick {@code (v + 1.5·2^23) - 1.5·2^23} as
 * the Vector API form computes them, so the bytes are the same). Why: the Vector API form copies
 * each run to a heap row and back (five passes over memory, and its f32→i32→byte conversions are
 * several instructions each); this is two passes, one {@code vpmovusdb} per 16 outputs.
 *
 * <p>x86's min/max return the second operand when one is NaN, where Java's propagate NaN: a NaN
 * input can give another range than the Vector API form; ONNX does not define the result then.
 *
 * <p>Parameter block (longs): {@link #X}, {@link #Y}, {@link #VECTORS}, {@link #CONSTS} (four f32:
 * scale, zero point, 1.5·2^23, 255), {@link #OUT} (32 f32: the min lanes, then the max lanes).
 */
public final class QuantizeKernels {
    public static final int X = 0, Y = 1, VECTORS = 2, CONSTS = 3, OUT = 4;
    /** Longs in a parameter block. */
    public static final int PARAMS = 5;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    private final MethodHandle range = ExecutableMemory.link(rangeCode(), SIGNATURE);
    private final MethodHandle quantize = ExecutableMemory.link(quantizeCode(), SIGNATURE);

    private QuantizeKernels() {}

    /** The kernels when this CPU has AVX-512 and native kernels are on, else {@code null}. */
    public static QuantizeKernels loadIfSupported() {
        return CpuFeatures.avx512() ? CpuFeatures.loadOrNull("quantize", QuantizeKernels::new) : null;
    }

    /** Lane-wise min and max of {@code VECTORS} (at least 1) vectors at X into OUT. */
    public void range(long params) {
        ExecutableMemory.call(range, params);
    }

    /** Quantizes {@code VECTORS} vectors at X to bytes at Y with CONSTS. */
    public void quantize(long params) {
        ExecutableMemory.call(quantize, params);
    }

    static byte[] rangeCode() {
        Assembler x = new Assembler();
        int loop = x.newLabel();
        int done = x.newLabel();
        x.movLoad(RSI, param(X));
        x.movLoad(RCX, param(VECTORS));
        x.movLoad(RDX, param(OUT));
        x.vmovupsLoad(0, Mem.at(RSI, 0));
        x.vmovupsLoad(1, Mem.at(RSI, 0));
        x.add(RSI, 64);
        x.dec(RCX);
        x.jz(done);
        x.bind(loop);
        x.vminps(0, 0, Mem.at(RSI, 0));
        x.vmaxps(1, 1, Mem.at(RSI, 0));
        x.add(RSI, 64);
        x.dec(RCX);
        x.jnz(loop);
        x.bind(done);
        x.vmovdqu32Store(Mem.at(RDX, 0), 0);
        x.vmovdqu32Store(Mem.at(RDX, 64), 1);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    static byte[] quantizeCode() {
        Assembler x = new Assembler();
        int loop = x.newLabel();
        int done = x.newLabel();
        x.movLoad(RSI, param(X));
        x.movLoad(RDX, param(Y));
        x.movLoad(RCX, param(VECTORS));
        x.movLoad(RDI, param(CONSTS)); // the block is not read again
        x.vbroadcastss(16, Mem.at(RDI, 0)); // scale
        x.vbroadcastss(17, Mem.at(RDI, 4)); // zero point
        x.vbroadcastss(18, Mem.at(RDI, 8)); // 1.5 · 2^23
        x.vbroadcastss(19, Mem.at(RDI, 12)); // 255
        x.vpxord(20, 20, 20); // 0
        x.test(RCX);
        x.jz(done);
        x.bind(loop);
        x.vmovupsLoad(0, Mem.at(RSI, 0));
        x.vdivps(0, 0, 16);
        x.vaddps(0, 0, 18);
        x.vsubps(0, 0, 18);
        x.vaddps(0, 0, 17);
        x.vmaxps(0, 0, 20);
        x.vminps(0, 0, 19);
        x.vcvttps2dq(0, 0);
        x.vpmovusdbStore(Mem.at(RDX, 0), 0);
        x.add(RSI, 64);
        x.add(RDX, 16);
        x.dec(RCX);
        x.jnz(loop);
        x.bind(done);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }
}
