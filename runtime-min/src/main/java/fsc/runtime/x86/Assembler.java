package fsc.runtime.x86;

/**
 * The few x86-64 instructions fsc's native CPU kernels need, encoded to bytes (Intel SDM vol. 2:
 * REX and EVEX prefixes, ModRM, SIB, rel32 jumps). It is an encoder, not a general assembler:
 * 512-bit EVEX forms only, memory operands as {@code [base + index · scale + disp32]} ({@link Mem},
 * always a 32-bit displacement), broadcast and merge-masking only where a form says so. Each method names the instruction it
 * emits in Intel syntax, destination first. This class holds the vector forms; the general-purpose
 * ones (moves, address arithmetic, loop control) are in {@link GprInstructions}.
 *
 * <p>Why fsc writes machine code: the Vector API of JDK 25 has no byte dot product, so the best
 * Java int8 GEMM is an f32 FMA kernel at a third of {@code vpdpbusd}'s rate (docs/PERFORMANCE-INT8.md).
 * An ahead-of-time compiler can emit the instruction itself; the runtime maps it executable
 * ({@link ExecutableMemory}) and calls it through the FFM linker.
 */
public final class Assembler extends GprInstructions {
    /** General-purpose registers, numbered as the encoding numbers them. */
    public static final int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;

    public static final int R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15;

    /** No index register in a {@link Mem}. */
    public static final int NONE = -1;

    /** A memory operand {@code [base + index · scale + disp]}; {@code index} may be {@link #NONE}. */
    public record Mem(int base, int index, int scale, int disp) {
        public Mem {
            gpr(base);
            if (index != NONE) {
                gpr(index);
                if (index == RSP) {
                    throw new IllegalArgumentException("rsp cannot be an index");
                }
            }
            if (scale != 1 && scale != 2 && scale != 4 && scale != 8) {
                throw new IllegalArgumentException("scale " + scale + " is not 1, 2, 4 or 8");
            }
        }

        /** {@code [base + disp]}. */
        public static Mem at(int base, int disp) {
            return new Mem(base, NONE, 1, disp);
        }

        /** {@code [base + index · scale]}. */
        public static Mem at(int base, int index, int scale) {
            return new Mem(base, index, scale, 0);
        }
    }

    // ---- AVX-512 (512-bit, EVEX) ----

    /** {@code vmovdqu32 zmm, mem}. */
    public void vmovdqu32Load(int zmm, Mem m) {
        evexMem(PP_F3, MAP_0F, 0x6F, zmm, 0, m);
    }

    /** {@code vmovdqu32 mem, zmm}. */
    public void vmovdqu32Store(Mem m, int zmm) {
        evexMem(PP_F3, MAP_0F, 0x7F, zmm, 0, m);
    }

    /** {@code vpbroadcastd zmm, dword mem}. */
    public void vpbroadcastd(int zmm, Mem m) {
        evexMem(PP_66, MAP_0F38, 0x58, zmm, 0, m);
    }

    /**
     * {@code vpdpbusd acc, u8, s8} (AVX512_VNNI): each int32 lane of {@code acc} gains the sum of the
     * four products of the lane's unsigned bytes of {@code u8} with its signed bytes of {@code s8}.
     */
    public void vpdpbusd(int acc, int u8, int s8) {
        evexReg(PP_66, MAP_0F38, 0x50, acc, u8, s8);
    }

    /** {@code vpmulld dst, a, mem} (low 32 bits of each product). */
    public void vpmulld(int dst, int a, Mem m) {
        evexMem(PP_66, MAP_0F38, 0x40, dst, a, m);
    }

    /** {@code vcvtdq2ps dst, src}: int32 to f32, rounded to nearest even as Java's cast. */
    public void vcvtdq2ps(int dst, int src) {
        evexReg(PP_NONE, MAP_0F, 0x5B, dst, 0, src);
    }

    /** {@code vmulps dst, a, mem}. */
    public void vmulps(int dst, int a, Mem m) {
        evexMem(PP_NONE, MAP_0F, 0x59, dst, a, m);
    }

    /** {@code vaddps dst, a, mem}. */
    public void vaddps(int dst, int a, Mem m) {
        evexMem(PP_NONE, MAP_0F, 0x58, dst, a, m);
    }

    /**
     * {@code vfmadd231ps acc, b, dword mem{1to16}}: {@code acc = b · broadcast(mem) + acc}, fused
     * (one rounding), as {@code FloatVector.fma} computes it.
     */
    public void vfmadd231psBroadcast(int acc, int b, Mem m) {
        vector(acc);
        vector(b);
        int x = m.index() == NONE ? 0 : m.index() >> 3 & 1;
        evexPrefix(PP_66, MAP_0F38, acc, b, m.base() >> 3 & 1, x, true);
        emit(0xB8);
        modrm(acc, m);
    }

    /** {@code vdivps dst, a, b}. */
    public void vdivps(int dst, int a, int b) {
        evexReg(PP_NONE, MAP_0F, 0x5E, dst, a, b);
    }

    /** {@code vaddps dst, a, b}. */
    public void vaddps(int dst, int a, int b) {
        evexReg(PP_NONE, MAP_0F, 0x58, dst, a, b);
    }

    /** {@code vsubps dst, a, b}. */
    public void vsubps(int dst, int a, int b) {
        evexReg(PP_NONE, MAP_0F, 0x5C, dst, a, b);
    }

    /** {@code vmaxps dst, a, b}: {@code b} where either is NaN or both are zeros. */
    public void vmaxps(int dst, int a, int b) {
        evexReg(PP_NONE, MAP_0F, 0x5F, dst, a, b);
    }

    /** {@code vminps dst, a, b}: {@code b} where either is NaN or both are zeros. */
    public void vminps(int dst, int a, int b) {
        evexReg(PP_NONE, MAP_0F, 0x5D, dst, a, b);
    }

    /** {@code vmaxps dst, a, mem}. */
    public void vmaxps(int dst, int a, Mem m) {
        evexMem(PP_NONE, MAP_0F, 0x5F, dst, a, m);
    }

    /** {@code vminps dst, a, mem}. */
    public void vminps(int dst, int a, Mem m) {
        evexMem(PP_NONE, MAP_0F, 0x5D, dst, a, m);
    }

    /** {@code vcvttps2dq dst, src}: f32 to int32, truncating as Java's cast does. */
    public void vcvttps2dq(int dst, int src) {
        evexReg(PP_F3, MAP_0F, 0x5B, dst, 0, src);
    }

    /** {@code vpmovusdb xmmword mem, zmm}: sixteen uint32 to bytes, saturating at 255. */
    public void vpmovusdbStore(Mem m, int zmm) {
        evexMem(PP_F3, MAP_0F38, 0x11, zmm, 0, m);
    }

    /** {@code vbroadcastss zmm, dword mem}. */
    public void vbroadcastss(int zmm, Mem m) {
        evexMem(PP_66, MAP_0F38, 0x18, zmm, 0, m);
    }

    /** {@code vpaddd dst, a, b}. */
    public void vpaddd(int dst, int a, int b) {
        evexReg(PP_66, MAP_0F, 0xFE, dst, a, b);
    }

    /** {@code vpxord dst, a, b}. */
    public void vpxord(int dst, int a, int b) {
        evexReg(PP_66, MAP_0F, 0xEF, dst, a, b);
    }

    /** {@code vmovups zmm, mem}. */
    public void vmovupsLoad(int zmm, Mem m) {
        evexMem(PP_NONE, MAP_0F, 0x10, zmm, 0, m);
    }

    // ---- the decode matvec kernels' forms (QuantMatVecKernels) ----

    /** {@code movzx dst32, word mem}: the 16 bits at {@code m}, zero-extended to the whole register. */
    public void movzxWord(int dst, Mem m) {
        gpr(dst);
        int x = m.index() == NONE ? 0 : m.index() >> 3 & 1;
        int rex = (dst >> 3 & 1) << 2 | x << 1 | (m.base() >> 3 & 1);
        if (rex != 0) {
            emit(0x40 | rex);
        }
        emit(0x0F);
        emit(0xB7);
        modrm(dst, m);
    }

    /** {@code vpmovzxbd zmm, xmmword mem}: sixteen unsigned bytes to int32 lanes. */
    public void vpmovzxbd(int zmm, Mem m) {
        evexMem(PP_66, MAP_0F38, 0x31, zmm, 0, m);
    }

    /** {@code vpmovsxbd zmm, xmmword mem}: sixteen signed bytes to int32 lanes. */
    public void vpmovsxbd(int zmm, Mem m) {
        evexMem(PP_66, MAP_0F38, 0x21, zmm, 0, m);
    }

    /**
     * {@code vpermd dst, index, table}: lane i of {@code dst} is lane {@code index[i] mod 16} of
     * {@code table}, as {@code IntVector.selectFrom} with wrapping indices computes it.
     */
    public void vpermd(int dst, int index, int table) {
        evexReg(PP_66, MAP_0F38, 0x36, dst, index, table);
    }

    /** {@code vpsrld dst, src, imm8}: each int32 lane shifted right, zeros in. */
    public void vpsrld(int dst, int src, int imm) {
        vector(dst);
        vector(src);
        // 72 /2 ib: the ModRM reg field is the opcode extension 2, the destination is EVEX.vvvv.
        evexPrefix(PP_66, MAP_0F, 2, dst, (src >> 3) & 1, (src >> 4) & 1);
        emit(0x72);
        emit(0xC0 | 2 << 3 | (src & 7));
        emit(imm);
    }

    /** {@code vfmadd231ps acc, a, b}: {@code acc = a · b + acc}, one rounding. */
    public void vfmadd231ps(int acc, int a, int b) {
        evexReg(PP_66, MAP_0F38, 0xB8, acc, a, b);
    }

    /** {@code vfmadd231ps acc, a, mem}: {@code acc = a · mem + acc}, one rounding. */
    public void vfmadd231ps(int acc, int a, Mem m) {
        evexMem(PP_66, MAP_0F38, 0xB8, acc, a, m);
    }

    /** {@code vmulss dst, a, b} (VEX, registers 0-15): lane 0 of {@code a} times lane 0 of {@code b}. */
    public void vmulss(int dst, int a, int b) {
        if (dst < 0 || dst > 15 || a < 0 || a > 15 || b < 0 || b > 15) {
            throw new IllegalArgumentException("vmulss takes xmm0-15");
        }
        emit(0xC4);
        emit((~dst >> 3 & 1) << 7 | 1 << 6 | (~b >> 3 & 1) << 5 | MAP_0F);
        emit((~a & 0xF) << 3 | PP_F3); // W0, vvvv = a, L0
        emit(0x59);
        emit(0xC0 | (dst & 7) << 3 | (b & 7));
    }

    /** {@code vpandd dst, a, b}. */
    public void vpandd(int dst, int a, int b) {
        evexReg(PP_66, MAP_0F, 0xDB, dst, a, b);
    }

    /** {@code vpord dst, a, b}. */
    public void vpord(int dst, int a, int b) {
        evexReg(PP_66, MAP_0F, 0xEB, dst, a, b);
    }

    /** {@code prefetcht1 byte mem}: the line into L2 (and outer levels), never a fault. */
    public void prefetcht1(Mem m) {
        int x = m.index() == NONE ? 0 : m.index() >> 3 & 1;
        int b = m.base() >> 3 & 1;
        if (x != 0 || b != 0) {
            emit(0x40 | x << 1 | b);
        }
        emit(0x0F);
        emit(0x18);
        modrm(2, m);
    }

    // ---- AVX-512 forms of the f32 GEMM's GELU epilogue (register, {1to16} broadcast and opmask forms) ----

    /** {@code vmulps dst, a, b}. */
    public void vmulps(int dst, int a, int b) {
        evexReg(PP_NONE, MAP_0F, 0x59, dst, a, b);
    }

    /** {@code vmulps dst, a, dword mem{1to16}}. */
    public void vmulpsBroadcast(int dst, int a, Mem m) {
        evexBroadcast(PP_NONE, MAP_0F, 0x59, dst, a, m, 0);
    }

    /** {@code vaddps dst, a, dword mem{1to16}}. */
    public void vaddpsBroadcast(int dst, int a, Mem m) {
        evexBroadcast(PP_NONE, MAP_0F, 0x58, dst, a, m, 0);
    }

    /** {@code vsubps dst, a, dword mem{1to16}}. */
    public void vsubpsBroadcast(int dst, int a, Mem m) {
        evexBroadcast(PP_NONE, MAP_0F, 0x5C, dst, a, m, 0);
    }

    /** {@code vfmadd213ps acc, b, c}: {@code acc = b · acc + c}, one rounding. */
    public void vfmadd213ps(int acc, int b, int c) {
        evexReg(PP_66, MAP_0F38, 0xA8, acc, b, c);
    }

    /** {@code vfmadd213ps acc, b, dword mem{1to16}}: {@code acc = b · acc + mem}, one rounding. */
    public void vfmadd213psBroadcast(int acc, int b, Mem m) {
        evexBroadcast(PP_66, MAP_0F38, 0xA8, acc, b, m, 0);
    }

    /** {@code vfnmadd231ps acc, a, b}: {@code acc = -(a · b) + acc}, one rounding. */
    public void vfnmadd231ps(int acc, int a, int b) {
        evexReg(PP_66, MAP_0F38, 0xBC, acc, a, b);
    }

    /** {@code vpandd dst, a, dword mem{1to16}}. */
    public void vpanddBroadcast(int dst, int a, Mem m) {
        evexBroadcast(PP_66, MAP_0F, 0xDB, dst, a, m, 0);
    }

    /** {@code vpxord dst, a, dword mem{1to16}}. */
    public void vpxordBroadcast(int dst, int a, Mem m) {
        evexBroadcast(PP_66, MAP_0F, 0xEF, dst, a, m, 0);
    }

    /** {@code vpaddd dst, a, dword mem{1to16}}. */
    public void vpadddBroadcast(int dst, int a, Mem m) {
        evexBroadcast(PP_66, MAP_0F, 0xFE, dst, a, m, 0);
    }

    /** {@code vpsubd dst, a, b}. */
    public void vpsubd(int dst, int a, int b) {
        evexReg(PP_66, MAP_0F, 0xFA, dst, a, b);
    }

    /** {@code vpsrad dst, src, imm8}: arithmetic right shift of each int32 lane. */
    public void vpsrad(int dst, int src, int imm) {
        evexReg(PP_66, MAP_0F, 0x72, 4, dst, src);
        emit(imm);
    }

    /** {@code vpslld dst, src, imm8}. */
    public void vpslld(int dst, int src, int imm) {
        evexReg(PP_66, MAP_0F, 0x72, 6, dst, src);
        emit(imm);
    }

    /** {@code vcmpps k, a, dword mem{1to16}, predicate} ({@link #LT_OQ}, {@link #GT_OQ}: false on NaN). */
    public void vcmppsBroadcast(int k, int a, Mem m, int predicate) {
        opmask(k);
        evexBroadcast(PP_NONE, MAP_0F, 0xC2, k, a, m, 0);
        emit(predicate);
    }

    /** {@code vcmpps} predicates: less than and greater than, ordered, quiet. */
    public static final int LT_OQ = 0x11, GT_OQ = 0x1E;

    /** {@code vblendmps dst{k}, a, b}: {@code dst = k ? b : a} per lane. */
    public void vblendmps(int dst, int k, int a, int b) {
        opmask(k);
        vector(dst);
        vector(a);
        vector(b);
        evexPrefixMasked(PP_66, MAP_0F38, dst, a, (b >> 3) & 1, (b >> 4) & 1, false, k);
        emit(0x65);
        emit(0xC0 | (dst & 7) << 3 | (b & 7));
    }

    /** {@code vblendmps dst{k}, a, dword mem{1to16}}: {@code dst = k ? mem : a} per lane. */
    public void vblendmpsBroadcast(int dst, int k, int a, Mem m) {
        opmask(k);
        evexBroadcast(PP_66, MAP_0F38, 0x65, dst, a, m, k);
    }

    // ---- forms of the K-quant × Q8_K decode kernels (KQuantKernels) ----

    /** {@code vpermw dst, idx, table} (AVX512BW): word {@code i} of dst is word {@code idx[i] & 31} of table. */
    public void vpermw(int dst, int idx, int table) {
        evex(PP_66, MAP_0F38, true, 0x8D, dst, idx, table, null, -1, 2);
    }

    /** {@code vpsrlvd dst, a, mem}: each dword shifted right (logical) by its own count. */
    public void vpsrlvd(int dst, int a, Mem counts) {
        evex(PP_66, MAP_0F38, false, 0x45, dst, a, -1, counts, -1, 2);
    }

    /** {@code vpsrlvw dst, a, mem} (AVX512BW): each word shifted right (logical) by its own count. */
    public void vpsrlvw(int dst, int a, Mem counts) {
        evex(PP_66, MAP_0F38, true, 0x10, dst, a, -1, counts, -1, 2);
    }

    /** {@code vpandd dst, a, mem}. */
    public void vpandd(int dst, int a, Mem m) {
        evex(PP_66, MAP_0F, false, 0xDB, dst, a, -1, m, -1, 2);
    }

    /**
     * {@code vpternlogd dst, b, mem, imm}: each bit of dst becomes bit {@code (dst << 2 | b << 1 |
     * mem)} of {@code imm}.
     */
    public void vpternlogd(int dst, int b, Mem c, int imm) {
        evex(PP_66, MAP_0F3A, false, 0x25, dst, b, -1, c, imm, 2);
    }

    /**
     * {@code vpmaddubsw dst, u8, mem} (AVX512BW): each word of dst is the sum of the two products of
     * the unsigned bytes of {@code u8} with the signed bytes of {@code mem}, saturated to int16.
     */
    public void vpmaddubsw(int dst, int u8, Mem s8) {
        evex(PP_66, MAP_0F38, false, 0x04, dst, u8, -1, s8, -1, 2);
    }

    /**
     * {@code vpdpwssd acc, a, b} (AVX512_VNNI): each dword of {@code acc} gains the two products of
     * its signed words of {@code a} and {@code b}, without saturation.
     */
    public void vpdpwssd(int acc, int a, int b) {
        evex(PP_66, MAP_0F38, false, 0x52, acc, a, b, null, -1, 2);
    }

    /** {@code vbroadcasti64x4 zmm, ymmword mem}: 32 bytes into both halves. */
    public void vbroadcasti64x4(int zmm, Mem m) {
        evex(PP_66, MAP_0F38, true, 0x5B, zmm, 0, -1, m, -1, 2);
    }

    /** {@code vpbroadcastw zmm, word mem} (AVX512BW). */
    public void vpbroadcastw(int zmm, Mem m) {
        evex(PP_66, MAP_0F38, false, 0x79, zmm, 0, -1, m, -1, 2);
    }

    /** {@code vpsrlw dst, src, imm} (AVX512BW). */
    public void vpsrlw(int dst, int src, int imm) {
        evex(PP_66, MAP_0F, false, 0x71, 2, dst, src, null, imm, 2);
    }

    /** {@code vpsllw dst, src, imm} (AVX512BW). */
    public void vpsllw(int dst, int src, int imm) {
        evex(PP_66, MAP_0F, false, 0x71, 6, dst, src, null, imm, 2);
    }

    /** {@code vpshufd dst, src, imm}: dwords shuffled within each 128-bit lane. */
    public void vpshufd(int dst, int src, int imm) {
        evex(PP_66, MAP_0F, false, 0x70, dst, 0, src, null, imm, 2);
    }

    /**
     * {@code vshufi64x2 dst, a, b, imm}: 128-bit lanes 0-1 of dst from {@code a}, 2-3 from {@code b},
     * two bits of {@code imm} each.
     */
    public void vshufi64x2(int dst, int a, int b, int imm) {
        evex(PP_66, MAP_0F3A, true, 0x43, dst, a, b, null, imm, 2);
    }

    /** {@code vcvtph2ps zmm, ymm}: sixteen halves to floats (exact). */
    public void vcvtph2ps(int dst, int src) {
        evex(PP_66, MAP_0F38, false, 0x13, dst, 0, src, null, -1, 2);
    }

    /** {@code vmovss dword mem, xmm}: lane 0 of a vector register (EVEX, so any of the 32). */
    public void vmovssStore(Mem m, int xmm) {
        evex(PP_F3, MAP_0F, false, 0x11, xmm, 0, -1, m, -1, 0);
    }

    // Forms added for the Q8_K prefill GEMM.

    /**
     * {@code vpdpbusd acc, u8, dword mem{1to16}} (AVX512_VNNI): the four signed bytes at {@code mem}
     * repeated to every lane, each lane's four products with its unsigned bytes of {@code u8} added.
     */
    public void vpdpbusdBroadcast(int acc, int u8, Mem s8) {
        evexBroadcast(PP_66, MAP_0F38, 0x50, acc, u8, s8, 0);
    }

    /** {@code vpdpwssd acc, a, dword mem{1to16}} (AVX512_VNNI): two signed words at {@code mem} to every lane. */
    public void vpdpwssdBroadcast(int acc, int a, Mem b) {
        evexBroadcast(PP_66, MAP_0F38, 0x52, acc, a, b, 0);
    }

    // Forms added for the Q8_0 kernels.

    /** {@code vbroadcasti32x4 zmm, xmmword mem}: 16 bytes into all four 128-bit lanes. */
    public void vbroadcasti32x4(int zmm, Mem m) {
        evex(PP_66, MAP_0F38, false, 0x5A, zmm, 0, -1, m, -1, 2);
    }

    /** {@code vinserti32x4 dst, src, xmmword mem, lane}: {@code src} with 128-bit lane {@code lane} from memory. */
    public void vinserti32x4(int dst, int src, Mem m, int lane) {
        evex(PP_66, MAP_0F3A, false, 0x38, dst, src, -1, m, lane & 3, 2);
    }

    /** {@code vpmovdw ymm dst, zmm src}: the low words of sixteen dwords (truncating). */
    public void vpmovdw(int dst, int src) {
        evex(PP_F3, MAP_0F38, false, 0x33, src, 0, dst, null, -1, 2);
    }

    /** {@code kxnorw k, a, b}: with {@code a == b}, all sixteen mask bits set. */
    public void kxnorw(int k, int a, int b) {
        if (k < 0 || k > 7 || a < 0 || a > 7 || b < 0 || b > 7) {
            throw new IllegalArgumentException("kxnorw takes k0-k7");
        }
        emit(0xC5);
        emit(0x80 | (~a & 0xF) << 3 | 0x04); // R̄ = 1, vvvv = ~a, L1, pp none
        emit(0x46);
        emit(0xC0 | k << 3 | b);
    }

    /**
     * {@code vpgatherdd dst{k}, [base + index·scale + disp]} with a zmm {@code index} of sixteen
     * dword offsets: lane i loads the dword at {@code base + index[i]·scale + disp} where mask bit i
     * is set, and clears the bit (so {@code k} is all zeros afterwards). {@code dst} and {@code
     * index} must differ.
     */
    public void vpgatherdd(int dst, int k, int base, int index, int scale, int disp) {
        vector(dst);
        vector(index);
        gpr(base);
        if (k < 1 || k > 7 || dst == index) {
            throw new IllegalArgumentException("vpgatherdd needs a mask k1-k7 and distinct destination and index");
        }
        if (scale != 1 && scale != 2 && scale != 4 && scale != 8) {
            throw new IllegalArgumentException("scale " + scale + " is not 1, 2, 4 or 8");
        }
        emit(0x62);
        emit((~dst >> 3 & 1) << 7 | (~index >> 3 & 1) << 6 | (~base >> 3 & 1) << 5 | (~dst >> 4 & 1) << 4 | MAP_0F38);
        emit(0x78 | 0x04 | PP_66); // W0, vvvv 1111 (unused)
        emit(0b10 << 5 | (~index >> 4 & 1) << 3 | k);
        emit(0x90);
        emit(0x80 | (dst & 7) << 3 | 4); // mod 10: disp32, SIB follows
        emit(Integer.numberOfTrailingZeros(scale) << 6 | (index & 7) << 3 | (base & 7));
        emit32(disp);
    }

    /** {@code vpunpckldq dst, a, b}: per 128-bit lane, dwords 0 and 1 of {@code a} and {@code b} interleaved. */
    public void vpunpckldq(int dst, int a, int b) {
        evex(PP_66, MAP_0F, false, 0x62, dst, a, b, null, -1, 2);
    }

    /** {@code vpunpckhdq dst, a, b}: per 128-bit lane, dwords 2 and 3 of {@code a} and {@code b} interleaved. */
    public void vpunpckhdq(int dst, int a, int b) {
        evex(PP_66, MAP_0F, false, 0x6A, dst, a, b, null, -1, 2);
    }

    /** {@code vpunpcklqdq dst, a, b}: per 128-bit lane, qword 0 of {@code a}, then of {@code b}. */
    public void vpunpcklqdq(int dst, int a, int b) {
        evex(PP_66, MAP_0F, true, 0x6C, dst, a, b, null, -1, 2);
    }

    /** {@code vpunpckhqdq dst, a, b}: per 128-bit lane, qword 1 of {@code a}, then of {@code b}. */
    public void vpunpckhqdq(int dst, int a, int b) {
        evex(PP_66, MAP_0F, true, 0x6D, dst, a, b, null, -1, 2);
    }

    /**
     * {@code valignd dst, high, low, imm}: the 32 dwords {@code high:low} shifted down by {@code imm}
     * dwords, the low 16 kept ({@code imm} 1: lanes 1-15 of {@code low}, then lane 0 of {@code high}).
     */
    public void valignd(int dst, int high, int low, int imm) {
        evex(PP_66, MAP_0F3A, false, 0x03, dst, high, low, null, imm, 2);
    }

    // Forms of the f16 flash-attention kernels (F16FlashKernels).

    /** {@code vcvtph2ps zmm, ymmword mem}: sixteen halves at {@code m} to floats (exact). */
    public void vcvtph2ps(int dst, Mem m) {
        evex(PP_66, MAP_0F38, false, 0x13, dst, 0, -1, m, -1, 2);
    }

    /**
     * {@code vcvtps2ph ymm, zmm, 0}: sixteen floats to halves rounded to nearest even (the immediate's
     * rounding, not MXCSR's), as {@code Float.floatToFloat16} rounds.
     */
    public void vcvtps2ph(int dst, int src) {
        evex(PP_66, MAP_0F3A, false, 0x1D, src, 0, dst, null, 0, 2);
    }

    /**
     * {@code vcvtps2ph ymmword mem, zmm, 0}: sixteen floats to halves at {@code m}, rounded to nearest
     * even as {@code Float.floatToFloat16} rounds.
     */
    public void vcvtps2phStore(Mem m, int src) {
        evex(PP_66, MAP_0F3A, false, 0x1D, src, 0, -1, m, 0, 2);
    }

    // Forms of the per-row s8 quantizer (QuantizeRowsKernels).

    /** {@code vpmovsdb xmmword mem, zmm}: sixteen int32 to bytes, saturating at -128 and 127. */
    public void vpmovsdbStore(Mem m, int zmm) {
        evexMem(PP_F3, MAP_0F38, 0x21, zmm, 0, m);
    }

    // Forms of the packed Q4_K decode kernel (KQuantPackedKernels).

    /** {@code vpmovzxbw zmm, ymmword mem}: 32 unsigned bytes to words. */
    public void vpmovzxbw(int zmm, Mem m) {
        evexMem(PP_66, MAP_0F38, 0x30, zmm, 0, m);
    }

    /** {@code vpsrlw dst, zmmword mem, imm} (AVX512BW): the words at {@code m} shifted right. */
    public void vpsrlw(int dst, Mem m, int imm) {
        evex(PP_66, MAP_0F, false, 0x71, 2, dst, -1, m, imm, 2);
    }

    /** {@code vpmulld dst, a, b}: the low 32 bits of each dword product. */
    public void vpmulld(int dst, int a, int b) {
        evexReg(PP_66, MAP_0F38, 0x40, dst, a, b);
    }

    /** {@code vpternlogd dst, b, c, imm}: as the memory form, {@code c} a register. */
    public void vpternlogd(int dst, int b, int c, int imm) {
        evex(PP_66, MAP_0F3A, false, 0x25, dst, b, c, null, imm, 2);
    }

    // Forms of the weight repack kernels (RepackKernels).

    /** {@code vpmovdw ymmword mem, zmm}: sixteen int32 to their low words (truncating). */
    public void vpmovdwStore(Mem m, int zmm) {
        evexMem(PP_F3, MAP_0F38, 0x33, zmm, 0, m);
    }

    /** {@code vpmovdb xmmword mem, zmm}: sixteen int32 to their low bytes (truncating). */
    public void vpmovdbStore(Mem m, int zmm) {
        evexMem(PP_F3, MAP_0F38, 0x31, zmm, 0, m);
    }

    // Forms of the flash kernels' online softmax (F16FlashKernels: four heads' running max and sums in one xmm).

    /** {@code vcmpps k, a, b, predicate} ({@link #GT_OQ}: false on NaN). */
    public void vcmpps(int k, int a, int b, int predicate) {
        opmask(k);
        evex(PP_NONE, MAP_0F, false, 0xC2, k, a, b, null, predicate, 2);
    }

    /** {@code kortestw a, b}: ZF set when {@code a | b} has no bit set (then {@link #jz} jumps). */
    public void kortestw(int a, int b) {
        if (a < 0 || a > 7 || b < 0 || b > 7) {
            throw new IllegalArgumentException("kortestw takes k0-k7");
        }
        emit(0xC5);
        emit(0xF8); // R̄ = 1, vvvv unused (1111), L0, pp none
        emit(0x98);
        emit(0xC0 | a << 3 | b);
    }

    /** {@code vmovups xmm, xmmword mem}: four floats. */
    public void vmovupsLoad128(int xmm, Mem m) {
        evex(PP_NONE, MAP_0F, false, 0x10, xmm, 0, -1, m, -1, 0);
    }

    /** {@code vmovups xmmword mem, xmm}: four floats. */
    public void vmovupsStore128(Mem m, int xmm) {
        evex(PP_NONE, MAP_0F, false, 0x11, xmm, 0, -1, m, -1, 0);
    }

    // Scalar forms of the layer-norm rows (LayerNormKernels): lane 0 only, EVEX so any of the 32
    // registers; the upper lanes of dst come from a. Each is IEEE-exact, as Java's float and double
    // operators are, so a row's mean and reciprocal deviation have the Java kernel's bits.

    /** {@code vmovss xmm, dword mem}. */
    public void vmovssLoad(int xmm, Mem m) {
        evex(PP_F3, MAP_0F, false, 0x10, xmm, 0, -1, m, -1, 0);
    }

    /** {@code vmovsd xmm, qword mem}. */
    public void vmovsdLoad(int xmm, Mem m) {
        evex(PP_F2, MAP_0F, true, 0x10, xmm, 0, -1, m, -1, 0);
    }

    /** {@code vaddss dst, a, b}. */
    public void vaddss(int dst, int a, int b) {
        evex(PP_F3, MAP_0F, false, 0x58, dst, a, b, null, -1, 0);
    }

    /** {@code vaddss dst, a, dword mem}. */
    public void vaddss(int dst, int a, Mem m) {
        evex(PP_F3, MAP_0F, false, 0x58, dst, a, -1, m, -1, 0);
    }

    /** {@code vsubss dst, a, b}. */
    public void vsubss(int dst, int a, int b) {
        evex(PP_F3, MAP_0F, false, 0x5C, dst, a, b, null, -1, 0);
    }

    /** {@code vmulss dst, a, dword mem}. */
    public void vmulss(int dst, int a, Mem m) {
        evex(PP_F3, MAP_0F, false, 0x59, dst, a, -1, m, -1, 0);
    }

    /** {@code vdivss dst, a, b}: {@code a / b}. */
    public void vdivss(int dst, int a, int b) {
        evex(PP_F3, MAP_0F, false, 0x5E, dst, a, b, null, -1, 0);
    }

    /** {@code vfmadd231ss acc, a, b}: {@code acc = a · b + acc}, one rounding ({@code Math.fma}). */
    public void vfmadd231ss(int acc, int a, int b) {
        evex(PP_66, MAP_0F38, false, 0xB9, acc, a, b, null, -1, 0);
    }

    /** {@code vcvtss2sd dst, a, b}: the float in {@code b} widened (exact). */
    public void vcvtss2sd(int dst, int a, int b) {
        evex(PP_F3, MAP_0F, false, 0x5A, dst, a, b, null, -1, 0);
    }

    /** {@code vcvtsd2ss dst, a, b}: the double in {@code b} rounded to float, as Java's cast. */
    public void vcvtsd2ss(int dst, int a, int b) {
        evex(PP_F2, MAP_0F, true, 0x5A, dst, a, b, null, -1, 0);
    }

    /** {@code vsqrtsd dst, a, b}: the square root of {@code b}, correctly rounded ({@code Math.sqrt}). */
    public void vsqrtsd(int dst, int a, int b) {
        evex(PP_F2, MAP_0F, true, 0x51, dst, a, b, null, -1, 0);
    }

    /** {@code vdivsd dst, a, b}: {@code a / b} in double. */
    public void vdivsd(int dst, int a, int b) {
        evex(PP_F2, MAP_0F, true, 0x5E, dst, a, b, null, -1, 0);
    }

    /** {@code vbroadcastss zmm, xmm}: lane 0 of {@code xmm} to all sixteen lanes. */
    public void vbroadcastss(int zmm, int xmm) {
        evex(PP_66, MAP_0F38, false, 0x18, zmm, 0, xmm, null, -1, 2);
    }
}
