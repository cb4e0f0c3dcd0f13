package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.List;

/**
 * Kernels that keep quantized data in integers: casts from and to 8-bit types (u8 is read as
 * {@code b & 0xFF}, the generic cast would sign-extend it) and an exact i32 matmul, so ONNX
 * MatMulInteger / QLinearMatMul accumulate in int32 as ONNX specifies instead of going through f32.
 */
final class IntegerEmitters {
    private IntegerEmitters() {}

    /** The cast row's emitter: this class's cast when u8 or i8 is involved, the plain one otherwise. */
    static CodeBlock castOrPlain(Scope s) {
        Node n = s.node();
        boolean eight = is8(n.input(0).dtype()) || is8(n.output().dtype());
        return eight ? cast(s) : CopyEmitter.cast(s);
    }

    /** The matmul row's emitter: int32 here, f32 in {@link MatmulEmitter}. */
    static CodeBlock matmulOrFloat(Scope s) {
        return s.node().input(0).dtype() == DType.I32 ? matmul(s) : MatmulEmitter.matmul(s);
    }

    private static boolean is8(DType t) {
        return t == DType.U8 || t == DType.I8 || t == DType.U16 || t == DType.I16;
    }

    /** {@code cast} where either side is u8, i8, u16 or i16 (unsigned ones read zero-extended). */
    static CodeBlock cast(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        String xs = s.segment(x, "x");
        String ys = s.segment(y, "y");
        DType from = x.dtype();
        DType to = y.dtype();
        return Code.scalarLoop(s, s.dims().of(y.type().elementCount()), i -> {
            CodeBlock v = Code.get(xs, JavaTypes.layoutField(from), CodeBlock.of("$N", i));
            if (from == DType.U8) {
                v = CodeBlock.of("($L & 0xFF)", v);
            } else if (from == DType.U16) {
                v = CodeBlock.of("($L & 0xFFFF)", v);
            }
            CodeBlock conv = from == to ? v : CodeBlock.of("($T) $L", JavaTypes.scalar(to), v);
            return CodeBlock.builder()
                    .addStatement(Code.set(ys, JavaTypes.layoutField(to), CodeBlock.of("$N", i), conv))
                    .build();
        });
    }

    /**
     * {@code y[.., m, n] = sum_k a[.., m, k] * b[.., k, n]} in int arithmetic; {@code b} is either a
     * matrix shared by every batch or has {@code a}'s batch dims.
     */
    static CodeBlock matmul(Scope s) {
        Node node = s.node();
        Value a = node.input(0);
        Value b = node.input(1);
        Value y = node.output();
        if (a.type().rank() < 2 || b.type().rank() < 2) {
            throw new IllegalStateException(node.where() + ": integer matmul needs matrices, got " + a + ", " + b);
        }
        List<Dim> ad = a.type().dims();
        List<Dim> bd = b.type().dims();
        Dim batch = Dim.product(ad.subList(0, ad.size() - 2));
        boolean shared = b.type().rank() == 2;
        if (!shared && !bd.subList(0, bd.size() - 2).equals(ad.subList(0, ad.size() - 2))) {
            throw new IllegalStateException(node.where() + ": integer matmul batch dims differ: " + a + ", " + b);
        }
        DimCode dc = s.dims();
        CodeBlock mm = dc.of(ad.get(ad.size() - 2));
        CodeBlock kk = dc.of(ad.getLast());
        CodeBlock nn = dc.of(bd.getLast());
        String as = s.segment(a, "a");
        String bs = s.segment(b, "b");
        String ys = s.segment(y, "y");
        String la = JavaTypes.layoutField(a.dtype());
        String ly = JavaTypes.layoutField(y.dtype());
        String t = s.local("t");
        String m = s.local("m");
        String n = s.local("n");
        String k = s.local("k");
        String acc = s.local("acc");
        CodeBlock bBase = shared ? CodeBlock.of("0L") : CodeBlock.of("$N * $L * $L", t, kk, nn);
        return CodeBlock.builder()
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", t, t, dc.of(batch), t)
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", m, m, mm, m)
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", n, n, nn, n)
                .addStatement("long $N = 0", acc)
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", k, k, kk, k)
                .addStatement(
                        "$N += (long) $L * $L",
                        acc,
                        Code.get(as, la, CodeBlock.of("($N * $L + $N) * $L + $N", t, mm, m, kk, k)),
                        Code.get(bs, la, CodeBlock.of("$L + $N * $L + $N", bBase, k, nn, n)))
                .endControlFlow()
                .addStatement(Code.set(
                        ys,
                        ly,
                        CodeBlock.of("($N * $L + $N) * $L + $N", t, mm, m, nn, n),
                        CodeBlock.of("($T) $N", JavaTypes.scalar(y.dtype()), acc)))
                .endControlFlow()
                .endControlFlow()
                .endControlFlow()
                .build();
    }
}
