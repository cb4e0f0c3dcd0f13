package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R10;
import static fsc.runtime.x86.Assembler.R11;
import static fsc.runtime.x86.Assembler.R12;
import static fsc.runtime.x86.Assembler.R13;
import static fsc.runtime.x86.Assembler.R14;
import static fsc.runtime.x86.Assembler.R8;
import static fsc.runtime.x86.Assembler.R9;
import static fsc.runtime.x86.Assembler.RAX;
import static fsc.runtime.x86.Assembler.RBX;
import static fsc.runtime.x86.Assembler.RCX;
import static fsc.runtime.x86.Assembler.RDI;
import static fsc.runtime.x86.Assembler.RDX;
import static fsc.runtime.x86.Assembler.RSI;

import fsc.runtime.x86.Assembler.Mem;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code q4_0_matvec__avx512} and {@code q8_0_matvec__avx512}: the decode step's matvec (a range of
 * packed GGUF weight rows times one f32 activation) in machine code, with exactly the arithmetic of
 * {@code QuantMatVec}'s Vector API kernels, so the same bits. Per 32-weight block and row: the f16
 * scale looked up in a table of all 65,536 halves ({@code movzx} + {@code vbroadcastss}: load ports
 * only); the quants widened to int32 lanes ({@code vpmovzxbd}/{@code vpmovsxbd}); Q4_0 nibbles turned
 * into the floats {@code q - 8} by a 16-entry {@code vpermd} lookup (the high nibble after {@code
 * vpsrld 4}), Q8_0 bytes by {@code vcvtdq2ps}; then {@code block = lo·x + 0}, {@code block = hi·x' +
 * block}, {@code acc = block·d + acc}, each one rounding; finally the lanes summed by the same
 * rotate-and-add tree as {@code Lanes}.
 *
 * <p>Why machine code when the Vector API expresses the same operations: each row's sum is one
 * chain of dependent FMAs (4 cycles a block), and the Java kernel runs one row at a time. Here four
 * rows run interleaved, four independent chains sharing the activation loads, which keeps each
 * row's order (and bits) and fills the FMA ports; and nothing in the loop checks a segment.
 *
 * <p>Parameter block (longs): {@link #W} (address of the first row), {@link #ROW_BYTES}, {@link #X}
 * (the activation, {@code 32 · blocks} floats), {@link #BLOCKS}, {@link #Y} (the first output
 * float), {@link #GROUPS} (rows / 4), {@link #TAIL} (rows % 4), {@link #CONSTANTS} (this class's
 * table segment). System V, one argument (the block in rdi); rbx and r12-r14 are saved.
 */
public final class QuantMatVecKernels {
    /** Parameter block slots. */
    public static final int W = 0,
            ROW_BYTES = 1,
            X = 2,
            BLOCKS = 3,
            Y = 4,
            GROUPS = 5,
            TAIL = 6,
            CONSTANTS = 7,
            SCRATCH = 8;
    /** Longs in a parameter block. */
    public static final int PARAMS = 9;

    /** Rows a kernel interleaves. */
    public static final int ROWS = 4;

    /** The weight formats with a kernel. */
    public static final int Q4_0 = 0, Q8_0 = 1, Q6_K = 2;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    /**
     * Byte offsets in the constants: the nibble floats, the four rotations, Q6_K's int masks 0x0F and
     * 0x30 and its offset 32 (each in all sixteen lanes), then the f16 table.
     */
    private static final int NIBBLES = 0,
            ROTATIONS = 64,
            Q6_MASKS = ROTATIONS + LaneTree.BYTES,
            HALVES = Q6_MASKS + 3 * 64;

    /**
     * Registers the code keeps constants in: the nibble table, the rotations by 8, 4, 2, 1, and Q6_K's
     * masks 0x0F, 0x30 and offset 32.
     */
    private static final int NIBBLE_TABLE = 31, ROTATE_BASE = 27, Q6_MASK_BASE = 24;

    private final MethodHandle[] byFormat = new MethodHandle[3];
    private final MemorySegment constants;

    private QuantMatVecKernels(float[] halfTable) {
        constants = constants(halfTable);
        byFormat[Q4_0] = ExecutableMemory.link(code(Q4_0), SIGNATURE);
        byFormat[Q8_0] = ExecutableMemory.link(code(Q8_0), SIGNATURE);
        byFormat[Q6_K] = ExecutableMemory.link(code(Q6_K), SIGNATURE);
    }

    /**
     * The kernels when this CPU has AVX-512 and native kernels are on, else {@code null}; {@code
     * halfTable} is every f16 bit pattern's float (the table the Java kernels look scales up in).
     */
    public static QuantMatVecKernels loadIfSupported(float[] halfTable) {
        return CpuFeatures.avx512()
                ? CpuFeatures.loadOrNull("quantized matvec", () -> new QuantMatVecKernels(halfTable))
                : null;
    }

    /** The address of the constants, for {@link #CONSTANTS}. */
    public long constants() {
        return constants.address();
    }

    /** Runs the kernel of {@code format} on the block at {@code params}; the caller guarantees every size. */
    public void run(int format, long params) {
        ExecutableMemory.call(byFormat[format], params);
    }

    private static MemorySegment constants(float[] halfTable) {
        if (halfTable.length != 1 << 16) {
            throw new IllegalArgumentException("the f16 table has " + halfTable.length + " entries, not 65536");
        }
        MemorySegment c = Arena.global().allocate(HALVES + 4L * halfTable.length, 64);
        for (int q = 0; q < 16; q++) {
            c.setAtIndex(ValueLayout.JAVA_FLOAT, q, q - 8);
        }
        LaneTree.writeRotations(c, ROTATIONS);
        int[] masks = {0x0F, 0x30, 32};
        for (int m = 0; m < masks.length; m++) {
            for (int i = 0; i < 16; i++) {
                c.set(ValueLayout.JAVA_INT, Q6_MASKS + 64L * m + 4L * i, masks[m]);
            }
        }
        MemorySegment.copy(halfTable, 0, c, ValueLayout.JAVA_FLOAT, HALVES, halfTable.length);
        return c;
    }

    /** The machine code of the kernel for {@code format}. */
    static byte[] code(int format) {
        if (format != Q4_0 && format != Q8_0 && format != Q6_K) {
            throw new IllegalArgumentException("matvec format " + format);
        }
        Assembler x = new Assembler();
        int tail = x.newLabel();
        int done = x.newLabel();
        x.push(RBX);
        x.push(R12);
        x.push(R13);
        x.push(R14);
        // rsi W, r10 rowBytes, rdx X, r8 Y, r9 groups, r11 the f16 table, r13 blocks, r14 tail;
        // rdi is then reused as the block pointer, rax as the activation pointer, rcx as the block count.
        x.movLoad(RSI, param(W));
        x.movLoad(R10, param(ROW_BYTES));
        x.movLoad(RDX, param(X));
        x.movLoad(R8, param(Y));
        x.movLoad(R9, param(GROUPS));
        x.movLoad(R13, param(BLOCKS));
        x.movLoad(R14, param(TAIL));
        x.movLoad(R11, param(CONSTANTS));
        x.vmovupsLoad(NIBBLE_TABLE, Mem.at(R11, NIBBLES));
        LaneTree.loadRotations(x, ROTATE_BASE, Mem.at(R11, ROTATIONS));
        for (int m = 0; m < 3; m++) {
            x.vmovupsLoad(Q6_MASK_BASE + m, Mem.at(R11, Q6_MASKS + 64 * m));
        }
        x.add(R11, HALVES);
        x.lea(R12, Mem.at(R10, R10, 2)); // 3 · rowBytes: row 3's offset
        if (format == Q6_K) {
            // One row at a time (the caller passes every row as the tail): a row's four chains
            // already keep the FMA ports busy.
            x.mov(R9, R14);
            x.movLoad(R14, param(SCRATCH));
            x.test(R9);
            x.jz(done);
            q6kRowLoop(x);
        } else {
            x.test(R9);
            x.jz(tail);
            rowLoop(x, format, ROWS);
            x.bind(tail);
            x.mov(R9, R14);
            x.test(R9);
            x.jz(done);
            rowLoop(x, format, 1);
        }
        x.bind(done);
        x.pop(R14);
        x.pop(R13);
        x.pop(R12);
        x.pop(RBX);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /**
     * Rows {@code rows} at a time while r9 counts down: accumulators zmm0..rows-1, the activation
     * block in zmm4/zmm5, row r's temporaries in zmm8+4r..11+4r.
     */
    private static void rowLoop(Assembler x, int format, int rows) {
        int row = x.newLabel();
        int block = x.newLabel();
        int blockBytes = format == Q4_0 ? 18 : 34;
        x.bind(row);
        x.mov(RDI, RSI);
        x.mov(RAX, RDX);
        x.mov(RCX, R13);
        for (int r = 0; r < rows; r++) {
            x.vpxord(r, r, r);
        }
        x.bind(block);
        x.vmovupsLoad(4, Mem.at(RAX, 0));
        x.vmovupsLoad(5, Mem.at(RAX, 64));
        for (int r = 0; r < rows; r++) {
            int d = 8 + 4 * r, lo = d + 1, hi = d + 2, sum = d + 3;
            x.movzxWord(RBX, rowAt(r, 0));
            x.vbroadcastss(d, new Mem(R11, RBX, 4, 0));
            if (format == Q4_0) {
                x.vpmovzxbd(hi, rowAt(r, 2));
                x.vpermd(lo, hi, NIBBLE_TABLE);
                x.vpsrld(hi, hi, 4);
                x.vpermd(hi, hi, NIBBLE_TABLE);
            } else {
                x.vpmovsxbd(lo, rowAt(r, 2));
                x.vcvtdq2ps(lo, lo);
                x.vpmovsxbd(hi, rowAt(r, 18));
                x.vcvtdq2ps(hi, hi);
            }
            x.vpxord(sum, sum, sum);
            x.vfmadd231ps(sum, lo, 4);
            x.vfmadd231ps(sum, hi, 5);
            x.vfmadd231ps(r, sum, d);
        }
        x.add(RDI, blockBytes);
        x.add(RAX, 128);
        x.dec(RCX);
        x.jnz(block);
        for (int r = 0; r < rows; r++) {
            LaneTree.sum(x, r, 8 + 4 * r, ROTATE_BASE);
            x.vmovssStore(Mem.at(R8, 4 * r), r);
        }
        x.add(R8, 4 * rows);
        if (rows == ROWS) {
            x.lea(RSI, Mem.at(RSI, R10, 4));
        } else {
            x.addReg(RSI, R10);
        }
        x.dec(R9);
        x.jnz(row);
    }

    /**
     * Q6_K rows (210-byte blocks of 256: ql[128], qh[64], scales[16], f16 d), one per pass, as
     * {@code KQuantMatVec.q6_K}: per block the sixteen {@code d · scale} written to the scratch at
     * r14, then per half and run pair the four values {@code (low bits | high bits << 4) - 32} of
     * {@code a = ql[l]}, {@code c = ql[l + 32]}, {@code h = qh[l]} on int lanes, converted, times
     * the activation, and added to four chains with the run's scale broadcast from the scratch.
     */
    private static void q6kRowLoop(Assembler x) {
        int row = x.newLabel();
        int block = x.newLabel();
        int lo = Q6_MASK_BASE, hiBits = Q6_MASK_BASE + 1, offset = Q6_MASK_BASE + 2;
        x.bind(row);
        x.mov(RDI, RSI);
        x.mov(RAX, RDX);
        x.mov(RCX, R13);
        for (int a = 0; a < 4; a++) {
            x.vpxord(a, a, a);
        }
        x.bind(block);
        x.movzxWord(RBX, Mem.at(RDI, 208));
        x.vbroadcastss(4, new Mem(R11, RBX, 4, 0));
        x.vpmovsxbd(5, Mem.at(RDI, 192));
        x.vcvtdq2ps(5, 5);
        x.vmulps(5, 5, 4);
        x.vmovdqu32Store(Mem.at(R14, 0), 5);
        for (int half = 0; half < 2; half++) {
            for (int l = 0; l < 2; l++) {
                int sc = 8 * half + l;
                x.vpmovzxbd(6, Mem.at(RDI, 64 * half + 16 * l)); // a
                x.vpmovzxbd(7, Mem.at(RDI, 64 * half + 32 + 16 * l)); // c
                x.vpmovzxbd(8, Mem.at(RDI, 128 + 32 * half + 16 * l)); // h
                // v1 = (a & 0x0F | (h << 4) & 0x30) - 32
                x.vpandd(9, 6, lo);
                x.vpslld(13, 8, 4);
                x.vpandd(13, 13, hiBits);
                x.vpord(9, 9, 13);
                x.vpsubd(9, 9, offset);
                x.vcvtdq2ps(9, 9);
                // v2 = (c & 0x0F | (h << 2) & 0x30) - 32
                x.vpandd(10, 7, lo);
                x.vpslld(13, 8, 2);
                x.vpandd(13, 13, hiBits);
                x.vpord(10, 10, 13);
                x.vpsubd(10, 10, offset);
                x.vcvtdq2ps(10, 10);
                // v3 = (a >>> 4 | h & 0x30) - 32
                x.vpsrld(11, 6, 4);
                x.vpandd(13, 8, hiBits);
                x.vpord(11, 11, 13);
                x.vpsubd(11, 11, offset);
                x.vcvtdq2ps(11, 11);
                // v4 = (c >>> 4 | (h >>> 2) & 0x30) - 32
                x.vpsrld(12, 7, 4);
                x.vpsrld(13, 8, 2);
                x.vpandd(13, 13, hiBits);
                x.vpord(12, 12, 13);
                x.vpsubd(12, 12, offset);
                x.vcvtdq2ps(12, 12);
                for (int v = 0; v < 4; v++) {
                    x.vmulps(9 + v, 9 + v, Mem.at(RAX, 512 * half + 64 * l + 128 * v));
                    x.vfmadd231psBroadcast(v, 9 + v, Mem.at(R14, 4 * (sc + 2 * v)));
                }
            }
        }
        x.add(RDI, 210);
        x.add(RAX, 1024);
        x.dec(RCX);
        x.jnz(block);
        x.vaddps(0, 0, 1);
        x.vaddps(2, 2, 3);
        x.vaddps(0, 0, 2);
        LaneTree.sum(x, 0, 8, ROTATE_BASE);
        x.vmovssStore(Mem.at(R8, 0), 0);
        x.add(R8, 4);
        x.addReg(RSI, R10);
        x.dec(R9);
        x.jnz(row);
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }

    /** Byte {@code disp} of the current block of interleaved row {@code r}: rdi + r · rowBytes. */
    private static Mem rowAt(int r, int disp) {
        return switch (r) {
            case 0 -> Mem.at(RDI, disp);
            case 1 -> new Mem(RDI, R10, 1, disp);
            case 2 -> new Mem(RDI, R10, 2, disp);
            default -> new Mem(RDI, R12, 1, disp);
        };
    }
}
