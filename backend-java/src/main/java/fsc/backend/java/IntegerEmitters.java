package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.PanelLayout;
import fsc.ir.Value;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.OptionalInt;

/**
 * Kernels that keep quantized data in integers, so ONNX MatMulInteger / QLinearMatMul accumulate in
 * int32 as ONNX specifies instead of going through f32: {@code matmul_int8} (the {@code quant-gemm}
 * pass's lowering, 8-bit operands) onto the runtime's {@code Int8Gemm}, its activations quantized by
 * {@code dynamic_quantize} ({@code Int8Quantize}), and an exact scalar i32
 * matmul for what that pass leaves (weights that are not constants, operands wider than 8 bits).
 * (Casts between 8-bit and other types are {@link CopyEmitter#cast}, reading u8 zero-extended
 * through {@link ElemCode}.)
 */
final class IntegerEmitters {
    private IntegerEmitters() {}

    static final ClassName INT8_GEMM = ClassName.get("fsc.runtime.kernels", "Int8Gemm");
    static final ClassName INT8_QUANTIZE = ClassName.get("fsc.runtime.kernels", "Int8Quantize");

    /** {@code dynamic_quantize(x) -> (y, scale, zero_point)}: two vector passes in {@code Int8Quantize}. */
    static CodeBlock dynamicQuantize(Scope s) {
        Node node = s.node();
        Value x = node.input(0);
        return CodeBlock.builder()
                .addStatement(
                        "$T.dynamicU8($N, 0L, $L, $N, 0L, $N, $N)",
                        INT8_QUANTIZE,
                        s.segment(x, "x"),
                        s.dims().of(x.type().elementCount()),
                        s.segment(node.outputs().get(0), "y"),
                        s.segment(node.outputs().get(1), "scale"),
                        s.segment(node.outputs().get(2), "zp"))
                .build();
    }

    /**
     * {@code dynamic_quantize_rows(x [, inv]) -> (q, scale)}: the quantize pass's per-row s8
     * quantizer as one {@code Int8Quantize.rowsS8} call (a row is read once into L1, its range and
     * its bytes computed there), instead of eight element-wise nodes.
     */
    static CodeBlock dynamicQuantizeRows(Scope s) {
        Node node = s.node();
        Value x = node.input(0);
        List<Dim> xd = x.type().dims();
        long k = xd.get(xd.size() - 1).value();
        CodeBlock inv = node.inputs().size() > 1
                ? CodeBlock.of("$N, 0L", s.segment(node.input(1), "inv"))
                : CodeBlock.of("$T.NULL, 0L", JavaTypes.MEMORY_SEGMENT);
        return CodeBlock.builder()
                .addStatement(
                        "$T.rowsS8($N, 0L, $T.toIntExact($L), $L, $L, $N, 0L, $N, 0L)",
                        INT8_QUANTIZE,
                        s.segment(x, "x"),
                        Math.class,
                        s.dims().of(Dim.product(xd.subList(0, xd.size() - 1))),
                        k,
                        inv,
                        s.segment(node.outputs().get(0), "q"),
                        s.segment(node.outputs().get(1), "scale"))
                .build();
    }

    /**
     * {@code matmul_int8(a, a_zp, b, b_offset [, scale [, bias]])} (or {@code [, a_scale, b_scale [,
     * bias]]} with {@code scale_factors = 2}) as one {@code Int8Gemm.gemm} with
     * M = the product of a's leading dimensions; b is packed once at construction (or used in place
     * when the {@code quant-gemm} pass packed it for this CPU's panel width).
     */
    static CodeBlock matmulInt8(Scope s) {
        Node node = s.node();
        Value a = node.input(0);
        Value b = node.input(2);
        Value y = node.output();
        List<Dim> ad = a.type().dims();
        Dim m = Dim.product(ad.subList(0, ad.size() - 1));
        long k = b.type().dim(0).value();
        long n = b.type().dim(1).value();
        boolean unsigned = a.dtype() == DType.U8;
        String zp = s.segment(node.input(1), "zp");
        CodeBlock zpValue = unsigned
                ? CodeBlock.of("$N.get($T.JAVA_BYTE, 0L) & 0xff", zp, ValueLayout.class)
                : CodeBlock.of("$N.get($T.JAVA_BYTE, 0L)", zp, ValueLayout.class);
        // scale_factors = 2: (a_scale, b_scale); the kernel multiplies them in its epilogue.
        int factors = (int) node.intAttr("scale_factors");
        CodeBlock scale = CodeBlock.of("$T.NULL, 0L, false, 1f", JavaTypes.MEMORY_SEGMENT);
        if (node.inputs().size() > 4) {
            Value sv = node.input(3 + factors);
            boolean perColumn = !sv.type().elementCount().equals(Dim.of(1));
            CodeBlock factor = factors == 2
                    ? Code.get(
                            s.segment(node.input(4), "a_scale"), JavaTypes.layoutField(DType.F32), CodeBlock.of("0L"))
                    : CodeBlock.of("1f");
            scale = CodeBlock.of("$N, 0L, $L, $L", s.segment(sv, "scale"), perColumn, factor);
        }
        // row_scale = 1: one f32 per row of a after the scale(s), then the bias.
        boolean rowScaled = node.intAttr("row_scale") == 1;
        int biasAt = 4 + factors + (rowScaled ? 1 : 0);
        CodeBlock rowScale = rowScaled
                ? CodeBlock.of("$N, 0L", s.segment(node.input(4 + factors), "row_scale"))
                : CodeBlock.of("$T.NULL, 0L", JavaTypes.MEMORY_SEGMENT);
        CodeBlock bias = node.inputs().size() > biasAt
                ? CodeBlock.of("$N, 0L", s.segment(node.input(biasAt), "bias"))
                : CodeBlock.of("$T.NULL, 0L", JavaTypes.MEMORY_SEGMENT);
        return CodeBlock.builder()
                .addStatement(
                        "$T.gemm($T.toIntExact($L), $L, $L, $N, 0L, $L, $L, $L, 0L, $N, 0L, $N, 0L, $L, $L, $L, $L, $N)",
                        INT8_GEMM,
                        Math.class,
                        s.dims().of(m),
                        n,
                        k,
                        s.segment(a, "a"),
                        unsigned,
                        zpValue,
                        packInt8(s, b, k, n),
                        s.segment(node.input(3), "offset"),
                        s.segment(y, "y"),
                        scale,
                        rowScale,
                        bias,
                        node.intAttr("gelu") == 1,
                        ModelContext.PAR)
                .build();
    }

    /** The constructor-time packed s8 weight: in place when packed for this CPU's panel width, else repacked once. */
    private static CodeBlock packInt8(Scope s, Value b, long k, long n) {
        CodeBlock src = s.model().buffer(b);
        OptionalInt panel = PanelLayout.width(b.type().layout());
        if (panel.isEmpty()) {
            return s.model().addPacked(ref -> CodeBlock.builder()
                    .addStatement(
                            "$L = $N.allocate($T.packedBytes($L, $L))",
                            ref,
                            ModelContext.PACKED_MEMORY,
                            INT8_GEMM,
                            k,
                            n)
                    .addStatement("$T.packB($L, 0L, $L, $L, $L, 0L)", INT8_GEMM, src, k, n, ref)
                    .build());
        }
        int w = panel.getAsInt();
        return s.model().addPacked(ref -> CodeBlock.builder()
                .beginControlFlow("if ($T.panelWidth() == $L)", INT8_GEMM, w)
                .addStatement("$L = $L", ref, src)
                .nextControlFlow("else")
                .add("// Compiled for another vector width: convert the panels once.\n")
                .addStatement(
                        "$L = $N.allocate($T.packedBytes($L, $L))", ref, ModelContext.PACKED_MEMORY, INT8_GEMM, k, n)
                .addStatement("$T.repack($L, 0L, $L, $L, $L, $L, 0L)", INT8_GEMM, src, k, n, w, ref)
                .endControlFlow()
                .build());
    }

    /** The matmul row's emitter: int32 here, f32 in {@link MatmulEmitter}. */
    static CodeBlock matmulOrFloat(Scope s) {
        return s.node().input(0).dtype() == DType.F32 ? MatmulEmitter.matmul(s) : matmul(s);
    }

    /**
     * {@code y[.., m, n] = sum_k a[.., m, k] * b[.., k, n]} in int arithmetic, or in double for f64
     * (ONNX's double tests; no vector kernel), summed in k order; {@code b} is either a matrix shared
     * by every batch or has {@code a}'s batch dims.
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
        boolean f64 = y.dtype() == DType.F64;
        CodeBlock bBase = shared ? CodeBlock.of("0L") : CodeBlock.of("$N * $L * $L", t, kk, nn);
        return CodeBlock.builder()
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", t, t, dc.of(batch), t)
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", m, m, mm, m)
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", n, n, nn, n)
                .addStatement(f64 ? "double $N = 0.0" : "long $N = 0", acc)
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", k, k, kk, k)
                .addStatement(
                        f64 ? "$N += $L * $L" : "$N += (long) $L * $L",
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
