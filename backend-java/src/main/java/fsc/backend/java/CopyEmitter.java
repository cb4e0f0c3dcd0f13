package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.runtime.kernels.InterleaveRuns;
import java.util.ArrayList;
import java.util.List;

/**
 * Data movement: {@code transpose}, {@code slice}, {@code expand}, {@code concat},
 * {@code constant_of_shape}, {@code cast} and {@code bitcast}. Moves are byte-exact copies through a {@link LoopNest}
 * (so they work for every element type); where the coalesced inner run is contiguous on both sides
 * it becomes one {@code MemorySegment.copy}.
 */
final class CopyEmitter {
    private CopyEmitter() {}

    /** {@code y[...] = x[...]} over a nest whose operand 0 is y and operand 1 is x. */
    static CodeBlock copyNest(Scope s, LoopNest nest, String ys, String xs, CodeBlock xBase, int es) {
        DimCode dc = s.dims();
        String l = JavaTypes.rawLayoutField(es);
        return nest.emit(s, List.of(ys, xs), List.of(CodeBlock.of("0L"), xBase), (count, off) -> {
            Dim sy = nest.innerStride(0);
            Dim sx = nest.innerStride(1);
            if (DimCode.isOne(sy) && DimCode.isOne(sx)) {
                return CodeBlock.builder()
                        .addStatement(
                                "$T.copy($N, $N * $LL, $N, $N * $LL, ($L) * $LL)",
                                JavaTypes.MEMORY_SEGMENT,
                                xs,
                                off.get(1),
                                es,
                                ys,
                                off.get(0),
                                es,
                                count,
                                es)
                        .build();
            }
            return Code.scalarLoop(s, count, i -> CodeBlock.builder()
                    .addStatement(Code.set(
                            ys,
                            l,
                            Code.index(dc, off.get(0), sy, i),
                            Code.get(xs, l, Code.index(dc, off.get(1), sx, i))))
                    .build());
        });
    }

    static CodeBlock transpose(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        List<Dim> xd = x.type().dims();
        long[] perm = n.intsAttr("perm");
        if (perm == null) {
            perm = new long[xd.size()];
            for (int d = 0; d < perm.length; d++) {
                perm[d] = perm.length - 1 - d;
            }
        }
        List<Dim> xStrides = DimCode.contiguousStrides(xd);
        List<Dim> permuted = new ArrayList<>();
        for (long p : perm) {
            permuted.add(xStrides.get((int) p));
        }
        List<Dim> yd = y.type().dims();
        LoopNest nest = LoopNest.of(yd, List.of(DimCode.contiguousStrides(yd), permuted));
        String ys = s.segment(y, "y");
        String xs = s.segment(x, "x");
        int r = nest.rank();
        if (interleavesRuns(nest, x.dtype())) {
            return interleaveRuns(s, nest, ys, xs);
        }
        if (r >= 2 && DimCode.isOne(nest.stride(1, r - 2)) && !DimCode.isOne(nest.innerStride(1))) {
            return blockedTranspose(s, nest, ys, xs, x.dtype().blockBytes());
        }
        return copyNest(s, nest, ys, xs, CodeBlock.of("0L"), x.dtype().blockBytes());
    }

    /** Tile edge of the blocked 2-D transpose: 16 rows of 16 floats are 16 cache lines read and written. */
    static final int TILE = 16;

    /**
     * A 2-D transpose innermost ({@code y[r, c] = x[c, r]}: x is contiguous along the second-to-last
     * dimension, y along the last), walked in {@value #TILE}×{@value #TILE} tiles so both sides stay
     * within a few cache lines instead of striding x across the whole matrix for every output row.
     */
    private static CodeBlock blockedTranspose(Scope s, LoopNest nest, String ys, String xs, int es) {
        DimCode dc = s.dims();
        String l = JavaTypes.rawLayoutField(es);
        int r = nest.rank();
        Dim cols = nest.dim(r - 1);
        Dim xColStride = nest.innerStride(1);
        Dim yRowStride = nest.stride(0, r - 2);
        LoopNest outer = nest.outer();
        Dim rowDim = nest.dim(r - 2);
        if (es == 4 && cols.isFixed() && rowDim.isFixed() && cols.value() >= TILE && rowDim.value() >= TILE) {
            // 4-byte elements, both sides at least a tile: the runtime's vector tile transpose
            // (registers, not scalar loads). Narrower ones (ConvTranspose's 2-wide patch axes) keep
            // the generated loop, which C2 compiles inline.
            return outer.emit(
                    s,
                    List.of(ys, xs),
                    List.of(CodeBlock.of("0L"), CodeBlock.of("0L")),
                    (rows, off) -> CodeBlock.builder()
                            .addStatement(
                                    "$T.run($N, $L, $L, $N, $L, $L, $L, $L)",
                                    JavaTypes.TRANSPOSE_2D,
                                    xs,
                                    off.get(1),
                                    dc.of(xColStride),
                                    ys,
                                    off.get(0),
                                    dc.of(yRowStride),
                                    rows,
                                    dc.of(cols))
                            .build());
        }
        return outer.emit(s, List.of(ys, xs), List.of(CodeBlock.of("0L"), CodeBlock.of("0L")), (rows, off) -> {
            String n = s.local("rows");
            String m = s.local("cols");
            String r0 = s.local("r0");
            String c0 = s.local("c0");
            String re = s.local("rEnd");
            String ce = s.local("cEnd");
            String ri = s.local("r");
            String ci = s.local("c");
            return CodeBlock.builder()
                    .addStatement("long $N = $L", n, rows)
                    .addStatement("long $N = $L", m, dc.of(cols))
                    .beginControlFlow("for (long $N = 0; $N < $N; $N += $L)", r0, r0, n, r0, TILE)
                    .addStatement("long $N = $T.min($N, $N + $L)", re, Math.class, n, r0, TILE)
                    .beginControlFlow("for (long $N = 0; $N < $N; $N += $L)", c0, c0, m, c0, TILE)
                    .addStatement("long $N = $T.min($N, $N + $L)", ce, Math.class, m, c0, TILE)
                    .beginControlFlow("for (long $N = $N; $N < $N; $N++)", ri, r0, ri, re, ri)
                    .beginControlFlow("for (long $N = $N; $N < $N; $N++)", ci, c0, ci, ce, ci)
                    .addStatement(Code.set(
                            ys,
                            l,
                            CodeBlock.of("$N + $N * $L + $N", off.get(0), ri, dc.of(yRowStride), ci),
                            Code.get(xs, l, CodeBlock.of("$N + $N + $N * $L", off.get(1), ri, ci, dc.of(xColStride)))))
                    .endControlFlow()
                    .endControlFlow()
                    .endControlFlow()
                    .endControlFlow()
                    .build();
        });
    }

    static CodeBlock expand(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        List<Dim> yd = y.type().dims();
        LoopNest nest = LoopNest.of(
                yd,
                List.of(
                        DimCode.contiguousStrides(yd),
                        Code.broadcastStrides(x.type().dims(), yd)));
        if (interleavesRuns(nest, x.dtype())) {
            return interleaveRuns(s, nest, s.segment(y, "y"), s.segment(x, "x"));
        }
        return copyNest(
                s,
                nest,
                s.segment(y, "y"),
                s.segment(x, "x"),
                CodeBlock.of("0L"),
                x.dtype().blockBytes());
    }

    /**
     * True when the nest's inner two dimensions of 4-byte elements interleave {@code f} runs of x into y ({@code y[i·f + j]
     * = x[j·stride + i]}): the innermost dimension a fixed {@code f ≥ 2} with y's stride 1, the next
     * one x's stride 1 and y's {@code f}. With x's inner stride 0 that is nearest upsampling's inner
     * axis (an expand), with 2 runs ConvTranspose's depth-to-space (a transpose); the generated nest
     * would copy one element per {@code f}-trip loop.
     */
    private static boolean interleavesRuns(LoopNest nest, DType element) {
        int r = nest.rank();
        if (r < 2 || element.blockBytes() != 4) { // the kernel moves 32-bit elements
            return false;
        }
        Dim f = nest.dim(r - 1);
        // The kernel's vector paths: repeats up to its largest factor, zips of two runs. Others
        // (a plain 2-D transpose also has this shape) stay with the generated loops or Transpose2d.
        boolean vectorised = DimCode.isZero(nest.innerStride(1))
                ? f.isFixed() && f.value() <= InterleaveRuns.MAX_VECTOR_FACTOR
                : f.isFixed() && f.value() == 2;
        return vectorised
                && f.value() >= 2
                && DimCode.isOne(nest.innerStride(0))
                && DimCode.isOne(nest.stride(1, r - 2))
                && nest.stride(0, r - 2).isFixed()
                && nest.stride(0, r - 2).value() == f.value();
    }

    /** The outer nest with one runtime {@link InterleaveRuns} call per group of runs. */
    private static CodeBlock interleaveRuns(Scope s, LoopNest nest, String ys, String xs) {
        int f = Math.toIntExact(nest.dim(nest.rank() - 1).value());
        CodeBlock stride = s.dims().of(nest.innerStride(1));
        return nest.outer()
                .emit(
                        s,
                        List.of(ys, xs),
                        List.of(CodeBlock.of("0L"), CodeBlock.of("0L")),
                        (count, off) -> CodeBlock.builder()
                                .addStatement(
                                        "$T.run($N, $N, $L, $N, $N, $L, $L)",
                                        JavaTypes.INTERLEAVE_RUNS,
                                        xs,
                                        off.get(1),
                                        stride,
                                        ys,
                                        off.get(0),
                                        count,
                                        f)
                                .build());
    }

    /**
     * ONNX Slice: each start is wrapped (negative counts from the end) and clamped at run time, since
     * it may be symbolic; the output dimensions are already in the output type, so ends are not needed.
     */
    static CodeBlock slice(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        List<Dim> xd = x.type().dims();
        List<Dim> starts = n.dimsAttr("starts");
        long[] axes = n.intsAttr("axes");
        long[] steps = n.intsAttr("steps");
        DimCode dc = s.dims();
        List<Dim> xStrides = DimCode.contiguousStrides(xd);
        List<Dim> walk = new ArrayList<>(xStrides);
        CodeBlock.Builder b = CodeBlock.builder();
        List<CodeBlock> baseTerms = new ArrayList<>();
        for (int k = 0; k < starts.size(); k++) {
            int axis = Code.axis(axes == null ? k : axes[k], xd.size());
            long step = steps == null ? 1 : steps[k];
            String dim = s.local("dim");
            String st = s.local("start");
            b.addStatement("long $N = $L", dim, dc.of(xd.get(axis)));
            b.addStatement("long $N = $L", st, dc.of(starts.get(k)));
            b.beginControlFlow("if ($N < 0)", st)
                    .addStatement("$N += $N", st, dim)
                    .endControlFlow();
            // A negative step may start at the last element at most; a positive one at the end (empty).
            CodeBlock limit = step < 0 ? CodeBlock.of("$N - 1", dim) : CodeBlock.of("$N", dim);
            b.addStatement("$N = $T.min($T.max($N, 0L), $L)", st, Math.class, Math.class, st, limit);
            walk.set(axis, DimCode.times(xStrides.get(axis), Dim.of(step)));
            baseTerms.add(CodeBlock.of("$N * $L", st, dc.of(xStrides.get(axis))));
        }
        List<Dim> yd = y.type().dims();
        LoopNest nest = LoopNest.of(yd, List.of(DimCode.contiguousStrides(yd), walk));
        CodeBlock base = baseTerms.isEmpty() ? CodeBlock.of("0L") : CodeBlock.join(baseTerms, " + ");
        return b.add(copyNest(
                        s,
                        nest,
                        s.segment(y, "y"),
                        s.segment(x, "x"),
                        base,
                        x.dtype().blockBytes()))
                .build();
    }

    static CodeBlock concat(Scope s) {
        Node n = s.node();
        Value y = n.output();
        List<Dim> yd = y.type().dims();
        int axis = Code.axis(n.intAttr("axis"), yd.size());
        DimCode dc = s.dims();
        long es = y.dtype().blockBytes();
        String ys = s.segment(y, "y");
        String o = s.local("o");
        String row = s.local("rowBytes");
        CodeBlock.Builder b = CodeBlock.builder()
                .addStatement("long $N = $L * $LL", row, dc.product(yd.subList(axis, yd.size())), es)
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", o, o, dc.product(yd.subList(0, axis)), o);
        List<CodeBlock> before = new ArrayList<>();
        for (Value x : n.inputs()) {
            List<Dim> xd = x.type().dims();
            CodeBlock chunk = CodeBlock.of("$L * $LL", dc.product(xd.subList(axis, xd.size())), es);
            CodeBlock at = before.isEmpty() ? CodeBlock.of("0L") : CodeBlock.join(before, " + ");
            b.addStatement(
                    "$T.copy($N, $N * $L, $N, $N * $N + $L, $L)",
                    JavaTypes.MEMORY_SEGMENT,
                    s.segment(x, "x"),
                    o,
                    chunk,
                    ys,
                    o,
                    row,
                    at,
                    chunk);
            before.add(chunk);
        }
        return b.endControlFlow().build();
    }

    /**
     * {@code dim_values}: each value, a sum of the run-time symbols such as {@code P + S}, stored as
     * the output's integer type ({@code y[1] = (long) (seq_len + 1L)}).
     */
    static CodeBlock dimValues(Scope s) {
        Node n = s.node();
        Value y = n.output();
        String ys = s.segment(y, "y");
        java.util.List<fsc.ir.Dim> values = n.dimsAttr("values");
        CodeBlock.Builder b = CodeBlock.builder();
        for (int i = 0; i < values.size(); i++) {
            b.addStatement(ElemCode.store(
                    ys,
                    y.dtype(),
                    CodeBlock.of("$LL", i),
                    CodeBlock.of(
                            "($T) $L", JavaTypes.scalar(y.dtype()), s.dims().of(values.get(i)))));
        }
        return b.build();
    }

    static CodeBlock constantOfShape(Scope s) {
        Node n = s.node();
        Value y = n.output();
        double value = n.floatAttr("value");
        String ys = s.segment(y, "y");
        if (value == 0.0) {
            return CodeBlock.builder().addStatement("$N.fill((byte) 0)", ys).build();
        }
        DType t = y.dtype();
        CodeBlock lit = ElemCode.literal(t, value);
        return Code.scalarLoop(s, s.dims().of(y.type().elementCount()), i -> CodeBlock.builder()
                .addStatement(ElemCode.store(ys, t, CodeBlock.of("$N", i), lit))
                .build());
    }

    /**
     * ONNX Cast element by element, with the conversions of {@link ElemCode#convert}; attributes
     * {@code saturate} and {@code round_mode} narrow to the 8-bit floats (see {@link ElemCode.Narrowing}).
     */
    static CodeBlock cast(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        String xs = s.segment(x, "x");
        String ys = s.segment(y, "y");
        DType from = x.dtype();
        DType to = y.dtype();
        ElemCode.Narrowing how = ElemCode.Narrowing.of(n);
        return Code.scalarLoop(s, s.dims().of(y.type().elementCount()), i -> CodeBlock.builder()
                .addStatement(ElemCode.store(
                        ys,
                        to,
                        CodeBlock.of("$N", i),
                        ElemCode.convert(from, to, ElemCode.load(xs, from, CodeBlock.of("$N", i))),
                        how))
                .build());
    }

    /** ONNX BitCast: the same bytes read as another type of the same element size, so one byte copy. */
    static CodeBlock bitcast(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        if (x.dtype().blockBytes() != y.dtype().blockBytes()) {
            throw new IllegalStateException(n.where() + ": bitcast of "
                    + x.dtype().irName() + " to " + y.dtype().irName() + " changes the element size");
        }
        return CodeBlock.builder()
                .addStatement(
                        "$T.copy($N, 0L, $N, 0L, ($L) * $LL)",
                        JavaTypes.MEMORY_SEGMENT,
                        s.segment(x, "x"),
                        s.segment(y, "y"),
                        s.dims().of(y.type().elementCount()),
                        y.dtype().blockBytes())
                .build();
    }
}
