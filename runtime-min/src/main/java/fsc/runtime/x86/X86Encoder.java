package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.NONE;
import static fsc.runtime.x86.Assembler.RSP;

import fsc.runtime.x86.Assembler.Mem;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The byte-level half of {@link Assembler}: the code buffer, labels and rel32 jumps, and the REX,
 * EVEX, ModRM and SIB encodings its instruction forms are written in. Kept apart so that the
 * assembler itself is the list of instruction forms the kernels use, one short method each.
 */
abstract sealed class X86Encoder permits GprInstructions {
    static final int MAP_0F = 1, MAP_0F38 = 2;
    static final int PP_NONE = 0, PP_66 = 1, PP_F3 = 2, PP_F2 = 3;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final List<int[]> forwardJumps = new ArrayList<>(); // {rel32 position, label}
    private final List<Integer> labels = new ArrayList<>();

    /** A new label, bound later with {@link #bind}; jumps to it may come before or after. */
    public int newLabel() {
        labels.add(-1);
        return labels.size() - 1;
    }

    /** Binds {@code label} to the current position. */
    public void bind(int label) {
        if (labels.get(label) >= 0) {
            throw new IllegalStateException("label " + label + " bound twice");
        }
        labels.set(label, out.size());
    }

    /** The code, every jump resolved. */
    public byte[] bytes() {
        byte[] code = out.toByteArray();
        for (int[] jump : forwardJumps) {
            int target = labels.get(jump[1]);
            if (target < 0) {
                throw new IllegalStateException("label " + jump[1] + " never bound");
            }
            int rel = target - (jump[0] + 4);
            for (int i = 0; i < 4; i++) {
                code[jump[0] + i] = (byte) (rel >>> (8 * i));
            }
        }
        return code;
    }

    /** EVEX with a {@code {1to16}} broadcast memory operand and opmask {@code k} (0: none). */
    void evexBroadcast(int pp, int map, int opcode, int reg, int vvvv, Mem m, int k) {
        vector(reg);
        vector(vvvv);
        int x = m.index() == NONE ? 0 : m.index() >> 3 & 1;
        evexPrefixMasked(pp, map, reg, vvvv, m.base() >> 3 & 1, x, true, k);
        emit(opcode);
        modrm(reg, m);
    }

    /** {@link #evexPrefix} with opmask {@code k} in P2's aaa bits (merge masking; 0: none). */
    void evexPrefixMasked(int pp, int map, int reg, int vvvv, int b, int x, boolean broadcast, int k) {
        emit(0x62);
        emit((~reg >> 3 & 1) << 7 | (~x & 1) << 6 | (~b & 1) << 5 | (~reg >> 4 & 1) << 4 | map);
        emit((~vvvv & 0xF) << 3 | 0x04 | pp);
        emit(0b10 << 5 | (broadcast ? 1 : 0) << 4 | (~vvvv >> 4 & 1) << 3 | k);
    }

    static void opmask(int k) {
        if (k < 1 || k > 7) {
            throw new IllegalArgumentException("k" + k + " is not an opmask register a mask can name");
        }
    }

    void evexReg(int pp, int map, int opcode, int reg, int vvvv, int rm) {
        vector(reg);
        vector(vvvv);
        vector(rm);
        evexPrefix(pp, map, reg, vvvv, (rm >> 3) & 1, (rm >> 4) & 1);
        emit(opcode);
        emit(0xC0 | (reg & 7) << 3 | (rm & 7));
    }

    /** A {@code vvvv} of 0 is the "no operand" encoding (1111 inverted). */
    void evexMem(int pp, int map, int opcode, int reg, int vvvv, Mem m) {
        vector(reg);
        int x = m.index() == NONE ? 0 : m.index() >> 3 & 1;
        evexPrefix(pp, map, reg, vvvv, m.base() >> 3 & 1, x);
        emit(opcode);
        modrm(reg, m);
    }

    /**
     * ModRM with mod 10 ({@code disp32}), and a SIB byte when there is an index or the base is
     * rsp/r12 (whose rm encoding 100 means "SIB follows"; SIB index 100 means "no index").
     */
    void modrm(int reg, Mem m) {
        boolean sib = m.index() != NONE || (m.base() & 7) == RSP;
        emit(0x80 | (reg & 7) << 3 | (sib ? 4 : m.base() & 7));
        if (sib) {
            int index = m.index() == NONE ? 4 : m.index() & 7;
            emit(Integer.numberOfTrailingZeros(m.scale()) << 6 | index << 3 | (m.base() & 7));
        }
        emit32(m.disp());
    }

    /**
     * {@code 62 P0 P1 P2}: P0 = ~R ~X ~B ~R' 0 0 mm; P1 = W ~vvvv 1 pp; P2 = z L'L b ~V' aaa with
     * L'L = 10 (512 bits), W = 0, no masking, no broadcast.
     */
    void evexPrefix(int pp, int map, int reg, int vvvv, int b, int x) {
        evexPrefix(pp, map, reg, vvvv, b, x, false);
    }

    /** {@code broadcast}: EVEX.b, a 32-bit memory operand repeated to every lane ({@code {1to16}}). */
    void evexPrefix(int pp, int map, int reg, int vvvv, int b, int x, boolean broadcast) {
        evexPrefixMasked(pp, map, reg, vvvv, b, x, broadcast, 0);
    }

    void jcc(int opcode, int label) {
        emit(0x0F);
        emit(opcode);
        rel32(label);
    }

    /** {@code jmp label} (rel32). */
    void jmpRel32(int label) {
        emit(0xE9);
        rel32(label);
    }

    private void rel32(int label) {
        int target = labels.get(label);
        if (target >= 0) {
            emit32(target - (out.size() + 4));
        } else {
            forwardJumps.add(new int[] {out.size(), label});
            emit32(0);
        }
    }

    /** REX.W with the ModRM reg field's and rm field's high bits. */
    void rexW(int reg, int rm) {
        gpr(reg);
        gpr(rm);
        emit(0x48 | (reg >> 3 & 1) << 2 | (rm >> 3 & 1));
    }

    static void vector(int zmm) {
        if (zmm < 0 || zmm > 31) {
            throw new IllegalArgumentException("zmm" + zmm + " does not exist");
        }
    }

    static void gpr(int reg) {
        if (reg < 0 || reg > 15) {
            throw new IllegalArgumentException("general register " + reg + " does not exist");
        }
    }

    void emit(int b) {
        out.write(b & 0xFF);
    }

    void emit32(int v) {
        for (int i = 0; i < 4; i++) {
            emit(v >>> (8 * i));
        }
    }

    static final int MAP_0F3A = 3;

    /**
     * One EVEX instruction: register {@code rm} when {@code m} is null, else memory {@code m};
     * {@code imm} as a trailing byte when not negative; {@code ll} the vector length (2: 512 bits).
     * {@code reg} may be an opcode extension ({@code /digit}).
     */
    void evex(int pp, int map, boolean w, int opcode, int reg, int vvvv, int rm, Mem m, int imm, int ll) {
        vector(reg);
        vector(vvvv);
        int b;
        int x;
        if (m == null) {
            vector(rm);
            b = rm >> 3 & 1;
            x = rm >> 4 & 1;
        } else {
            b = m.base() >> 3 & 1;
            x = m.index() == NONE ? 0 : m.index() >> 3 & 1;
        }
        emit(0x62);
        emit((~reg >> 3 & 1) << 7 | (~x & 1) << 6 | (~b & 1) << 5 | (~reg >> 4 & 1) << 4 | map);
        emit((w ? 0x80 : 0) | (~vvvv & 0xF) << 3 | 0x04 | pp);
        emit(ll << 5 | (~vvvv >> 4 & 1) << 3);
        emit(opcode);
        if (m == null) {
            emit(0xC0 | (reg & 7) << 3 | (rm & 7));
        } else {
            modrm(reg, m);
        }
        if (imm >= 0) {
            emit(imm);
        }
    }
}
