package fsc.runtime.x86;

import static fsc.runtime.x86.Assembler.R10;
import static fsc.runtime.x86.Assembler.R11;
import static fsc.runtime.x86.Assembler.R12;
import static fsc.runtime.x86.Assembler.R13;
import static fsc.runtime.x86.Assembler.R14;
import static fsc.runtime.x86.Assembler.R8;
import static fsc.runtime.x86.Assembler.R9;
import static fsc.runtime.x86.Assembler.RAX;
import static fsc.runtime.x86.Assembler.RBP;
import static fsc.runtime.x86.Assembler.RBX;
import static fsc.runtime.x86.Assembler.RCX;
import static fsc.runtime.x86.Assembler.RDI;
import static fsc.runtime.x86.Assembler.RDX;
import static fsc.runtime.x86.Assembler.RSI;
import static fsc.runtime.x86.Assembler.RSP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fsc.runtime.x86.Assembler.Mem;
import java.util.HexFormat;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Every instruction form the kernels use, against the bytes GNU objdump 2.40 decodes as the
 * instruction in the comment (checked when the encoder was written): registers above 7 and above
 * 15 in each EVEX field, SIB with and without index, rsp/r12 and rbp bases, forward and backward
 * jumps.
 */
class AssemblerTest {
    @Test
    void encodesWhatObjdumpDecodes() {
        check("62921d4050c0", x -> x.vpdpbusd(0, 28, 24)); // vpdpbusd zmm0,zmm28,zmm24
        check("6222754850f9", x -> x.vpdpbusd(31, 1, 17)); // vpdpbusd zmm31,zmm1,zmm17
        check("62227d4858ac0800000000", x -> x.vpbroadcastd(29, Mem.at(RAX, R9, 1))); // [rax+r9*1+0x0]
        check("62927d48589c4b08000000", x -> x.vpbroadcastd(3, new Mem(R11, R9, 2, 8))); // [r11+r9*2+0x8]
        check("62617e486f83c0000000", x -> x.vmovdqu32Load(24, Mem.at(RBX, 0xc0))); // zmm24,[rbx+0xc0]
        check("62d17e487f9840030000", x -> x.vmovdqu32Store(Mem.at(R8, 0x340), 3)); // [r8+0x340],zmm3
        check("62d17e486fac2404000000", x -> x.vmovdqu32Load(5, Mem.at(R12, 4))); // zmm5,[r12+0x4]
        check("62f17c4810bd10000000", x -> x.vmovupsLoad(7, Mem.at(RBP, 16))); // vmovups zmm7,[rbp+0x10]
        check("62a17540fec2", x -> x.vpaddd(16, 17, 18)); // vpaddd zmm16,zmm17,zmm18
        check("62f17d48efc0", x -> x.vpxord(0, 0, 0)); // vpxord zmm0,zmm0,zmm0
        check("4e8d9c4f00000000", x -> x.lea(R11, Mem.at(RDI, R9, 2))); // lea r11,[rdi+r9*2+0x0]
        check("4a8dbc8f00000000", x -> x.lea(RDI, Mem.at(RDI, R9, 4))); // lea rdi,[rdi+r9*4+0x0]
        check("4989f3", x -> x.mov(R11, RSI)); // mov r11,rsi
        check("4981c300010000", x -> x.add(R11, 256)); // add r11,0x100
        check("49ffcc", x -> x.dec(R12)); // dec r12
        check("4d85e4", x -> x.test(R12)); // test r12,r12
        check("4154", x -> x.push(R12)); // push r12
        check("5b", x -> x.pop(RBX)); // pop rbx
        check("4c8baf40000000", x -> x.movLoad(R13, Mem.at(RDI, 0x40))); // mov r13,QWORD PTR [rdi+0x40]
        check("62621d4040ab80000000", x -> x.vpmulld(29, 28, Mem.at(RBX, 0x80))); // vpmulld zmm29,zmm28,[rbx+0x80]
        check("62a17c485bff", x -> x.vcvtdq2ps(23, 23)); // vcvtdq2ps zmm23,zmm23
        check("62f27d4830aec0000000", x -> x.vpmovzxbw(5, Mem.at(RSI, 0xc0))); // vpmovzxbw zmm5,[rsi+0xc0]
        check("62c27d4830a940000000", x -> x.vpmovzxbw(21, Mem.at(R9, 0x40))); // vpmovzxbw zmm21,[r9+0x40]
        check("62f1754071964001000004", x -> x.vpsrlw(17, Mem.at(RSI, 0x140), 4)); // vpsrlw zmm17,[rsi+0x140],0x4
        check("62d165487194244000000004", x -> x.vpsrlw(3, Mem.at(R12, 0x40), 4)); // vpsrlw zmm3,[r12+0x40],0x4
        check("62d26d4840d4", x -> x.vpmulld(2, 2, 12)); // vpmulld zmm2,zmm2,zmm12
        check("62426d4040e9", x -> x.vpmulld(29, 18, 9)); // vpmulld zmm29,zmm18,zmm9
        check("6273754025f9f8", x -> x.vpternlogd(15, 17, 1, 0xF8)); // vpternlogd zmm15,zmm17,zmm1,0xf8
        check("62d33d4025dae4", x -> x.vpternlogd(3, 24, 10, 0xE4)); // vpternlogd zmm3,zmm24,zmm10,0xe4
        check("62f27e4833a720000000", x -> x.vpmovdwStore(Mem.at(RDI, 0x20), 4)); // vpmovdw [rdi+0x20],zmm4
        check("62c27e483391c0000000", x -> x.vpmovdwStore(Mem.at(R9, 0xc0), 18)); // vpmovdw [r9+0xc0],zmm18
        check("62e27e48318f40000000", x -> x.vpmovdbStore(Mem.at(RDI, 0x40), 17)); // vpmovdb [rdi+0x40],zmm17
        check("62d27e48319c2410000000", x -> x.vpmovdbStore(Mem.at(R12, 0x10), 3)); // vpmovdb [r12+0x10],zmm3
        check("62d1544859ac24c0000000", x -> x.vmulps(5, 5, Mem.at(R12, 0xc0))); // vmulps zmm5,zmm5,[r12+0xc0]
        check("62e17440588d40000000", x -> x.vaddps(17, 17, Mem.at(RBP, 0x40))); // vaddps zmm17,zmm17,[rbp+0x40]
        check("62817e487fac73c0000000", x -> x.vmovdqu32Store(new Mem(R11, R14, 2, 0xc0), 21)); // [r11+r14*2+0xc0]
        check("62727550b8be1c000000", x -> x.vfmadd231psBroadcast(15, 17, Mem.at(RSI, 28))); // [rsi+0x1c]{1to16}
        check("62d27d50b88500000000", x -> x.vfmadd231psBroadcast(0, 16, Mem.at(R13, 0))); // [r13+0x0]{1to16}
        check("4c01ca", x -> x.addReg(RDX, R9)); // add rdx,r9
        check("0fb79f00000000", x -> x.movzxWord(RBX, Mem.at(RDI, 0))); // movzx ebx,WORD PTR [rdi+0x0]
        check("460fb7845702000000", x -> x.movzxWord(R8, new Mem(RDI, R10, 2, 2))); // movzx r8d,[rdi+r10*2+0x2]
        check("62327d4831942702000000", x -> x.vpmovzxbd(10, new Mem(RDI, R12, 1, 2))); // zmm10,[rdi+r12*1+0x2]
        check("62c27d4821a512000000", x -> x.vpmovsxbd(20, Mem.at(R13, 18))); // vpmovsxbd zmm20,[r13+0x12]
        check("62122d4836cf", x -> x.vpermd(9, 10, 31)); // vpermd zmm9,zmm10,zmm31
        check("62e2254036cb", x -> x.vpermd(17, 27, 3)); // vpermd zmm17,zmm27,zmm3
        check("62d12d4872d204", x -> x.vpsrld(10, 10, 4)); // vpsrld zmm10,zmm10,0x4
        check("62f1554072d304", x -> x.vpsrld(21, 3, 4)); // vpsrld zmm21,zmm3,0x4
        check("62916d4872d204", x -> x.vpsrld(2, 26, 4)); // vpsrld zmm2,zmm26,0x4
        check("62723548b8dc", x -> x.vfmadd231ps(11, 9, 4)); // vfmadd231ps zmm11,zmm9,zmm4
        check("62b24540b8c1", x -> x.vfmadd231ps(0, 23, 17)); // vfmadd231ps zmm0,zmm23,zmm17
        check("62d17e0811980c000000", x -> x.vmovssStore(Mem.at(R8, 12), 3)); // {evex} vmovss [r8+0xc],xmm3
        check("62317e0811a48d00000000", x -> x.vmovssStore(new Mem(RBP, R9, 4, 0), 12)); // {evex} [rbp+r9*4+0x0],xmm12
        check("62527d4818849b00000000", x -> x.vbroadcastss(8, new Mem(R11, RBX, 4, 0))); // zmm8,[r11+rbx*4+0x0]
        check("62f26540b89680000000", x -> x.vfmadd231ps(2, 19, Mem.at(RSI, 0x80))); // zmm2,zmm19,[rsi+0x80]
        check("62920540b8844d00000000", x -> x.vfmadd231ps(0, 31, new Mem(R13, R9, 2, 0))); // [r13+r9*2+0x0]
        check("c4c16259da", x -> x.vmulss(3, 3, 10)); // vmulss xmm3,xmm3,xmm10
        check("c4417259e1", x -> x.vmulss(12, 1, 9)); // vmulss xmm12,xmm1,xmm9
        check("62d1154872f004", x -> x.vpslld(13, 8, 4)); // vpslld zmm13,zmm8,0x4
        check("62f27e48218200000000", x -> x.vpmovsdbStore(Mem.at(RDX, 0), 0)); // vpmovsdb [rdx+0x0],zmm0
        check("62d27e48218b10000000", x -> x.vpmovsdbStore(Mem.at(R11, 16), 1)); // vpmovsdb [r11+0x10],zmm1
        check("62915d4072f302", x -> x.vpslld(20, 27, 2)); // vpslld zmm20,zmm27,0x2
        check("62114d48dbc8", x -> x.vpandd(9, 6, 24)); // vpandd zmm9,zmm6,zmm24
        check("62511d48ebe5", x -> x.vpord(12, 12, 13)); // vpord zmm12,zmm12,zmm13
        check("62113548faca", x -> x.vpsubd(9, 9, 26)); // vpsubd zmm9,zmm9,zmm26
        check("62f1544859ec", x -> x.vmulps(5, 5, 4)); // vmulps zmm5,zmm5,zmm4
        check("62e10c4059ca", x -> x.vmulps(17, 30, 2)); // vmulps zmm17,zmm30,zmm2
        check("c5f877c3", x -> {
            x.vzeroupper();
            x.ret();
        });
    }

    @Test
    void jumpsResolveInBothDirections() {
        Assembler x = new Assembler();
        int back = x.newLabel();
        int ahead = x.newLabel();
        x.bind(back);
        x.dec(RDX); // 3 bytes
        x.jz(ahead); // 6 bytes, to 15: rel 15 - 9 = 6
        x.jnz(back); // 6 bytes at 9, to 0: rel 0 - 15 = -15
        x.bind(ahead);
        x.ret();
        assertEquals(
                "48ffca" + "0f8406000000" + "0f85f1ffffff" + "c3",
                HexFormat.of().formatHex(x.bytes()));
    }

    @Test
    void refusesWhatItCannotEncode() {
        Assembler x = new Assembler();
        assertThrows(IllegalArgumentException.class, () -> x.vpdpbusd(32, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Mem(RAX, Assembler.RSP, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Mem(RAX, RDX, 3, 0));
        int never = x.newLabel();
        x.jnz(never);
        assertThrows(IllegalStateException.class, x::bytes);
    }

    @Test
    void kernelCodeIsDeterministicForEveryTileHeightAndEpilogue() {
        for (int flags : new int[] {0, 1, 2, 3, 6, 7}) {
            for (int rows = 1; rows <= VnniGemmKernels.MR; rows++) {
                assertEquals(
                        HexFormat.of().formatHex(VnniGemmKernels.code(rows, flags)),
                        HexFormat.of().formatHex(VnniGemmKernels.code(rows, flags)));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> VnniGemmKernels.code(0, 0));
        assertThrows(IllegalArgumentException.class, () -> VnniGemmKernels.code(VnniGemmKernels.MR + 1, 0));
        assertThrows(IllegalArgumentException.class, () -> VnniGemmKernels.code(1, VnniGemmKernels.BIAS));
        for (int start = FmaGemmKernels.ZERO; start <= FmaGemmKernels.BIAS; start++) {
            assertEquals(
                    HexFormat.of().formatHex(FmaGemmKernels.code(start)),
                    HexFormat.of().formatHex(FmaGemmKernels.code(start)));
        }
    }

    @Test
    void encodesTheF32TilesKernelsForms() {
        check("0f18941a40000000", x -> x.prefetcht1(new Mem(RDX, RBX, 1, 0x40))); // prefetcht1 [rdx+rbx*1+0x40]
        check("430f18941800000000", x -> x.prefetcht1(Mem.at(R8, R11, 1))); // prefetcht1 [r8+r11*1+0x0]
        check("6281544859c7", x -> x.vmulps(16, 5, 31)); // vmulps zmm16,zmm5,zmm31
        check(
                "62f17450599b08000000",
                x -> x.vmulpsBroadcast(3, 17, Mem.at(RBX, 8))); // vmulps zmm3,zmm17,[rbx+0x8]{1to16}
        check(
                "62611c5058a308000000",
                x -> x.vaddpsBroadcast(28, 28, Mem.at(RBX, 8))); // vaddps zmm28,zmm28,[rbx+0x8]{1to16}
        check(
                "624144505c8324000000",
                x -> x.vsubpsBroadcast(24, 23, Mem.at(R11, 0x24))); // vsubps zmm24,zmm23,[r11+0x24]{1to16}
        check("62223540a8c6", x -> x.vfmadd213ps(24, 25, 22)); // vfmadd213ps zmm24,zmm25,zmm22
        check(
                "62e27550a89350000000",
                x -> x.vfmadd213psBroadcast(18, 17, Mem.at(RBX, 0x50))); // vfmadd213ps zmm18,zmm17,[rbx+0x50]{1to16}
        check("62a26540bcf3", x -> x.vfnmadd231ps(22, 19, 19)); // vfnmadd231ps zmm22,zmm19,zmm19
        check("62f26d48bccb", x -> x.vfnmadd231ps(1, 2, 3)); // vfnmadd231ps zmm1,zmm2,zmm3
        check(
                "62e17d50db9b04000000",
                x -> x.vpanddBroadcast(19, 16, Mem.at(RBX, 4))); // vpandd zmm19,zmm16,[rbx+0x4]{1to16}
        check(
                "62611d50efab14000000",
                x -> x.vpxordBroadcast(29, 28, Mem.at(RBX, 0x14))); // vpxord zmm29,zmm28,[rbx+0x14]{1to16}
        check(
                "62612d50fe9348000000",
                x -> x.vpadddBroadcast(26, 26, Mem.at(RBX, 0x48))); // vpaddd zmm26,zmm26,[rbx+0x48]{1to16}
        check("62014540fada", x -> x.vpsubd(27, 23, 26)); // vpsubd zmm27,zmm23,zmm26
        check("62b12d4072e701", x -> x.vpsrad(26, 23, 1)); // vpsrad zmm26,zmm23,0x1
        check("6291354872f217", x -> x.vpslld(9, 26, 23)); // vpslld zmm9,zmm26,0x17
        check(
                "62f14c50c28b1800000011",
                x -> x.vcmppsBroadcast(
                        1, 22, Mem.at(RBX, 0x18), Assembler.LT_OQ)); // vcmpps k1,zmm22,[rbx+0x18]{1to16},0x11
        check(
                "62d16458c2911c0000001e",
                x -> x.vcmppsBroadcast(
                        2, 3, Mem.at(R9, 0x1c), Assembler.GT_OQ)); // vcmpps k2,zmm3,[r9+0x1c]{1to16},0x1e
        check("62021d4165e5", x -> x.vblendmps(28, 1, 28, 29)); // vblendmps zmm28{k1},zmm28,zmm29
        check("62b2654a65d2", x -> x.vblendmps(2, 2, 3, 18)); // vblendmps zmm2{k2},zmm3,zmm18
        check(
                "62e24d5165b318000000",
                x -> x.vblendmpsBroadcast(22, 1, 22, Mem.at(RBX, 0x18))); // vblendmps zmm22{k1},zmm22,[rbx+0x18]{1to16}
        for (int start = FmaGemmKernels.ZERO; start <= FmaGemmKernels.BIAS; start++) {
            for (int rows = 1; rows <= FmaGemmKernels.MR; rows++) {
                for (int variant = 0; variant < 4; variant++) {
                    boolean strided = (variant & 1) != 0;
                    boolean gelu = (variant & 2) != 0;
                    assertEquals(
                            HexFormat.of().formatHex(FmaGemmKernels.tilesCode(rows, start, strided, gelu)),
                            HexFormat.of().formatHex(FmaGemmKernels.tilesCode(rows, start, strided, gelu)));
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> FmaGemmKernels.tilesCode(0, 0, true, false));
        assertThrows(
                IllegalArgumentException.class, () -> FmaGemmKernels.tilesCode(FmaGemmKernels.MR + 1, 0, true, false));
    }

    private static void check(String hex, Consumer<Assembler> emit) {
        Assembler x = new Assembler();
        emit.accept(x);
        assertEquals(hex, HexFormat.of().formatHex(x.bytes()));
    }

    /** The forms of {@link KQuantKernels}, decoded by GNU objdump 2.40 as the comment says. */
    @Test
    void encodesTheKQuantKernelForms() {
        check("62f2054036da", x -> x.vpermd(3, 31, 2)); // vpermd zmm3,zmm31,zmm2
        check("62823d4836c9", x -> x.vpermd(17, 8, 25)); // vpermd zmm17,zmm8,zmm25
        check("627295408dc2", x -> x.vpermw(8, 29, 2)); // vpermw zmm8,zmm29,zmm2
        check("62a2f5488de2", x -> x.vpermw(20, 1, 18)); // vpermw zmm20,zmm1,zmm18
        check("62d26548459b40000000", x -> x.vpsrlvd(3, 3, Mem.at(R11, 0x40))); // vpsrlvd zmm3,zmm3,[r11+0x40]
        check("62d2cd4810b380000000", x -> x.vpsrlvw(6, 6, Mem.at(R11, 0x80))); // vpsrlvw zmm6,zmm6,[r11+0x80]
        check("62e2f54010b010000000", x -> x.vpsrlvw(22, 17, Mem.at(RAX, 0x10))); // vpsrlvw zmm22,zmm17,[rax+0x10]
        check("62d14d48dbb3c0000000", x -> x.vpandd(6, 6, Mem.at(R11, 0xc0))); // vpandd zmm6,zmm6,[r11+0xc0]
        check(
                "62a15540db944f08000000",
                x -> x.vpandd(18, 21, new Mem(RDI, R9, 2, 8))); // vpandd zmm18,zmm21,[rdi+r9*2+0x8]
        check("62f16548ebd4", x -> x.vpord(2, 3, 4)); // vpord zmm2,zmm3,zmm4
        check("62c13d40ebc9", x -> x.vpord(17, 24, 9)); // vpord zmm17,zmm24,zmm9
        check("62f17548facd", x -> x.vpsubd(1, 1, 5)); // vpsubd zmm1,zmm1,zmm5
        check("62815d40fac6", x -> x.vpsubd(16, 20, 30)); // vpsubd zmm16,zmm20,zmm30
        check(
                "62534d48258300010000f8",
                x -> x.vpternlogd(8, 6, Mem.at(R11, 0x100), 0xf8)); // vpternlogd zmm8,zmm6,[r11+0x100],0xf8
        check(
                "62e34d40259b04000000ca",
                x -> x.vpternlogd(19, 22, Mem.at(RBX, 4), 0xca)); // vpternlogd zmm19,zmm22,[rbx+0x4],0xca
        check("62f24d4804bf40000000", x -> x.vpmaddubsw(7, 6, Mem.at(RDI, 0x40))); // vpmaddubsw zmm7,zmm6,[rdi+0x40]
        check("62c26d4004bc2400000000", x -> x.vpmaddubsw(23, 18, Mem.at(R12, 0))); // vpmaddubsw zmm23,zmm18,[r12+0x0]
        check("62d2454852c8", x -> x.vpdpwssd(1, 7, 8)); // vpdpwssd zmm1,zmm7,zmm8
        check("62c2254052c4", x -> x.vpdpwssd(16, 27, 12)); // vpdpwssd zmm16,zmm27,zmm12
        check("62f27d48319004000000", x -> x.vpmovzxbd(2, Mem.at(RAX, 4))); // vpmovzxbd zmm2,[rax+0x4]
        check("62c27d4831a100000000", x -> x.vpmovzxbd(20, Mem.at(R9, 0))); // vpmovzxbd zmm20,[r9+0x0]
        check("62f27d482190c0000000", x -> x.vpmovsxbd(2, Mem.at(RAX, 0xc0))); // vpmovsxbd zmm2,[rax+0xc0]
        check("62027d48218c3500000000", x -> x.vpmovsxbd(25, Mem.at(R13, R14, 1))); // vpmovsxbd zmm25,[r13+r14*1+0x0]
        check("62f2fd485bb010000000", x -> x.vbroadcasti64x4(6, Mem.at(RAX, 0x10))); // vbroadcasti64x4 zmm6,[rax+0x10]
        check("62c2fd485ba830000000", x -> x.vbroadcasti64x4(21, Mem.at(R8, 0x30))); // vbroadcasti64x4 zmm21,[r8+0x30]
        check("62727d487990d0000000", x -> x.vpbroadcastw(10, Mem.at(RAX, 0xd0))); // vpbroadcastw zmm10,[rax+0xd0]
        check("62627d4879942408000000", x -> x.vpbroadcastw(26, Mem.at(RSP, 8))); // vpbroadcastw zmm26,[rsp+0x8]
        check("62f15d4872d406", x -> x.vpsrld(4, 4, 6)); // vpsrld zmm4,zmm4,0x6
        check("62d15d4072d503", x -> x.vpsrld(20, 13, 3)); // vpsrld zmm20,zmm13,0x3
        check("62f15d4872f404", x -> x.vpslld(4, 4, 4)); // vpslld zmm4,zmm4,0x4
        check("62b1554872f505", x -> x.vpslld(5, 21, 5)); // vpslld zmm5,zmm21,0x5
        check("62f1354871d604", x -> x.vpsrlw(9, 6, 4)); // vpsrlw zmm9,zmm6,0x4
        check("62d1754071d104", x -> x.vpsrlw(17, 9, 4)); // vpsrlw zmm17,zmm9,0x4
        check("62f13d4871f704", x -> x.vpsllw(8, 7, 4)); // vpsllw zmm8,zmm7,0x4
        check("62913d4071f602", x -> x.vpsllw(24, 30, 2)); // vpsllw zmm24,zmm30,0x2
        check("62717d4870c9b1", x -> x.vpshufd(9, 1, 0xb1)); // vpshufd zmm9,zmm1,0xb1
        check("62817d4870d34e", x -> x.vpshufd(18, 27, 0x4e)); // vpshufd zmm18,zmm27,0x4e
        check("6253b54843d1b1", x -> x.vshufi64x2(10, 9, 9, 0xb1)); // vshufi64x2 zmm10,zmm9,zmm9,0xb1
        check("62c3dd4043c94e", x -> x.vshufi64x2(17, 20, 9, 0x4e)); // vshufi64x2 zmm17,zmm20,zmm9,0x4e
        check("62527d4813d2", x -> x.vcvtph2ps(10, 10)); // vcvtph2ps zmm10,ymm10
        check("62827d4813d9", x -> x.vcvtph2ps(19, 25)); // vcvtph2ps zmm19,ymm25
        check("62d37d481d800000000000", x -> x.vcvtps2phStore(Mem.at(R8, 0), 0)); // vcvtps2ph [r8+0x0],zmm0,0x0
        check("62e37d481d8e4000000000", x -> x.vcvtps2phStore(Mem.at(RSI, 64), 17)); // vcvtps2ph [rsi+0x40],zmm17,0x0
        check("6251344859ca", x -> x.vmulps(9, 9, 10)); // vmulps zmm9,zmm9,zmm10
        check("62816c4859c5", x -> x.vmulps(16, 2, 29)); // vmulps zmm16,zmm2,zmm29
        check("62517e0811a000000000", x -> x.vmovssStore(Mem.at(R8, 0), 12)); // {evex} vmovss D[r8+0x0],xmm12
        check(
                "62e17e08118c8a04000000",
                x -> x.vmovssStore(new Mem(RDX, RCX, 4, 4), 17)); // vmovss D[rdx+rcx*4+0x4],xmm17
    }

    @Test
    void encodesTheQ8KGemmForms() {
        check(
                "62f20d50509f84010000",
                x -> x.vpdpbusdBroadcast(3, 30, Mem.at(RDI, 0x184))); // zmm3,zmm30,[rdi+0x184]{1to16}
        check("62c23d58508b04000000", x -> x.vpdpbusdBroadcast(17, 8, Mem.at(R11, 4))); // zmm17,zmm8,[r11+0x4]{1to16}
        check(
                "62f2255052bf40010000",
                x -> x.vpdpwssdBroadcast(7, 27, Mem.at(RDI, 0x140))); // zmm7,zmm27,[rdi+0x140]{1to16}
        check(
                "62027d5052845108000000",
                x -> x.vpdpwssdBroadcast(24, 16, new Mem(R9, R10, 2, 8))); // zmm24,zmm16,[r9+r10*2+0x8]{1to16}
        check("62e16d4862c3", x -> x.vpunpckldq(16, 2, 3)); // vpunpckldq zmm16,zmm2,zmm3
        check("62c10d406ac9", x -> x.vpunpckhdq(17, 30, 9)); // vpunpckhdq zmm17,zmm30,zmm9
        check("62b1fd406ce2", x -> x.vpunpcklqdq(4, 16, 18)); // vpunpcklqdq zmm4,zmm16,zmm18
        check("6221c5486def", x -> x.vpunpckhqdq(29, 7, 23)); // vpunpckhqdq zmm29,zmm7,zmm23
        check("62f3754803c001", x -> x.valignd(0, 1, 0, 1)); // valignd zmm0,zmm1,zmm0,0x1
        check("6283354803e703", x -> x.valignd(20, 9, 31, 3)); // valignd zmm20,zmm9,zmm31,0x3
        for (int kind : new int[] {Q8KGemmKernels.Q4_K, Q8KGemmKernels.Q6_K}) {
            assertEquals(
                    HexFormat.of().formatHex(Q8KUnpackKernels.code(kind)),
                    HexFormat.of().formatHex(Q8KUnpackKernels.code(kind)));
            for (int tokens = 1; tokens <= Q8KGemmKernels.MAX_TOKENS; tokens++) {
                assertEquals(
                        HexFormat.of().formatHex(Q8KGemmKernels.code(kind, tokens)),
                        HexFormat.of().formatHex(Q8KGemmKernels.code(kind, tokens)));
            }
            assertThrows(IllegalArgumentException.class, () -> Q8KGemmKernels.code(kind, 0));
            assertThrows(
                    IllegalArgumentException.class, () -> Q8KGemmKernels.code(kind, Q8KGemmKernels.MAX_TOKENS + 1));
        }
        assertThrows(IllegalArgumentException.class, () -> Q8KGemmKernels.code(2, 1));
        assertThrows(IllegalArgumentException.class, () -> Q8KUnpackKernels.code(2));
    }

    /** The forms of the Q8_0 kernels (Q80Kernels), checked against objdump 2.40 when they were written. */
    @Test
    void encodesTheQ80KernelForms() {
        check("62c27d485a8940000000", x -> x.vbroadcasti32x4(17, Mem.at(R9, 0x40))); // zmm17,[r9+0x40]
        check("62b27d485a9c5010000000", x -> x.vbroadcasti32x4(3, new Mem(RAX, R10, 2, 0x10))); // [rax+r10*2+0x10]
        check("62835d4038a4140200000003", x -> x.vinserti32x4(20, 20, new Mem(R12, R10, 1, 2), 3));
        check("62f34d4838af1200000001", x -> x.vinserti32x4(5, 6, Mem.at(RDI, 0x12), 1)); // zmm5,zmm6,[rdi+0x12],1
        check("62527e4833ec", x -> x.vpmovdw(12, 13)); // vpmovdw ymm12,zmm13
        check("62b27e4833dc", x -> x.vpmovdw(20, 3)); // vpmovdw ymm20,zmm3
        check("c5f446c9", x -> x.kxnorw(1, 1, 1)); // kxnorw k1,k1,k1
        check("c5ec46dd", x -> x.kxnorw(3, 2, 5)); // kxnorw k3,k2,k5
        check("62327d4990a42e00000000", x -> x.vpgatherdd(12, 1, RSI, 13, 1, 0)); // zmm12{k1},[rsi+zmm13*1]
        check("62827d4290ac2b12000000", x -> x.vpgatherdd(21, 2, R11, 29, 1, 0x12)); // [r11+zmm29*1+0x12]
        check("62f27d4190948800010000", x -> x.vpgatherdd(2, 1, RAX, 17, 4, 0x100)); // [rax+zmm17*4+0x100]
        check("62127d4990a42d00000000", x -> x.vpgatherdd(12, 1, R13, 13, 1, 0)); // zmm12{k1},[r13+zmm13*1]
        check("62a1654062fc", x -> x.vpunpckldq(23, 19, 20)); // vpunpckldq zmm23,zmm19,zmm20
        check("62916d486ace", x -> x.vpunpckhdq(1, 2, 30)); // vpunpckhdq zmm1,zmm2,zmm30
        check("6211c5406cc1", x -> x.vpunpcklqdq(8, 23, 25)); // vpunpcklqdq zmm8,zmm23,zmm25
        check("62e1dd486df5", x -> x.vpunpckhqdq(22, 4, 5)); // vpunpckhqdq zmm22,zmm4,zmm5
        check("62423d58509b34000000", x -> x.vpdpbusdBroadcast(27, 8, Mem.at(R11, 0x34))); // [r11+0x34]{1to16}
        check("62b25d50509c0804000000", x -> x.vpdpbusdBroadcast(3, 20, new Mem(RAX, R9, 1, 4))); // [rax+r9*1+0x4]
        assertThrows(IllegalArgumentException.class, () -> new Assembler().vpgatherdd(3, 1, RAX, 3, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Assembler().vpgatherdd(3, 0, RAX, 4, 1, 0));
    }

    /** The forms of the flash kernels' online softmax (F16FlashKernels), checked against objdump 2.40. */
    @Test
    void encodesTheFlashSoftmaxForms() {
        check("62d17c48c2c91e", x -> x.vcmpps(1, 0, 9, Assembler.GT_OQ)); // vcmpgt_oqps k1,zmm0,zmm9
        check("62917440c2d91e", x -> x.vcmpps(3, 17, 25, Assembler.GT_OQ)); // vcmpgt_oqps k3,zmm17,zmm25
        check("c5f898c9", x -> x.kortestw(1, 1)); // kortestw k1,k1
        check("c5f898d5", x -> x.kortestw(2, 5)); // kortestw k2,k5
        check("62717c0810a200000000", x -> x.vmovupsLoad128(12, Mem.at(RDX, 0))); // vmovups xmm12,[rdx]
        check("62817c0810ac1112000000", x -> x.vmovupsLoad128(21, new Mem(R9, R10, 1, 0x12))); // xmm21,[r9+r10+0x12]
        check("62f17c0811a210000000", x -> x.vmovupsStore128(Mem.at(RDX, 0x10), 4)); // vmovups [rdx+0x10],xmm4
        check("62c17c0811a300000000", x -> x.vmovupsStore128(Mem.at(R11, 0), 20)); // vmovups [r11],xmm20
        assertThrows(IllegalArgumentException.class, () -> new Assembler().vcmpps(0, 1, 2, Assembler.GT_OQ));
    }
}
