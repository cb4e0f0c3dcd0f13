package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R10;
import static fsc.runtime.x86.Assembler.R8;
import static fsc.runtime.x86.Assembler.R9;
import static fsc.runtime.x86.Assembler.RCX;
import static fsc.runtime.x86.Assembler.RDI;
import static fsc.runtime.x86.Assembler.RDX;
import static fsc.runtime.x86.Assembler.RSI;

import fsc.runtime.x86.Assembler.Mem;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The weight repacks of the lanes-are-rows decode kernels in machine code: GGUF rows of Q4_0, Q8_0,
 * Q4_K or Q6_K, groups of 16 at a time, into the packed layouts of {@link Q80Kernels#Q4_0_PACKED},
 * {@link Q80Kernels#Q8_0_PACKED} and {@link KQuantPackedKernels}. Each packed part is one {@code
 * vpgatherdd} of the same dword of the sixteen rows (offsets {@code r · rowBytes}) and one store;
 * Q4_K's six-bit scales and mins are decoded ({@code get_scale_min_k4}) on sixteen lanes at once and
 * narrowed to bytes ({@code vpmovdb}), the f16 factors narrowed to words ({@code vpmovdw}). Why in
 * machine code: a model's matrices are packed during its first decode step, when C2 has not yet
 * compiled a Java shuffle (and is busy with the model's own code); the Java form moved 0.5–0.8 ms
 * per MB once compiled but took ~3 s of a 1.1B Q4_K_M model's first token. The Java shuffles in the
 * tests ({@code quant.PackedLayoutsTest}) are the reference, byte for byte.
 *
 * <p>Parameter block (longs): {@link #SRC} (row 0 of the first group), {@link #ROW_BYTES}, {@link
 * #BLOCKS} (blocks per row), {@link #DST}, {@link #GROUPS}, {@link #LOW6}, {@link #LOW4}, {@link
 * #LOW2} (the masks 63, 15 and 3), then at byte {@link #INDEX} the sixteen dword offsets {@code r ·
 * rowBytes}. The destination's padding (Q6_K's last 32 bytes of a super-block) is not written: the
 * caller's memory is zeroed. System V, one argument (the block in rdi); no callee-saved register
 * is used.
 */
public final class RepackKernels {
    /** Parameter block slots (longs). */
    public static final int SRC = 0, ROW_BYTES = 1, BLOCKS = 2, DST = 3, GROUPS = 4, LOW6 = 5, LOW4 = 6, LOW2 = 7;

    /** Byte offset of the gather offsets in the parameter block, and the block's size in bytes. */
    public static final int INDEX = 64, PARAM_BYTES = 128;

    /** The source formats. */
    public static final int Q4_0 = 0, Q8_0 = 1, Q4_K = 2, Q6_K = 3;

    /** Vector registers: the gather offsets and the three masks; the rest are temporaries. */
    private static final int INDEX_REG = 31, M6 = 30, M4 = 29, M2 = 28;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    private final MethodHandle[] kernels = new MethodHandle[4];

    private RepackKernels() {
        for (int f = 0; f < kernels.length; f++) {
            kernels[f] = ExecutableMemory.link(code(f), SIGNATURE);
        }
    }

    /** The kernels when this CPU has AVX-512 BW and VNNI and native kernels are on, else {@code null}. */
    public static RepackKernels loadIfSupported() {
        return CpuFeatures.avx512Vnni() ? CpuFeatures.loadOrNull("weight repack", RepackKernels::new) : null;
    }

    /** Runs the repack of {@code format} on the block at {@code params}; the caller guarantees every size. */
    public void run(int format, long params) {
        ExecutableMemory.call(kernels[format], params);
    }

    /** Bytes of one GGUF block of {@code format}. */
    static int sourceBlockBytes(int format) {
        return switch (format) {
            case Q4_0 -> 18;
            case Q8_0 -> 34;
            case Q4_K -> 144;
            default -> 210;
        };
    }

    /** Bytes of one packed block of a group of 16 rows of {@code format}. */
    public static int packedBlockBytes(int format) {
        return switch (format) {
            case Q4_0 -> Q80Kernels.packedBlockBytes(Q80Kernels.Q4_0);
            case Q8_0 -> Q80Kernels.packedBlockBytes(Q80Kernels.Q8_0);
            case Q4_K -> KQuantPackedKernels.BLOCK_BYTES;
            default -> KQuantPackedKernels.Q6_BLOCK_BYTES;
        };
    }

    /**
     * The machine code. rdx the current group's row 0, rsi its current block, rdi the destination,
     * r8 the bytes of a group of rows, r9 counts blocks, r10 blocks per row, rcx groups.
     */
    static byte[] code(int format) {
        if (format < Q4_0 || format > Q6_K) {
            throw new IllegalArgumentException("repack format " + format);
        }
        Assembler x = new Assembler();
        int group = x.newLabel();
        int block = x.newLabel();
        x.movLoad(RDX, param(SRC));
        x.movLoad(R8, param(ROW_BYTES));
        x.shl(R8, 4);
        x.movLoad(R10, param(BLOCKS));
        x.movLoad(RCX, param(GROUPS));
        x.vmovdqu32Load(INDEX_REG, Mem.at(RDI, INDEX));
        x.vpbroadcastd(M6, param(LOW6));
        x.vpbroadcastd(M4, param(LOW4));
        x.vpbroadcastd(M2, param(LOW2));
        x.movLoad(RDI, param(DST));
        x.bind(group);
        x.mov(RSI, RDX);
        x.mov(R9, R10);
        x.bind(block);
        switch (format) {
            case Q4_0 -> q80Block(x, 4);
            case Q8_0 -> q80Block(x, 8);
            case Q4_K -> q4KBlock(x);
            default -> q6KBlock(x);
        }
        x.add(RSI, sourceBlockBytes(format));
        x.add(RDI, packedBlockBytes(format));
        x.dec(R9);
        x.jnz(block);
        x.addReg(RDX, R8);
        x.dec(RCX);
        x.jnz(group);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** Q4_0/Q8_0: the sixteen f16 scales, then {@code parts} parts of four quant bytes per row. */
    private static void q80Block(Assembler x, int parts) {
        gather(x, 0, 0); // d and the first two quant bytes
        x.vpmovdwStore(Mem.at(RDI, 0), 0);
        for (int i = 0; i < parts; i++) {
            int v = 1 + i % 8;
            gather(x, v, 2 + 4 * i);
            x.vmovdqu32Store(Mem.at(RDI, 32 + 64 * i), v);
        }
    }

    /**
     * Q4_K: d and dmin, the scales and mins decoded from their twelve bytes (dwords s0, s1, s2 of
     * each row, lanes being rows), then the 32 parts of quants.
     */
    private static void q4KBlock(Assembler x) {
        int dd = 0, s0 = 1, s1 = 2, s2 = 3, t = 4, u = 5, min = 6; // min..min+7: the eight mins
        gather(x, dd, 0);
        x.vpmovdwStore(Mem.at(RDI, KQuantPackedKernels.D), dd);
        x.vpsrld(t, dd, 16);
        x.vpmovdwStore(Mem.at(RDI, KQuantPackedKernels.DMIN), t);
        gather(x, s0, 4);
        gather(x, s1, 8);
        gather(x, s2, 12);
        for (int j = 0; j < 4; j++) { // byte j of s0 / s1, low six bits
            x.vpsrld(t, s0, 8 * j);
            x.vpandd(t, t, M6);
            x.vpmovdbStore(Mem.at(RDI, KQuantPackedKernels.SCALES + 16 * j), t);
            x.vpsrld(min + j, s1, 8 * j);
            x.vpandd(min + j, min + j, M6);
        }
        for (int j = 4; j < 8; j++) { // four bits of byte j - 4 of s2, two high bits of s0 / s1
            int shift = 8 * (j - 4);
            x.vpsrld(t, s2, shift);
            x.vpandd(t, t, M4);
            x.vpsrld(u, s0, shift + 6);
            x.vpandd(u, u, M2);
            x.vpslld(u, u, 4);
            x.vpord(t, t, u);
            x.vpmovdbStore(Mem.at(RDI, KQuantPackedKernels.SCALES + 16 * j), t);
            x.vpsrld(t, s2, shift + 4);
            x.vpandd(t, t, M4);
            x.vpsrld(u, s1, shift + 6);
            x.vpandd(u, u, M2);
            x.vpslld(u, u, 4);
            x.vpord(min + j, t, u);
        }
        for (int i = 0; i < 4; i++) { // mins 2i and 2i + 1 as the two bytes of a word per row
            x.vpslld(t, min + 2 * i + 1, 8);
            x.vpord(t, t, min + 2 * i);
            x.vpmovdwStore(Mem.at(RDI, KQuantPackedKernels.MINS + 32 * i), t);
        }
        for (int p = 0; p < 32; p++) {
            int v = 16 + p % 8;
            gather(x, v, 16 + 4 * p);
            x.vmovdqu32Store(Mem.at(RDI, KQuantPackedKernels.QUANTS + 64 * p), v);
        }
    }

    /** Q6_K: the parts in their runs (qh, then ql of values 4c.., then 32 + 4c..), the scales, d. */
    private static void q6KBlock(Assembler x) {
        for (int p = 0; p < 32; p++) { // ql dword p: half p / 16, c' = p % 16
            int h = p / 16;
            int c = p % 16;
            int v = p % 8;
            gather(x, v, 4 * p);
            int run = KQuantPackedKernels.Q6_PARTS + 192 * (8 * h + c % 8);
            x.vmovdqu32Store(Mem.at(RDI, run + (c < 8 ? 64 : 128)), v);
        }
        for (int q = 0; q < 16; q++) { // qh dword q: half q / 8, c = q % 8
            int v = 8 + q % 8;
            gather(x, v, 128 + 4 * q);
            x.vmovdqu32Store(Mem.at(RDI, KQuantPackedKernels.Q6_PARTS + 192 * q), v);
        }
        for (int t = 0; t < 4; t++) { // scales 4t..4t+3, the bytes of dword t
            gather(x, 16, 192 + 4 * t);
            for (int i = 0; i < 4; i++) {
                x.vpsrld(17, 16, 8 * i);
                x.vpmovdbStore(Mem.at(RDI, KQuantPackedKernels.Q6_SCALES + 16 * (4 * t + i)), 17);
            }
        }
        gather(x, 18, 206); // the scales' last two bytes, then d
        x.vpsrld(18, 18, 16);
        x.vpmovdwStore(Mem.at(RDI, KQuantPackedKernels.Q6_D), 18);
    }

    /** {@code dst} = the dword at byte {@code disp} of the current block of each of the 16 rows. */
    private static void gather(Assembler x, int dst, int disp) {
        x.kxnorw(1, 1, 1);
        x.vpgatherdd(dst, 1, RSI, INDEX_REG, 1, disp);
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }
}
