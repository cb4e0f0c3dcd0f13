package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R10;
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
import java.util.List;

/**
 * {@code f32_gelu_rows__avx512}: exact GELU in place over rows of whole 16-float vectors, in machine
 * code, with {@link FmaGemmKernels}' GELU instruction chain (the operations of {@code
 * FloatMath.geluRows}, so the same bits). Why: the int8 GEMM's GELU
 * epilogue ({@code Int8Gemm.postRows}) was half of an FFN up-projection's time in the Vector API
 * form; here two independent chains run interleaved so both FMA ports stay busy, and the rows are
 * read through a raw address (no segment checks per vector).
 *
 * <p>Parameter block (longs): {@link #X} (address of the first row), {@link #ROWS}, {@link #PAIRS}
 * (pairs of vectors per row), {@link #SINGLE} (1 when a row has one more vector, else 0), {@link
 * #LDX} (bytes between rows), {@link #CONSTANTS} (the table {@link FmaGemmKernels#K_SQRT_HALF} and
 * the other {@code K_} slots describe).
 */
public final class GeluRowsKernels {
    public static final int X = 0, ROWS = 1, PAIRS = 2, SINGLE = 3, LDX = 4, CONSTANTS = 5;
    /** Longs in a parameter block. */
    public static final int PARAMS = 6;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    private final MethodHandle rows = ExecutableMemory.link(code(), SIGNATURE);

    private GeluRowsKernels() {}

    /** The kernel when this CPU has AVX-512 and native kernels are on, else {@code null}. */
    public static GeluRowsKernels loadIfSupported() {
        return CpuFeatures.avx512() ? CpuFeatures.loadOrNull("GELU rows", GeluRowsKernels::new) : null;
    }

    /** Runs GELU over the rows the block at {@code params} describes; the caller checked the bounds. */
    public void run(long params) {
        ExecutableMemory.call(rows, params);
    }

    static byte[] code() {
        Assembler x = new Assembler();
        int rowLoop = x.newLabel();
        int pairLoop = x.newLabel();
        int single = x.newLabel();
        int next = x.newLabel();
        int done = x.newLabel();
        x.movLoad(RDX, param(CONSTANTS)); // geluOps read the table at rdx
        x.movLoad(RSI, param(X));
        x.movLoad(RCX, param(ROWS));
        x.movLoad(R9, param(LDX));
        x.test(RCX);
        x.jz(done);
        x.bind(rowLoop);
        x.mov(RAX, RSI);
        x.movLoad(R10, param(PAIRS));
        x.test(R10);
        x.jz(single);
        x.bind(pairLoop);
        x.vmovupsLoad(0, Mem.at(RAX, 0));
        x.vmovupsLoad(1, Mem.at(RAX, 64));
        List<GeluOp> first = FmaGemmKernels.geluOps(0, 2, 1);
        List<GeluOp> second = FmaGemmKernels.geluOps(1, 16, 3);
        for (int i = 0; i < first.size(); i++) {
            first.get(i).emit(x);
            second.get(i).emit(x);
        }
        x.vmovdqu32Store(Mem.at(RAX, 0), 0);
        x.vmovdqu32Store(Mem.at(RAX, 64), 1);
        x.add(RAX, 128);
        x.dec(R10);
        x.jnz(pairLoop);
        x.bind(single);
        x.movLoad(R10, param(SINGLE));
        x.test(R10);
        x.jz(next);
        x.vmovupsLoad(0, Mem.at(RAX, 0));
        for (GeluOp op : FmaGemmKernels.geluOps(0, 2, 1)) {
            op.emit(x);
        }
        x.vmovdqu32Store(Mem.at(RAX, 0), 0);
        x.bind(next);
        x.addReg(RSI, R9);
        x.dec(RCX);
        x.jnz(rowLoop);
        x.bind(done);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }
}
