package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R10;
import static fsc.runtime.x86.Assembler.R11;
import static fsc.runtime.x86.Assembler.R12;
import static fsc.runtime.x86.Assembler.R13;
import static fsc.runtime.x86.Assembler.R14;
import static fsc.runtime.x86.Assembler.R15;
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
 * {@code q4_K_q8_K_matvec__avx512vnni} and {@code q6_K_q8_K_matvec__avx512vnni}: a range of K-quant
 * weight rows (GGUF layout, read in place) times one activation row quantized to Q8_K, as
 * llama.cpp's CPU backend computes a decode matvec. Per super-block of 256 values the weights are
 * unpacked to unsigned bytes in registers, multiplied with the activation's int8 values by {@code
 * vpmaddubsw} (pairs summed to int16, no saturation possible: at most 2 · 63 · 127) and scaled by
 * their sub-block's scale with {@code vpdpwssd} into one int32 accumulator, so {@code sumi = Σ_j
 * scale_j Σ_i q_i x_i} is exact; the affine term ({@code Σ_j min_j · bsum_j}, Q4_K) and Q6_K's
 * offset of 32 ({@code 32 Σ_r scale_r · bsum_r}: the quants are read as 0..63 and corrected) come
 * from the activation's block sums. The integers are then reduced across lanes (exact, so the
 * order does not matter) and combined as ggml's generic {@code ggml_vec_dot_q4_K_q8_K} does, each
 * operation rounded as Java rounds it: {@code sum += (d·dx)·sumi − (dmin·dx)·summs} (Q4_K), {@code
 * sum += (d·dx)·sumi} (Q6_K). So a row's result is bit for bit {@code Q8KDotReference}'s.
 *
 * <p>Per 64 Q4_K weights: one 32-byte broadcast load, a word shift (the high nibbles into the
 * upper half), an and, {@code vpmaddubsw} with the activation from memory, a {@code vpermw} (the
 * scales to words) and {@code vpdpwssd}: about a quarter of the vector instructions of the f32
 * kernel ({@code KQuantMatVec}), whose unpacking to floats bounds it (docs/PERFORMANCE-LLM.md).
 *
 * <p>The activation is laid out by the caller, {@link #X_BLOCK} bytes per super-block: 256 int8
 * values at 0, at {@link #X_MINS} sixteen int32 (eight zeros, then the sums of the eight runs of
 * 32: Q4_K's minimum term multiplies the mins in lanes 8-15), at {@link #X_BSUMS} the sixteen sums
 * of runs of 16, at {@link #X_D} the block's scale sixteen times. Parameter block (longs): {@link #W}
 * (the first row), {@link #ROW_BYTES}, {@link #X}, {@link #BLOCKS} (super-blocks per row), {@link
 * #Y} (the first row's float), {@link #QUADS} (groups of four rows, first: rows {@code j}, {@code
 * j + QUADS}, {@code j + 2 QUADS}, {@code j + 3 QUADS}), {@link #STREAM} ({@code QUADS · ROW_BYTES}),
 * {@link #ROWS} (the single rows after them), {@link #CONSTS} ({@link #constants}). System V, one argument (the block
 * in rdi); rbx, r12 and r13 are saved.
 *
 * <p>Rows go four at a time: at one token the per-super-block work that does not scale with the
 * weights (the cross-lane sum of the int32 accumulators and the float steps) was about a third of
 * a row's vector instructions; four rows' accumulators are reduced together by one transposing
 * tree and their float steps run on four lanes at once, each lane with the single-row steps, so
 * the bits do not change. The four rows of a group are {@link #STREAM} bytes (a quarter of the
 * groups' rows) apart: the weights are read as four long sequential streams, which the hardware
 * prefetcher follows; four adjacent rows made short streams it did not, and ran slower than one
 * row at a time on weights larger than the cache (docs/PERFORMANCE-LLM.md).
 */
public final class KQuantKernels {
    /** Parameter block slots. */
    public static final int W = 0, ROW_BYTES = 1, X = 2, BLOCKS = 3, Y = 4, ROWS = 5, CONSTS = 6, QUADS = 7, STREAM = 8;
    /** Longs in a parameter block. */
    public static final int PARAMS = 9;

    /**
     * Bytes of one prepared activation super-block, and where its parts start; {@link #X_PAIRS} (the
     * sums of the eight runs of 32 as four word pairs) and {@link #X_NEG32} (−32 times the sixteen
     * sums of runs of 16) are read by {@link KQuantPackedKernels} only.
     */
    public static final int X_BLOCK = 576, X_MINS = 256, X_BSUMS = 320, X_D = 384, X_PAIRS = 448, X_NEG32 = 512;

    /** The two kernels. */
    public static final int Q4_K = 0, Q6_K = 1;

    // Offsets in the constant block.
    private static final int C_SCALE_A = 0, C_SCALE_H = 64, C_SCALE_SHIFT = 128, C_SCALE_MASK = 192;
    private static final int C_SCALE_HIGH = 256, C_NIBBLE_SHIFT = 320, C_QH_SHIFT = 384, C_0F = 448, C_30 = 512;
    private static final int C_EVEN = 576, C_Q4_WORDS = 640, C_Q6_WORDS = 896, C_BYTES = 1152;

    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG);

    private final MethodHandle q4K;
    private final MethodHandle q6K;
    private final MemorySegment constants;

    private KQuantKernels() {
        q4K = ExecutableMemory.link(code(Q4_K), SIGNATURE);
        q6K = ExecutableMemory.link(code(Q6_K), SIGNATURE);
        constants = Arena.global().allocate(C_BYTES, 64);
        MemorySegment.copy(constantBytes(), 0, constants, ValueLayout.JAVA_BYTE, 0, C_BYTES);
    }

    /** The kernels when this CPU has AVX-512 BW and VNNI and native kernels are on, else {@code null}. */
    public static KQuantKernels loadIfSupported() {
        return CpuFeatures.avx512Vnni() ? CpuFeatures.loadOrNull("K-quant matvec", KQuantKernels::new) : null;
    }

    /** The address of the constants the kernels read ({@link #CONSTS}). */
    public long constants() {
        return constants.address();
    }

    /** Runs kernel {@code kind} on the block at {@code params}; the caller guarantees every size. */
    public void run(int kind, long params) {
        ExecutableMemory.call(kind == Q4_K ? q4K : q6K, params);
    }

    /** The machine code of kernel {@code kind}. */
    static byte[] code(int kind) {
        if (kind != Q4_K && kind != Q6_K) {
            throw new IllegalArgumentException("K-quant kernel " + kind);
        }
        int blockBytes = kind == Q4_K ? 144 : 210;
        Assembler x = new Assembler();
        int quad = x.newLabel();
        int quadBlock = x.newLabel();
        int singles = x.newLabel();
        int row = x.newLabel();
        int block = x.newLabel();
        int done = x.newLabel();
        x.push(RBX);
        x.push(R12);
        x.push(R13);
        x.push(R14);
        x.push(R15);
        // rsi row, r9 rowBytes, rdx activation, r10 blocks, r8 y, rcx single rows, r13 groups of
        // four, r14 and r15 the bytes between the four rows of a group in the weights and in y, r11
        // constants; in the block loops rax walks the (first) row's super-blocks, r12 the third
        // row's, rdi the activation's, rbx counts.
        x.movLoad(RSI, param(W));
        x.movLoad(R9, param(ROW_BYTES));
        x.movLoad(RDX, param(X));
        x.movLoad(R10, param(BLOCKS));
        x.movLoad(R8, param(Y));
        x.movLoad(RCX, param(ROWS));
        x.movLoad(R13, param(QUADS));
        x.movLoad(R14, param(STREAM));
        x.mov(R15, R13);
        x.shl(R15, 2);
        x.movLoad(R11, param(CONSTS));
        if (kind == Q4_K) {
            x.vmovdqu32Load(31, Mem.at(R11, C_SCALE_A));
            x.vmovdqu32Load(30, Mem.at(R11, C_SCALE_H));
        }
        for (int i = 0; i < 4; i++) { // word indices that spread the scales over their sub-blocks
            x.vmovdqu32Load(26 + i, Mem.at(R11, (kind == Q4_K ? C_Q4_WORDS : C_Q6_WORDS) + 64 * i));
        }
        x.test(R13);
        x.jz(singles);
        x.bind(quad);
        x.vpxord(0, 0, 0); // lanes 0, 2, 4, 6 (Q4_K) or 0-3 (Q6_K): the four rows' float sums
        x.mov(RAX, RSI);
        x.lea(R12, new Mem(RSI, R14, 2, 0));
        x.mov(RDI, RDX);
        x.mov(RBX, R10);
        x.bind(quadBlock);
        if (kind == Q4_K) {
            q4KQuadBlock(x);
        } else {
            q6KQuadBlock(x);
        }
        x.add(RAX, blockBytes);
        x.add(R12, blockBytes);
        x.add(RDI, X_BLOCK);
        x.dec(RBX);
        x.jnz(quadBlock);
        storeFour(x, kind == Q4_K ? 2 : 1);
        x.add(R8, 4);
        x.addReg(RSI, R9);
        x.dec(R13);
        x.jnz(quad);
        x.bind(singles);
        // The single rows follow the four streams' (r14 and r15 are 0 without groups).
        x.lea(RSI, new Mem(RSI, R14, 2, 0));
        x.addReg(RSI, R14);
        x.lea(R8, new Mem(R8, R15, 2, 0));
        x.addReg(R8, R15);
        x.test(RCX);
        x.jz(done);
        x.bind(row);
        x.vpxord(0, 0, 0); // lane 0: the row's float sum
        x.mov(RAX, RSI);
        x.mov(RDI, RDX);
        x.mov(RBX, R10);
        x.bind(block);
        if (kind == Q4_K) {
            q4KBlock(x);
        } else {
            q6KBlock(x);
        }
        x.add(RAX, blockBytes);
        x.add(RDI, X_BLOCK);
        x.dec(RBX);
        x.jnz(block);
        x.vmovssStore(Mem.at(R8, 0), 0);
        x.add(R8, 4);
        x.addReg(RSI, R9);
        x.dec(RCX);
        x.jnz(row);
        x.bind(done);
        x.pop(R15);
        x.pop(R14);
        x.pop(R13);
        x.pop(R12);
        x.pop(RBX);
        x.vzeroupper();
        x.ret();
        return x.bytes();
    }

    /** Byte {@code disp} of the current super-block of row {@code r} (0-3) of a group of four. */
    private static Mem rowAt(int r, int disp) {
        int base = r < 2 ? RAX : R12;
        return r % 2 == 0 ? Mem.at(base, disp) : new Mem(base, R14, 1, disp);
    }

    /** Stores the four rows' floats, {@code stride} lanes apart in zmm0's first 128-bit lane pair. */
    private static void storeFour(Assembler x, int stride) {
        x.lea(RBX, new Mem(R15, R15, 2, 0)); // the fourth row's float: r8 + 3 · r15
        x.vmovssStore(Mem.at(R8, 0), 0);
        x.vpshufd(9, 0, stride); // lane stride to lane 0
        x.vmovssStore(new Mem(R8, R15, 1, 0), 9);
        if (stride == 1) {
            x.vpshufd(9, 0, 2);
            x.vmovssStore(new Mem(R8, R15, 2, 0), 9);
            x.vpshufd(9, 0, 3);
            x.vmovssStore(new Mem(R8, RBX, 1, 0), 9);
        } else {
            x.vshufi64x2(10, 0, 0, 0x01); // 128-bit lane 1 (float lanes 4-7) to lane 0
            x.vmovssStore(new Mem(R8, R15, 2, 0), 10);
            x.vpshufd(9, 10, 2);
            x.vmovssStore(new Mem(R8, RBX, 1, 0), 9);
        }
    }

    /**
     * block_q4_K (144 bytes): f16 d, f16 dmin, 12 bytes of six-bit scales and mins, 128 bytes of
     * nibbles (32 bytes per 64 values: the first 32 in the low nibbles, the next 32 in the high).
     */
    private static void q4KBlock(Assembler x) {
        q4KSums(x, 0, 1, 5, 2, 6);
        // sumi (zmm1) and summs (zmm5) to lanes 0 and 1 of zmm1: pair sums, even lanes from one and
        // odd from the other, then a tree.
        x.vpshufd(18, 1, 0xB1);
        x.vpaddd(1, 1, 18);
        x.vpshufd(19, 5, 0xB1);
        x.vpaddd(5, 5, 19);
        x.vpternlogd(1, 5, Mem.at(R11, C_EVEN), 0xE4); // even lanes of zmm1, odd of zmm5
        reduceAdd(x, 1, 18, false);
        x.vpbroadcastd(10, Mem.at(RAX, 0)); // f16 d, f16 dmin in every dword
        q4KCombine(x, 1, 10, 9);
    }

    /**
     * Four rows at once (rows {@link #rowAt}): their sixteen-lane sums reduced together, so the
     * cross-lane work of {@link #q4KBlock} is shared by four rows, and their float steps done on
     * four lane pairs at once: lane 2r of zmm0 is row r's sum. Each lane takes the single-row
     * kernel's operations in its order, so every row gets the same bits.
     */
    private static void q4KQuadBlock(Assembler x) {
        for (int r = 0; r < 4; r++) {
            q4KSums(x, r, 1 + r, 5 + r, 9, 12);
        }
        // Row r's sumi (zmm1+r) and summs (zmm5+r) to dwords 2r and 2r + 1 of zmm1: interleave and
        // add dword pairs, then qword pairs (per 128-bit lane: sumi0, summs0, sumi1, summs1 in zmm1,
        // rows 2 and 3 in zmm3), then the four 128-bit lanes.
        for (int r = 0; r < 4; r++) {
            x.vpunpckldq(9, 1 + r, 5 + r);
            x.vpunpckhdq(10, 1 + r, 5 + r);
            x.vpaddd(1 + r, 9, 10);
        }
        for (int r = 0; r < 4; r += 2) {
            x.vpunpcklqdq(9, 1 + r, 2 + r);
            x.vpunpckhqdq(10, 1 + r, 2 + r);
            x.vpaddd(1 + r, 9, 10);
        }
        x.vshufi64x2(9, 1, 3, 0x44); // lanes 0, 1 of zmm1, then of zmm3
        x.vshufi64x2(10, 1, 3, 0xEE); // lanes 2, 3 of zmm1, then of zmm3
        x.vpaddd(1, 9, 10);
        x.vshufi64x2(9, 1, 1, 0x08); // lanes 0 and 2
        x.vshufi64x2(10, 1, 1, 0x0D); // lanes 1 and 3
        x.vpaddd(1, 9, 10);
        // Each row's (f16 d, f16 dmin) dword to dword r of every 128-bit lane.
        for (int r = 0; r < 4; r++) {
            x.vpbroadcastd(11 + r, rowAt(r, 0));
        }
        x.vpunpckldq(11, 11, 12);
        x.vpunpckldq(13, 13, 14);
        x.vpunpcklqdq(11, 11, 13);
        q4KCombine(x, 1, 11, 9);
    }

    /**
     * Row {@code r}'s integer sums of the current super-block: {@code sumi} gets Σ scale · q · x on
     * sixteen lanes, {@code summs} min · (the activation's run sums) in lanes 8-15; {@code scales}
     * and the twelve registers from {@code tmp} are overwritten.
     */
    private static void q4KSums(Assembler x, int r, int sumi, int summs, int scales, int tmp) {
        // scales: the eight scales in dwords 0-7 and the eight mins in 8-15 (ggml's
        // get_scale_min_k4 on all sixteen lanes at once: the same tables as KQuantMatVec's).
        int a = tmp;
        int h = tmp + 1;
        x.vpmovzxbd(scales, rowAt(r, 4));
        x.vpermd(a, 31, scales);
        x.vpsrlvd(a, a, Mem.at(R11, C_SCALE_SHIFT));
        x.vpandd(a, a, Mem.at(R11, C_SCALE_MASK));
        x.vpermd(h, 30, scales);
        x.vpsrld(h, h, 6);
        x.vpslld(h, h, 4);
        x.vpandd(h, h, Mem.at(R11, C_SCALE_HIGH));
        x.vpord(scales, a, h);
        // min_s * (sum of the activation's run of 32 s) in lanes 8-15, zeros in 0-7.
        x.vpmulld(summs, scales, Mem.at(RDI, X_MINS));
        x.vpxord(sumi, sumi, sumi);
        for (int g = 0; g < 4; g++) {
            int q = tmp + 3 * g; // each group its own registers
            x.vbroadcasti64x4(q, rowAt(r, 16 + 32 * g));
            x.vpsrlvw(q, q, Mem.at(R11, C_NIBBLE_SHIFT)); // upper half: the high nibbles
            x.vpandd(q, q, Mem.at(R11, C_0F)); // 64 values 0..15, in the activation's order
            x.vpmaddubsw(q + 1, q, Mem.at(RDI, 64 * g));
            x.vpermw(q + 2, 26 + g, scales); // scale 2g for words 0-15, 2g+1 for 16-31
            x.vpdpwssd(sumi, q + 1, q + 2);
        }
    }

    /**
     * zmm0 += (d·dx)·sumi − (dmin·dx)·summs on even lanes, from {@code sums} (sumi in even lanes,
     * summs in the odd lane after it) and {@code halves} (the f16 d and dmin in the same words of
     * its low 256 bits); {@code halves} and {@code tmp}, {@code tmp + 1} are overwritten.
     */
    private static void q4KCombine(Assembler x, int sums, int halves, int tmp) {
        x.vcvtdq2ps(tmp, sums); // (float) sumi, (float) summs
        x.vcvtph2ps(halves, halves);
        x.vmulps(halves, halves, Mem.at(RDI, X_D)); // d·dx, dmin·dx
        x.vmulps(tmp, tmp, halves);
        x.vpshufd(tmp + 1, tmp, 0xB1);
        x.vsubps(tmp, tmp, tmp + 1); // even lanes: (d·dx)·sumi − (dmin·dx)·summs
        x.vaddps(0, 0, tmp);
    }

    /**
     * block_q6_K (210 bytes): 128 bytes of low four bits, 64 of high two bits, 16 int8 scales (one
     * per 16 values), f16 d. Half h of 128 values: ql[64h + l] holds values l (low nibble) and 64 + l
     * (high), ql[64h + 32 + l] values 32 + l and 96 + l, qh[32h + l] their high bits, two each.
     */
    private static void q6KBlock(Assembler x) {
        q6KSums(x, 0, 1, 2, 5, 6);
        reduceAdd(x, 1, 20, true);
        x.vcvtdq2ps(9, 1);
        x.vpbroadcastw(10, Mem.at(RAX, 208));
        x.vcvtph2ps(10, 10);
        x.vmulps(10, 10, Mem.at(RDI, X_D)); // d·dx
        x.vmulps(9, 9, 10);
        x.vaddps(0, 0, 9);
    }

    /**
     * Four rows at once, as {@link #q4KQuadBlock}: lane r of zmm0 is row r's sum, with the
     * single-row kernel's float operations.
     */
    private static void q6KQuadBlock(Assembler x) {
        for (int r = 0; r < 4; r++) {
            q6KSums(x, r, 1 + r, 21, 22, 6);
        }
        // Dword r of every 128-bit lane: row r's partial sum; then the four 128-bit lanes.
        for (int r = 0; r < 4; r += 2) {
            x.vpunpckldq(9, 1 + r, 2 + r);
            x.vpunpckhdq(10, 1 + r, 2 + r);
            x.vpaddd(1 + r, 9, 10);
        }
        x.vpunpcklqdq(9, 1, 3);
        x.vpunpckhqdq(10, 1, 3);
        x.vpaddd(1, 9, 10);
        x.vshufi64x2(9, 1, 1, 0x4E);
        x.vpaddd(1, 1, 9);
        x.vshufi64x2(9, 1, 1, 0xB1);
        x.vpaddd(1, 1, 9);
        // Each row's f16 d (the high word of the dword ending the block) to word r.
        for (int r = 0; r < 4; r++) {
            x.vpbroadcastd(11 + r, rowAt(r, 206));
            x.vpsrld(11 + r, 11 + r, 16);
        }
        x.vpunpckldq(11, 11, 12);
        x.vpunpckldq(13, 13, 14);
        x.vpunpcklqdq(11, 11, 13);
        x.vpmovdw(11, 11);
        x.vcvtdq2ps(9, 1);
        x.vcvtph2ps(11, 11);
        x.vmulps(11, 11, Mem.at(RDI, X_D)); // d·dx
        x.vmulps(9, 9, 11);
        x.vaddps(0, 0, 9);
    }

    /**
     * Row {@code r}'s Σ scale · (q − 32) · x of the current super-block on sixteen lanes of {@code
     * sumi}; {@code scales}, {@code offset} and the fourteen registers from {@code tmp} are
     * overwritten.
     */
    private static void q6KSums(Assembler x, int r, int sumi, int scales, int offset, int tmp) {
        x.vpmovsxbd(scales, rowAt(r, 192)); // the 16 scales, one per dword (a word each for vpermw)
        x.vpmulld(offset, scales, Mem.at(RDI, X_BSUMS)); // scale_r * bsum_r: the offset term
        x.vpxord(sumi, sumi, sumi);
        for (int h = 0; h < 2; h++) {
            int q = tmp + 7 * h; // each half its own registers
            x.vmovdqu32Load(q, rowAt(r, 64 * h)); // ql: bytes 0-31 values l, 32-63 values 32 + l
            x.vbroadcasti64x4(q + 1, rowAt(r, 128 + 32 * h));
            x.vpsrlvw(q + 1, q + 1, Mem.at(R11, C_QH_SHIFT)); // upper half: qh >> 2
            // values 0..63 of the first 64: low nibbles | (qh bits << 4)
            x.vpsllw(q + 2, q + 1, 4);
            x.vpandd(q + 2, q + 2, Mem.at(R11, C_30));
            x.vpternlogd(q + 2, q, Mem.at(R11, C_0F), 0xF8); // q+2 | (ql & 0x0F)
            // of the next 64: high nibbles | (qh bits 4-5)
            x.vpsrlw(q + 3, q, 4);
            x.vpandd(q + 4, q + 1, Mem.at(R11, C_30));
            x.vpternlogd(q + 4, q + 3, Mem.at(R11, C_0F), 0xF8);
            x.vpmaddubsw(q + 2, q + 2, Mem.at(RDI, 128 * h));
            x.vpmaddubsw(q + 4, q + 4, Mem.at(RDI, 128 * h + 64));
            x.vpermw(q + 5, 26 + 2 * h, scales);
            x.vpdpwssd(sumi, q + 2, q + 5);
            x.vpermw(q + 6, 27 + 2 * h, scales);
            x.vpdpwssd(sumi, q + 4, q + 6);
        }
        x.vpslld(offset, offset, 5);
        x.vpsubd(sumi, sumi, offset); // Σ scale · (q − 32) · x = Σ scale · q · x − 32 Σ scale · bsum
    }

    /**
     * Adds the lanes of {@code v}: within 128-bit lanes (pairs of dwords when {@code pairs}, else
     * already paired: only the swap of dword pairs), then across them; every lane ends with the sum
     * of its parity class ({@code pairs}: of all lanes).
     */
    private static void reduceAdd(Assembler x, int v, int tmp, boolean pairs) {
        if (pairs) {
            x.vpshufd(tmp, v, 0xB1);
            x.vpaddd(v, v, tmp);
        }
        x.vpshufd(tmp, v, 0x4E);
        x.vpaddd(v, v, tmp);
        x.vshufi64x2(tmp, v, v, 0xB1);
        x.vpaddd(v, v, tmp);
        x.vshufi64x2(tmp, v, v, 0x4E);
        x.vpaddd(v, v, tmp);
    }

    private static Mem param(int slot) {
        return Mem.at(RDI, 8 * slot);
    }

    /** The constant block, little-endian. */
    static byte[] constantBytes() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(C_BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        // get_scale_min_k4 on dword lanes of the 12 scale bytes: lane s < 8 scale s, 8 + s min s,
        // ((p[A] >>> SHIFT) & MASK) | (((p[H] >>> 6) << 4) & HIGH).
        ints(b, C_SCALE_A, 0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11);
        ints(b, C_SCALE_H, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7);
        ints(b, C_SCALE_SHIFT, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4);
        ints(b, C_SCALE_MASK, 63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15);
        ints(b, C_SCALE_HIGH, 0, 0, 0, 0, 48, 48, 48, 48, 0, 0, 0, 0, 48, 48, 48, 48);
        for (int i = 0; i < 32; i++) {
            b.putShort(C_NIBBLE_SHIFT + 2 * i, (short) (i < 16 ? 0 : 4));
            b.putShort(C_QH_SHIFT + 2 * i, (short) (i < 16 ? 0 : 2));
        }
        for (int i = 0; i < 64; i++) {
            b.put(C_0F + i, (byte) 0x0F);
            b.put(C_30 + i, (byte) 0x30);
        }
        for (int i = 0; i < 16; i++) {
            b.putInt(C_EVEN + 4 * i, i % 2 == 0 ? -1 : 0);
        }
        for (int v = 0; v < 4; v++) {
            for (int wd = 0; wd < 32; wd++) {
                // Q4_K: vector g's words 0-15 take scale 2g (word 4g of the scale vector), 16-31 scale 2g+1.
                b.putShort(C_Q4_WORDS + 64 * v + 2 * wd, (short) (2 * (2 * v + wd / 16)));
                // Q6_K: vector 2h+p holds values 128h + 64p .. +64, in runs of 16: scale 8h + 4p + wd/8.
                b.putShort(C_Q6_WORDS + 64 * v + 2 * wd, (short) (2 * (4 * v + wd / 8)));
            }
        }
        return b.array();
    }

    private static void ints(java.nio.ByteBuffer b, int at, int... v) {
        for (int i = 0; i < v.length; i++) {
            b.putInt(at + 4 * i, v[i]);
        }
    }
}
