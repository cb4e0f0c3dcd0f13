package fsc.runtime.x86;

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
 * {@code q4_K_q8_K_16x1_packed__avx512vnni}: the decode matvec of Q4_K weights repacked in groups
 * of 16 rows ({@code quant.KQuantPacked} writes them), times one activation row quantized to Q8_K,
 * with lane {@code r} of every vector being weight row {@code r} of the group, as {@link
 * Q80Kernels}' packed kernels do for Q4_0. In GGUF's layout ({@link KQuantKernels}) each row's
 * super-block needs its six-bit scales unpacked, a {@code vpermw} per 64 values to spread them and
 * a cross-lane reduction of its sums: that work does not scale with the weights' bytes and kept
 * Q4_K_M decode instruction-bound, under llama.cpp's speed. Packed, the scales are already bytes
 * per row and the rows' sums come out in their lanes with no reduction.
 *
 * <p>A packed super-block of a group ({@link #BLOCK_BYTES}): at 0 the sixteen rows' f16 {@code d},
 * at 32 their f16 {@code dmin}, at {@link #SCALES} eight runs of 16 bytes (sub-block {@code j}'s
 * six-bit scale of row {@code r} at {@code 16j + r}), at {@link #MINS} four runs of 32 bytes (the
 * mins of sub-blocks {@code 2i} and {@code 2i + 1} of row {@code r} at {@code 32i + 2r} and {@code
 * + 1}: a word pair per row, for {@code vpdpwssd}), at {@link #QUANTS} 32 parts of 64 bytes: part
 * {@code 8g + c}'s dword {@code r} is row {@code r}'s quant bytes {@code 32g + 4c .. + 3}, whose low
 * nibbles are values {@code 64g + 4c ..} (sub-block {@code 2g}) and high nibbles values {@code 64g +
 * 32 + 4c ..} (sub-block {@code 2g + 1}), as in GGUF.
 *
 * <p>Per part: the low nibbles ({@code vpandd}) and the high ({@code vpsrlw}, {@code vpandd}) each
 * take one {@code vpdpbusd} with the activation's four matching bytes broadcast ({@code {1to16}})
 * into their sub-block's accumulator; the eight sub-block sums are multiplied by their scales
 * ({@code vpmovzxbd}, {@code vpmulld}) and added, and the mins term is four {@code vpdpwssd} of the
 * mins' word pairs with the activation's run-of-32 sums. The integers are exact, so their order
 * does not matter; the float step is {@link KQuantKernels}' ({@code sum += (d·dx)·sumi −
 * (dmin·dx)·summs} per super-block, in order), so each row's result is bit for bit {@code
 * Q8KDotReference}'s. About 200 vector instructions per 16 rows × 256 values against ~670 in GGUF's
 * layout.
 *
 * <p>The activation is {@link KQuantKernels}' layout ({@link KQuantKernels#X_BLOCK} bytes per
 * super-block), whose {@link KQuantKernels#X_PAIRS} holds the run sums as word pairs. Parameter
 * block (longs): {@link #W} (the first group's packed super-block 0), {@link #X}, {@link #BLOCKS}
 * (super-blocks per row), {@link #Y} (the first row's float), {@link #GROUPS} (at least 1), {@link
 * #MASK} (0x0F0F0F0F). System V, one argument (the block in rdi); no callee-saved register is used.
 */
public final class KQuantPackedKernels {
    /** Parameter block slots (longs). */
    public static final int W = 0, X = 1, BLOCKS = 2, Y = 3, GROUPS = 4, MASK = 5;

    /** Longs in a parameter block. */
    public static final int PARAMS = 6;

    /** Weight rows per group: the lanes of a float vector. */
    public static final int ROWS = 16;

    /** Where a packed super-block keeps its parts, and its size. */
    public static final int D = 0, DMIN = 32, SCALES = 64, MINS = 192, QUANTS = 320, BLOCK_BYTES = 320 + 2048;

    /** Vector registers: see {@link #code}. */
    private static final int SUM = 0, MASK_REG = 1, ACC = 2, SUMMS = 10, SUMI = 11, TMP = 12, PART = 16;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    private final MethodHandle q4K;

    private KQuantPackedKernels() {
        q4K = ExecutableMemory.link(code(), SIGNATURE);
    }

    /** The kernel when this CPU has AVX-512 BW and VNNI and native kernels are on, else {@code null}. */
    public static KQuantPackedKernels loadIfSupported() {
        return CpuFeatures.avx512Vnni() ? CpuFeatures.loadOrNull("packed Q4_K matvec", KQuantPackedKernels::new) : null;
    }

    /** Runs the Q4_K kernel on the block at {@code params}; the caller guarantees every size. */
    public void runQ4K(long params) {
        ExecutableMemory.call(q4K, params);
    }

    /**
     * The machine code. Registers: zmm0 the group's float sums, zmm1 the nibble mask, zmm2-9 the
     * eight sub-blocks' integer sums, zmm10 the mins term, zmm11 sumi, zmm12-15 the float step,
     * zmm16-31 eight parts' low and high nibbles in turn (so consecutive parts do not wait on each
     * other's registers). rsi the current packed super-block, rdx the activation's, r8 the group's
     * output, r9 counts super-blocks, rcx groups.
     */
    static byte[] code() {
        Assembler x = new Assembler();
        int group = x.newLabel();
        int block = x.newLabel();
        x.movLoad(RSI, param(W));
        x.movLoad(R8, param(Y));
        x.movLoad(RCX, param(GROUPS));
        x.vpbroadcastd(MASK_REG, param(MASK));
        x.movLoad(RAX, param(BLOCKS)); // rax: super-blocks per row, rdi: the activation, from here on
        x.movLoad(RDI, param(X));
        x.bind(group);
        x.vpxord(SUM, SUM, SUM);
        x.mov(RDX, RDI);
        x.mov(R9, RAX);
        x.bind(block);
        for (int j = 0; j < 8; j++) {
            x.vpxord(ACC + j, ACC + j, ACC + j);
        }
        for (int g = 0; g < 4; g++) {
            for (int c = 0; c < 8; c++) {
                Mem part = Mem.at(RSI, QUANTS + 64 * (8 * g + c));
                int lo = PART + 2 * (c % 8);
                int hi = lo + 1;
                x.vpandd(lo, MASK_REG, part); // values 64g + 4c .. + 3 of every row
                x.vpsrlw(hi, part, 4);
                x.vpandd(hi, hi, MASK_REG); // values 64g + 32 + 4c .. + 3
                x.vpdpbusdBroadcast(ACC + 2 * g, lo, Mem.at(RDX, 64 * g + 4 * c));
                x.vpdpbusdBroadcast(ACC + 2 * g + 1, hi, Mem.at(RDX, 64 * g + 32 + 4 * c));
            }
        }
        // sumi = Σ_j scale_j · sum_j, exact in int32 (at most 8 · 63 · 32 · 15 · 127).
        for (int j = 0; j < 8; j++) {
            x.vpmovzxbd(TMP + j % 4, Mem.at(RSI, SCALES + 16 * j));
            x.vpmulld(ACC + j, ACC + j, TMP + j % 4);
        }
        for (int step = 1; step < 8; step *= 2) {
            for (int j = 0; j < 8; j += 2 * step) {
                x.vpaddd(ACC + j, ACC + j, ACC + j + step);
            }
        }
        // summs = Σ_j min_j · (the activation's sum of sub-block j's 32 values), two sub-blocks a word pair.
        x.vpxord(SUMMS, SUMMS, SUMMS);
        for (int i = 0; i < 4; i++) {
            x.vpmovzxbw(TMP + i, Mem.at(RSI, MINS + 32 * i));
            x.vpdpwssdBroadcast(SUMMS, TMP + i, Mem.at(RDX, KQuantKernels.X_PAIRS + 4 * i));
        }
        // sum += (d·dx)·sumi − (dmin·dx)·summs, each step rounded as the reference rounds it.
        x.vcvtph2ps(TMP, Mem.at(RSI, D));
        x.vcvtph2ps(TMP + 1, Mem.at(RSI, DMIN));
        x.vmulps(TMP, TMP, Mem.at(RDX, KQuantKernels.X_D)); // d·dx (dx sixteen times there)
        x.vmulps(TMP + 1, TMP + 1, Mem.at(RDX, KQuantKernels.X_D)); // dmin·dx
        x.vcvtdq2ps(SUMI, ACC);
        x.vcvtdq2ps(SUMMS, SUMMS);
        x.vmulps(SUMI, SUMI, TMP);
        x.vmulps(SUMMS, SUMMS, TMP + 1);
        x.vsubps(SUMI, SUMI, SUMMS);
        x.vaddps(SUM, SUM, SUMI);
        x.add(RSI, BLOCK_BYTES); // packed super-blocks, then the next group's, follow each other
        x.add(RDX, KQuantKernels.X_BLOCK);
        x.dec(R9);
        x.jnz(block);
        x.vmovdqu32Store(Mem.at(R8, 0), SUM);
        x.add(R8, 4 * ROWS);
        x.dec(RCX);
        x.jnz(group);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }
}
