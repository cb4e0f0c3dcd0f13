package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.List;

/**
 * Kernels that keep quantized data in integers: an exact i32 matmul, so ONNX MatMulInteger /
 * QLinearMatMul accumulate in int32 as ONNX specifies instead of going through f32. (Casts between
 * 8-bit and other types are {@link CopyEmitter#cast}, reading u8 zero-extended through {@link ElemCode}.)
 */
final class IntegerEmitters {
    private IntegerEmitters() {}

    /** The matmul row's emitter: int32 here, f32 in {@link MatmulEmitter}. */
    static CodeBlock matmulOrFloat(Scope s) {
        return s.node().input(0).dtype() == DType.I32 ? matmul(s) : MatmulEmitter.matmul(s);
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
