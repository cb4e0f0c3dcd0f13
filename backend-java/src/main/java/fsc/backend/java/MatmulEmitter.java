package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * {@code matmul} and {@code gemm}, lowered onto the runtime's {@code Sgemm}. A right operand that is
 * a constant weight is packed once at construction ({@code Sgemm.packB} into the model's arena) and
 * every call runs {@code gemmPacked} with M = the product of A's leading dimensions, so a
 * {@code [B,S,384] × [384,1536]} projection is one GEMM. Activation × activation products with batch
 * dimensions (attention scores and context) call {@code Sgemm.gemm} per batch slice, in parallel over
 * the slices when the model runs with more than one thread.
 */
final class MatmulEmitter {
    private MatmulEmitter() {}

    static CodeBlock matmul(Scope s) {
        Node n = s.node();
        Value a = n.input(0);
        Value b = n.input(1);
        Value y = n.output();
        List<Dim> ad = a.type().dims();
        List<Dim> bd = b.type().dims();
        DimCode dc = s.dims();
        Dim k = ad.get(ad.size() - 1);
        Dim nn = bd.size() == 1 ? Dim.of(1) : bd.get(bd.size() - 1);
        if (bd.size() <= 2) {
            Dim m = Dim.product(ad.subList(0, ad.size() - 1));
            return single(s, a, b, y, m, k, nn, false);
        }
        Dim m = ad.size() == 1 ? Dim.of(1) : ad.get(ad.size() - 2);
        List<Dim> yd = y.type().dims();
        int batchRank = yd.size() - (ad.size() == 1 ? 0 : 1) - 1;
        List<Dim> batch = yd.subList(0, batchRank);
        List<Dim> aBatch = ad.size() <= 2 ? List.of() : ad.subList(0, ad.size() - 2);
        List<Dim> bBatch = bd.subList(0, bd.size() - 2);
        LoopNest nest = LoopNest.of(
                batch,
                List.of(
                        scaled(DimCode.contiguousStrides(batch), m.times(nn)),
                        scaled(Code.broadcastStrides(aBatch, batch), m.times(k)),
                        scaled(Code.broadcastStrides(bBatch, batch), k.times(nn))));
        if (nest.rank() == 1) {
            return parallelSlices(s, a, b, y, m, k, nn, nest);
        }
        String as = s.segment(a, "a");
        String bs = s.segment(b, "b");
        String ys = s.segment(y, "y");
        Sizes z = gemmSizes(s, m, nn, k);
        CodeBlock.Builder body = CodeBlock.builder().add(z.declarations());
        CodeBlock zero = CodeBlock.of("0L");
        body.add(nest.emit(s, List.of(ys, as, bs), List.of(zero, zero, zero), (count, off) -> {
            String j = s.local("j");
            return CodeBlock.builder()
                    .beginControlFlow("for (long $N = 0; $N < $L; $N++)", j, j, count, j)
                    .add(sliceGemm(s, z, as, bs, ys, off, nest, j, ModelContext.PAR))
                    .endControlFlow()
                    .build();
        }));
        return body.build();
    }

    /** The {@code int} locals holding one node's GEMM sizes, and their declarations. */
    private record Sizes(String m, String n, String k, CodeBlock declarations) {}

    private static Sizes gemmSizes(Scope s, Dim m, Dim n, Dim k) {
        DimCode dc = s.dims();
        String mi = s.local("m");
        String ni = s.local("n");
        String ki = s.local("k");
        return new Sizes(
                mi,
                ni,
                ki,
                CodeBlock.builder()
                        .addStatement("int $N = $T.toIntExact($L)", mi, Math.class, dc.of(m))
                        .addStatement("int $N = $T.toIntExact($L)", ni, Math.class, dc.of(n))
                        .addStatement("int $N = $T.toIntExact($L)", ki, Math.class, dc.of(k))
                        .build());
    }

    /** One slice's GEMM, at the nest's offsets for slice {@code j}. */
    private static CodeBlock sliceGemm(
            Scope s, Sizes z, String as, String bs, String ys, List<String> off, LoopNest nest, String j, String par) {
        DimCode dc = s.dims();
        return CodeBlock.builder()
                .addStatement(
                        "$T.gemm($N, $N, $N, $N, ($L) * 4L, $N, false, $N, ($L) * 4L, $N, false, $N, ($L) * 4L, $N, 1f,"
                                + " false, $N)",
                        JavaTypes.SGEMM,
                        z.m(),
                        z.n(),
                        z.k(),
                        as,
                        Code.index(dc, off.get(1), nest.innerStride(1), j),
                        z.k(),
                        bs,
                        Code.index(dc, off.get(2), nest.innerStride(2), j),
                        z.n(),
                        ys,
                        Code.index(dc, off.get(0), nest.innerStride(0), j),
                        z.n(),
                        par)
                .build();
    }

    /**
     * Batch slices in one run (attention's {@code [B*H]} after coalescing): a helper method runs slices
     * {@code [from, to)}, and a body field made once at construction hands it to
     * {@code Parallelism.forRange}, so a call allocates no lambda. With one thread, or one slice, the
     * helper runs inline and each GEMM may use every thread itself.
     */
    private static CodeBlock parallelSlices(Scope s, Value a, Value b, Value y, Dim m, Dim k, Dim nn, LoopNest nest) {
        Scope h = s.helper("slices");
        String as = h.segment(a, "a");
        String bs = h.segment(b, "b");
        String ys = h.segment(y, "y");
        String base = h.local("base");
        Sizes z = gemmSizes(h, m, nn, k);
        CodeBlock.Builder hb = CodeBlock.builder().add(z.declarations()).addStatement("long $N = 0L", base);
        String j = h.local("j");
        hb.beginControlFlow("for (long $N = from; $N < to; $N++)", j, j, j)
                .add(sliceGemm(h, z, as, bs, ys, List.of(base, base, base), nest, j, "p"))
                .endControlFlow();
        String helper = h.methodName();
        s.model()
                .addMethod(MethodSpec.methodBuilder(helper)
                        .addJavadoc(
                                "Slices {@code [from, to)} of the batch of {@link #$N}, one GEMM each.\n",
                                s.methodName())
                        .addModifiers(Modifier.PRIVATE)
                        .addParameter(TypeName.INT, "from")
                        .addParameter(TypeName.INT, "to")
                        .addParameter(JavaTypes.PARALLELISM, "p")
                        .addCode(h.symbolsFromFields())
                        .addCode(h.prologue())
                        .addCode(hb.build())
                        .build());
        String field = helper + "Body";
        s.model()
                .addField(
                        FieldSpec.builder(JavaTypes.RANGE_BODY, field, Modifier.PRIVATE, Modifier.FINAL)
                                .addJavadoc("{@link #$N} on one thread per chunk, for {@code par.forRange}.\n", helper)
                                .build(),
                        CodeBlock.builder()
                                .addStatement(
                                        "this.$N = (from, to) -> $N(from, to, $N)", field, helper, ModelContext.SERIAL)
                                .build());
        String slices = s.local("slices");
        return CodeBlock.builder()
                .addStatement(
                        "int $N = $T.toIntExact($L)",
                        slices,
                        Math.class,
                        s.dims().of(nest.innerCount()))
                .beginControlFlow("if ($N > 1 && $N.threads() > 1)", slices, ModelContext.PAR)
                .add("// One slice per task: attention slices are too small to split further.\n")
                .addStatement("$N.forRange(0, $N, 1, $N)", ModelContext.PAR, slices, field)
                .nextControlFlow("else")
                .addStatement("$N(0, $N, $N)", helper, slices, ModelContext.PAR)
                .endControlFlow()
                .build();
    }

    private static List<Dim> scaled(List<Dim> strides, Dim by) {
        return strides.stream().map(d -> DimCode.times(d, by)).toList();
    }

    /**
     * One GEMM {@code y[M,N] = a[M,K] × b[K,N]} (b transposed when {@code transB}); packed when b is
     * a constant.
     */
    private static CodeBlock single(Scope s, Value a, Value b, Value y, Dim m, Dim k, Dim n, boolean transB) {
        DimCode dc = s.dims();
        String as = s.segment(a, "a");
        String ys = s.segment(y, "y");
        if (s.model().isConstant(b) && k.isFixed() && n.isFixed()) {
            EpilogueFusion.Epilogue fused = s.model().epilogue(s.node());
            if (fused == null
                    && !transB
                    && SparseConstants.fewPerColumn(s.model().graph(), b)) {
                return sparse(s, b, as, ys, m, k, n);
            }
            CodeBlock packed = pack(s, b, k, n, transB);
            if (fused != null) {
                return CodeBlock.builder()
                        .addStatement(
                                "$T.gemmPacked($T.toIntExact($L), $L, $L, $N, 0L, $L, $L, 0L, $N, 0L, $L, false, $N, $N)",
                                JavaTypes.SGEMM,
                                Math.class,
                                dc.of(m),
                                n.value(),
                                k.value(),
                                as,
                                k.value(),
                                packed,
                                ys,
                                n.value(),
                                epilogueField(s, fused),
                                ModelContext.PAR)
                        .build();
            }
            return CodeBlock.builder()
                    .addStatement(
                            "$T.gemmPacked($T.toIntExact($L), $L, $L, $N, 0L, $L, $L, 0L, $N, 0L, $L, false, $N)",
                            JavaTypes.SGEMM,
                            Math.class,
                            dc.of(m),
                            n.value(),
                            k.value(),
                            as,
                            k.value(),
                            packed,
                            ys,
                            n.value(),
                            ModelContext.PAR)
                    .build();
        }
        requireRowMajor(s, b);
        String bs = s.segment(b, "b");
        return CodeBlock.builder()
                .addStatement(
                        "$T.gemm($T.toIntExact($L), $T.toIntExact($L), $T.toIntExact($L), $N, 0L, $L, false, $N, 0L, $L,"
                                + " $L, $N, 0L, $L, 1f, false, $N)",
                        JavaTypes.SGEMM,
                        Math.class,
                        dc.of(m),
                        Math.class,
                        dc.of(n),
                        Math.class,
                        dc.of(k),
                        as,
                        dc.of(k),
                        bs,
                        transB ? dc.of(k) : dc.of(n),
                        transB,
                        ys,
                        dc.of(n),
                        ModelContext.PAR)
                .build();
    }

    /**
     * {@code y = a · b} for a constant b with a few non-zeros per column (a Resize's interpolation
     * table): a {@code SparseColumnsMatmul} made once at construction from the constant as the
     * weights hold it, then one FMA chain per output over its column's non-zeros.
     */
    private static CodeBlock sparse(Scope s, Value b, String as, String ys, Dim m, Dim k, Dim n) {
        String field = s.methodName() + "Sparse";
        ClassName type = ClassName.get("fsc.runtime.kernels", "SparseColumnsMatmul");
        s.model()
                .addHelperInitField(
                        FieldSpec.builder(type, field, Modifier.PRIVATE)
                                .addJavadoc("The non-zeros of {@link #$N}'s constant right operand.\n", s.methodName())
                                .build(),
                        CodeBlock.builder()
                                .addStatement(
                                        "this.$N = new $T($L, 0L, $L, $L, $L)",
                                        field,
                                        type,
                                        s.model().buffer(b),
                                        k.value(),
                                        n.value(),
                                        fsc.ir.PanelLayout.width(b.type().layout())
                                                .orElse(0))
                                .build());
        return CodeBlock.builder()
                .addStatement(
                        "$N.run($T.toIntExact($L), $N, 0L, $N, 0L, $N)",
                        field,
                        Math.class,
                        s.dims().of(m),
                        as,
                        ys,
                        ModelContext.PAR)
                .build();
    }

    /** A {@code GemmEpilogue} field made once at construction (bias slice of the weights, activation). */
    private static String epilogueField(Scope s, EpilogueFusion.Epilogue fused) {
        String field = s.methodName() + "Epilogue";
        CodeBlock bias = fused.bias() == null ? CodeBlock.of("null") : s.model().buffer(fused.bias());
        s.model()
                .addField(
                        FieldSpec.builder(JavaTypes.GEMM_EPILOGUE, field, Modifier.PRIVATE, Modifier.FINAL)
                                .addJavadoc(
                                        "Bias $L and $L applied per tile by {@link #$N}'s GEMM.\n",
                                        fused.bias() == null
                                                ? "(none)"
                                                : "%"
                                                        + ModelClassEmitter.sanitize(
                                                                fused.bias().name()),
                                        fused.activation(),
                                        s.methodName())
                                .build(),
                        CodeBlock.builder()
                                .addStatement(
                                        "this.$N = $T.of($L, 0L, $T.Activation.$L)",
                                        field,
                                        JavaTypes.GEMM_EPILOGUE,
                                        bias,
                                        JavaTypes.GEMM_EPILOGUE,
                                        fused.activation())
                                .build());
        return field;
    }

    /**
     * Registers the constructor-time packing of constant {@code b} and returns the packed buffer. A
     * {@code {panelW}} constant (the {@code layout} pass) is already packed: it is copied into the
     * constructor's {@code PackedMemory} (huge pages owned by the model's arena) when this CPU's panel
     * width is {@code W} (kernels read native memory faster than the mapped jar), and repacked once
     * otherwise.
     */
    private static CodeBlock pack(Scope s, Value b, Dim k, Dim n, boolean transB) {
        CodeBlock src = s.model().buffer(b);
        java.util.OptionalInt panel = fsc.ir.PanelLayout.width(b.type().layout());
        if (panel.isPresent()) {
            if (transB) {
                throw new IllegalStateException(
                        "a {" + b.type().layout() + "} weight is always B[K,N], never transposed");
            }
            return s.model().addPacked(ref -> CodeBlock.builder()
                    .addStatement(
                            "$L = $N.allocate($T.packedBytes($L, $L))",
                            ref,
                            ModelContext.PACKED_MEMORY,
                            JavaTypes.SGEMM,
                            k.value(),
                            n.value())
                    .beginControlFlow("if ($T.panelWidth() == $L)", JavaTypes.SGEMM, panel.getAsInt())
                    .add("// Copied out of the mapped jar: the GEMM reads mapped file pages 20-40% slower\n")
                    .add("// than the same bytes in the model's arena (docs/PERFORMANCE-FP32.md).\n")
                    .addStatement(
                            "$T.copy($L, 0L, $L, 0L, $T.packedBytes($L, $L))",
                            java.lang.foreign.MemorySegment.class,
                            src,
                            ref,
                            JavaTypes.SGEMM,
                            k.value(),
                            n.value())
                    .nextControlFlow("else")
                    .add("// Compiled for another vector width: convert the panels once.\n")
                    .addStatement(
                            "$T.repack($L, 0L, $L, $L, $L, $L, 0L)",
                            JavaTypes.SGEMM,
                            src,
                            k.value(),
                            n.value(),
                            panel.getAsInt(),
                            ref)
                    .endControlFlow()
                    .build());
        }
        return s.model().addPacked(ref -> CodeBlock.builder()
                .addStatement(
                        "$L = $N.allocate($T.packedBytes($L, $L))",
                        ref,
                        ModelContext.PACKED_MEMORY,
                        JavaTypes.SGEMM,
                        k.value(),
                        n.value())
                .addStatement(
                        "$T.packB($L, 0L, $L, $L, $L, $L, 0L)", JavaTypes.SGEMM, src, k.value(), n.value(), transB, ref)
                .build());
    }

    static CodeBlock gemm(Scope s) {
        Node n = s.node();
        Value a = n.input(0);
        Value b = n.input(1);
        Value y = n.output();
        boolean transA = n.intAttr("trans_a") != 0;
        boolean transB = n.intAttr("trans_b") != 0;
        double alpha = n.floatAttr("alpha");
        double beta = n.floatAttr("beta");
        boolean bias = n.inputs().size() > 2 && beta != 0.0;
        DimCode dc = s.dims();
        Dim m = transA ? a.type().dim(1) : a.type().dim(0);
        Dim k = transA ? a.type().dim(0) : a.type().dim(1);
        Dim nn = transB ? b.type().dim(0) : b.type().dim(1);
        CodeBlock.Builder body = CodeBlock.builder();
        if (bias) {
            body.add(fillBias(s, n.input(2), y, (float) beta));
        }
        String as = s.segment(a, "a");
        String ys = s.segment(y, "y");
        if (!transA && alpha == 1.0 && s.model().isConstant(b) && k.isFixed() && nn.isFixed()) {
            CodeBlock packed = pack(s, b, k, nn, transB);
            return body.addStatement(
                            "$T.gemmPacked($T.toIntExact($L), $L, $L, $N, 0L, $L, $L, 0L, $N, 0L, $L, $L, $N)",
                            JavaTypes.SGEMM,
                            Math.class,
                            dc.of(m),
                            nn.value(),
                            k.value(),
                            as,
                            k.value(),
                            packed,
                            ys,
                            nn.value(),
                            bias,
                            ModelContext.PAR)
                    .build();
        }
        requireRowMajor(s, b);
        String bs = s.segment(b, "b");
        return body.addStatement(
                        "$T.gemm($T.toIntExact($L), $T.toIntExact($L), $T.toIntExact($L), $N, 0L, $L, $L, $N, 0L, $L, $L,"
                                + " $N, 0L, $L, $Lf, $L, $N)",
                        JavaTypes.SGEMM,
                        Math.class,
                        dc.of(m),
                        Math.class,
                        dc.of(nn),
                        Math.class,
                        dc.of(k),
                        as,
                        dc.of(a.type().dim(1)),
                        transA,
                        bs,
                        dc.of(b.type().dim(1)),
                        transB,
                        ys,
                        dc.of(nn),
                        (float) alpha,
                        bias,
                        ModelContext.PAR)
                .build();
    }

    /** The unpacked GEMM paths read B row-major; the layout pass only packs what the packed path takes. */
    private static void requireRowMajor(Scope s, Value b) {
        if (!b.type().isRowMajor()) {
            throw new IllegalStateException(
                    s.node().where() + " reads %" + b.name() + ": " + b.type() + " on a GEMM path that is not packed");
        }
    }

    /** {@code y = beta * c} broadcast to {@code [M,N]}, so the GEMM can accumulate onto it. */
    private static CodeBlock fillBias(Scope s, Value c, Value y, float beta) {
        List<Dim> dims = y.type().dims();
        LoopNest nest = LoopNest.of(
                dims,
                List.of(
                        DimCode.contiguousStrides(dims),
                        Code.broadcastStrides(c.type().dims(), dims)));
        String cs = s.segment(c, "c");
        String ys = s.segment(y, "y");
        DimCode dc = s.dims();
        CodeBlock zero = CodeBlock.of("0L");
        return nest.emit(
                s,
                List.of(ys, cs),
                List.of(zero, zero),
                (count, off) -> Code.scalarLoop(s, count, i -> CodeBlock.builder()
                        .addStatement(Code.set(
                                ys,
                                "F32",
                                Code.index(dc, off.get(0), nest.innerStride(0), i),
                                CodeBlock.of(
                                        "$Lf * $L",
                                        beta,
                                        Code.get(cs, "F32", Code.index(dc, off.get(1), nest.innerStride(1), i)))))
                        .build()));
    }
}
