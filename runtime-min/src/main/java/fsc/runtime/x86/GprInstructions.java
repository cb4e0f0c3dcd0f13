package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.NONE;

import fsc.runtime.x86.Assembler.Mem;

/**
 * The general-purpose half of {@link Assembler}'s instruction forms (64-bit operands): register
 * moves and loads, address arithmetic, the loop counters and their jumps, the prologue's pushes and
 * pops, and the return. Apart from the vector forms so each file stays one list of one kind.
 */
abstract sealed class GprInstructions extends X86Encoder permits Assembler {
    /** {@code mov dst, src}. */
    public void mov(int dst, int src) {
        rexW(src, dst);
        emit(0x89);
        emit(0xC0 | (src & 7) << 3 | (dst & 7));
    }

    /** {@code add reg, imm32} (sign-extended). */
    public void add(int reg, int imm) {
        rexW(0, reg);
        emit(0x81);
        emit(0xC0 | (reg & 7));
        emit32(imm);
    }

    /** {@code add dst, src}. */
    public void addReg(int dst, int src) {
        rexW(src, dst);
        emit(0x01);
        emit(0xC0 | (src & 7) << 3 | (dst & 7));
    }

    /** {@code shl reg, imm8}. */
    public void shl(int reg, int imm) {
        rexW(0, reg);
        emit(0xC1);
        emit(0xE0 | (reg & 7));
        emit(imm);
    }

    /** {@code mov dst, qword mem}. */
    public void movLoad(int dst, Mem m) {
        gpr(dst);
        int x = m.index() == NONE ? 0 : m.index() >> 3 & 1;
        emit(0x48 | (dst >> 3 & 1) << 2 | x << 1 | (m.base() >> 3 & 1));
        emit(0x8B);
        modrm(dst, m);
    }

    /** {@code mov qword mem, src}. */
    public void movStore(Mem m, int src) {
        gpr(src);
        int x = m.index() == NONE ? 0 : m.index() >> 3 & 1;
        emit(0x48 | (src >> 3 & 1) << 2 | x << 1 | (m.base() >> 3 & 1));
        emit(0x89);
        modrm(src, m);
    }

    /** {@code lea dst, mem}. */
    public void lea(int dst, Mem m) {
        gpr(dst);
        int x = m.index() == NONE ? 0 : m.index() >> 3 & 1;
        emit(0x48 | (dst >> 3 & 1) << 2 | x << 1 | (m.base() >> 3 & 1));
        emit(0x8D);
        modrm(dst, m);
    }

    /** {@code dec reg}. */
    public void dec(int reg) {
        rexW(0, reg);
        emit(0xFF);
        emit(0xC8 | (reg & 7));
    }

    /** {@code test reg, reg}. */
    public void test(int reg) {
        rexW(reg, reg);
        emit(0x85);
        emit(0xC0 | (reg & 7) << 3 | (reg & 7));
    }

    /** {@code jnz label} (rel32). */
    public void jnz(int label) {
        jcc(0x85, label);
    }

    /** {@code jmp label} (rel32). */
    public void jmp(int label) {
        jmpRel32(label);
    }

    /** {@code jz label} (rel32). */
    public void jz(int label) {
        jcc(0x84, label);
    }

    /** {@code push reg}. */
    public void push(int reg) {
        gpr(reg);
        if (reg >= 8) {
            emit(0x41);
        }
        emit(0x50 + (reg & 7));
    }

    /** {@code pop reg}. */
    public void pop(int reg) {
        gpr(reg);
        if (reg >= 8) {
            emit(0x41);
        }
        emit(0x58 + (reg & 7));
    }

    /** {@code vzeroupper}: leaves the upper vector state clean for the caller's SSE code. */
    public void vzeroupper() {
        emit(0xC5);
        emit(0xF8);
        emit(0x77);
    }

    /** {@code ret}. */
    public void ret() {
        emit(0xC3);
    }
}
