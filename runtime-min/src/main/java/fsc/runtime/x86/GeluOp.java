package fsc.runtime.x86;

/**
 * One instruction of {@link FmaGemmKernels#geluOps}'s GELU chain: its form and operands, emitted by
 * {@link #emit}. A record rather than a lambda per instruction because every lambda site spins a
 * class the first time it runs, and the chain's 23 sites cost a fresh process ~9 ms of class
 * spinning before its first GEMM with GELU (docs/EDGE.md §2).
 *
 * @param form the instruction
 * @param dst the destination: a vector register, or an opmask for {@link Form#CMP_LT_BROADCAST}
 * @param a the first source register
 * @param b the second source register (register forms), or -1
 * @param mask the opmask that selects {@code b} over {@code a} ({@link Form#BLEND}), or -1
 * @param slot the constant-table slot at rdx that a broadcast form reads, or -1
 */
record GeluOp(Form form, int dst, int a, int b, int mask, int slot) {
    /** The instruction forms the chain uses. */
    enum Form {
        MUL_BROADCAST,
        MUL,
        BROADCAST,
        FMA213_BROADCAST,
        FMA231_BROADCAST,
        AND_BROADCAST,
        XOR_BROADCAST,
        ADD_BROADCAST,
        MIN,
        SUB,
        CMP_LT_BROADCAST,
        BLEND
    }

    /** {@code dst = a op k[slot]} ({@link Form#BROADCAST}: {@code dst = k[slot]}, {@code a} unused). */
    static GeluOp withConstant(Form form, int dst, int a, int slot) {
        return new GeluOp(form, dst, a, -1, -1, slot);
    }

    /** {@code dst = a op b}. */
    static GeluOp withRegisters(Form form, int dst, int a, int b) {
        return new GeluOp(form, dst, a, b, -1, -1);
    }

    /** {@code dst = mask ? b : a} per lane. */
    static GeluOp blend(int dst, int mask, int a, int b) {
        return new GeluOp(Form.BLEND, dst, a, b, mask, -1);
    }

    void emit(Assembler x) {
        switch (form) {
            case MUL_BROADCAST -> x.vmulpsBroadcast(dst, a, constant());
            case MUL -> x.vmulps(dst, a, b);
            case BROADCAST -> x.vbroadcastss(dst, constant());
            case FMA213_BROADCAST -> x.vfmadd213psBroadcast(dst, a, constant());
            case FMA231_BROADCAST -> x.vfmadd231psBroadcast(dst, a, constant());
            case AND_BROADCAST -> x.vpanddBroadcast(dst, a, constant());
            case XOR_BROADCAST -> x.vpxordBroadcast(dst, a, constant());
            case ADD_BROADCAST -> x.vaddpsBroadcast(dst, a, constant());
            case MIN -> x.vminps(dst, a, b);
            case SUB -> x.vsubps(dst, a, b);
            case CMP_LT_BROADCAST -> x.vcmppsBroadcast(dst, a, constant(), Assembler.LT_OQ);
            case BLEND -> x.vblendmps(dst, mask, a, b);
        }
    }

    private Assembler.Mem constant() {
        return Assembler.Mem.at(Assembler.RDX, 4 * slot);
    }
}
