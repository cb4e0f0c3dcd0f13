package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.TypeName;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.ops.Windows;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * {@code conv}: 2-D convolutions (the CNN case) call the runtime's {@code Conv2d}, one instance per
 * node made at construction, which picks a depthwise, pointwise or im2col kernel by shape and applies
 * the bias and any activation fused into the conv (see {@link EpilogueFusion}). Other ranks run
 * im2col + GEMM (the Caffe lowering) in generated code: per image and group, the receptive fields are
 * copied into a {@code [C/group * prod(kernel), prod(out)]} column buffer allocated once at
 * construction (spatial sizes are fixed), then {@code Sgemm.gemm} multiplies the group's filters
 * {@code [M/group, C/group * prod(kernel)]} into the output rows, accumulating onto the bias.
 * {@code max_pool} and {@code average_pool} are direct window loops. The geometry comes from the IR's
 * {@link Windows}, the same resolution the shape rules and the interpreter use.
 */
final class ConvEmitter {
    private static final ClassName MAX_POOL2D = ClassName.get(JavaTypes.CONV_SHAPE.packageName(), "MaxPool2d");

    private ConvEmitter() {}

    private static long[] spatial(List<Dim> dims, Node n) {
        long[] out = new long[dims.size() - 2];
        for (int i = 2; i < dims.size(); i++) {
            if (!dims.get(i).isFixed()) {
                throw new FscException(n.where() + ": spatial dimension " + dims.get(i) + " must be fixed");
            }
            out[i - 2] = dims.get(i).value();
        }
        return out;
    }

    private static long product(long[] v) {
        long p = 1;
        for (long x : v) {
            p *= x;
        }
        return p;
    }

    private static Windows windows(Node n, long[] in, long[] kernel) {
        try {
            return Windows.resolve(n.op(), n.attrs(), in, kernel);
        } catch (IllegalArgumentException e) {
            throw new FscException(n.where() + ": " + e.getMessage());
        }
    }

    static CodeBlock conv(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value w = n.input(1);
        Value y = n.output();
        List<Dim> xd = x.type().dims();
        long[] kernel = spatial(w.type().dims(), n);
        if (xd.subList(2, xd.size()).stream().anyMatch(d -> !d.isFixed())) {
            if (xd.size() != 4 && xd.size() != 3) {
                throw new FscException(n.where() + ": a " + (xd.size() - 2)
                        + "-D conv needs fixed spatial sizes (1-D and 2-D convs take symbolic ones), got " + x.type());
            }
            return resizableConv2d(s, kernel);
        }
        long[] in = spatial(xd, n);
        Windows win = windows(n, in, kernel);
        if (in.length == 2) {
            return conv2d(s, win, in, kernel);
        }
        long group = n.intAttr("group");
        long channels = xd.get(1).value();
        long filters = w.type().dim(0).value();
        long cg = channels / group;
        long mg = filters / group;
        long kc = cg * product(kernel);
        long p = product(win.out());
        long inSize = product(in);
        DimCode dc = s.dims();
        String xs = s.segment(x, "x");
        String ws = s.segment(w, "w");
        String ys = s.segment(y, "y");
        CodeBlock col = s.model().addPacked(ref -> CodeBlock.builder()
                .addStatement("$L = $N.allocate($LL, 64)", ref, ModelContext.ARENA, kc * p * 4)
                .build());
        String cols = s.local("cols");
        String img = s.local("img");
        String g = s.local("g");
        boolean bias = n.inputs().size() > 2;
        CodeBlock.Builder b = CodeBlock.builder()
                .addStatement("$T $N = $L", JavaTypes.MEMORY_SEGMENT, cols, col)
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", img, img, dc.of(xd.get(0)), img);
        if (bias) {
            String bs = s.segment(n.input(2), "bias");
            String m = s.local("m");
            b.beginControlFlow("for (long $N = 0; $N < $LL; $N++)", m, m, filters, m)
                    .add(Code.scalarLoop(s, CodeBlock.of("$LL", p), i -> CodeBlock.builder()
                            .addStatement(
                                    "$N.setAtIndex(F32, ($N * $LL + $N) * $LL + $N, $N.getAtIndex(F32, $N))",
                                    ys,
                                    img,
                                    filters,
                                    m,
                                    p,
                                    i,
                                    bs,
                                    m)
                            .build()))
                    .endControlFlow();
        }
        b.beginControlFlow("for (long $N = 0; $N < $LL; $N++)", g, g, group, g);
        b.add(im2col(s, win, in, kernel, cg, channels, inSize, p, xs, cols, img, g));
        b.addStatement(
                "$T.gemm($L, $L, $L, $N, $N * $LL, $L, false, $N, 0L, $L, false, $N, ($N * $LL + $N * $LL) * $LL, $L,"
                        + " 1f, $L, $N)",
                JavaTypes.SGEMM,
                mg,
                p,
                kc,
                ws,
                g,
                mg * kc * 4,
                kc,
                cols,
                p,
                ys,
                img,
                filters,
                g,
                mg,
                p * 4,
                p,
                bias,
                ModelContext.PAR);
        return b.endControlFlow().endControlFlow().build();
    }

    /**
     * {@code this.nK_convKernel.run(batch, x, 0, w, 0, bias, 0, y, 0, act, lo, hi, par)} with the
     * geometry fixed in the field's {@code ConvShape}; a constant weight tensor is declared so, and the
     * kernel packs it once, at the first call.
     */
    private static CodeBlock conv2d(Scope s, Windows win, long[] in, long[] kernel) {
        Node n = s.node();
        Value x = n.input(0);
        Value w = n.input(1);
        long group = n.intAttr("group");
        long channels = x.type().dim(1).value();
        long filters = w.type().dim(0).value();
        String field = s.methodName() + "Kernel";
        CodeBlock shape = CodeBlock.of(
                "new $T($L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)",
                JavaTypes.CONV_SHAPE,
                channels,
                in[0],
                in[1],
                filters,
                kernel[0],
                kernel[1],
                win.strides()[0],
                win.strides()[1],
                win.padsBegin()[0],
                win.padsBegin()[1],
                win.dilations()[0],
                win.dilations()[1],
                group,
                win.out()[0],
                win.out()[1]);
        s.model()
                .addField(
                        FieldSpec.builder(JavaTypes.CONV2D, field, Modifier.PRIVATE, Modifier.FINAL)
                                .addJavadoc("The kernel of {@link #$N}, for its fixed geometry.\n", s.methodName())
                                .build(),
                        CodeBlock.builder()
                                .addStatement(
                                        "this.$N = new $T($L, $L)",
                                        field,
                                        JavaTypes.CONV2D,
                                        shape,
                                        s.model().isConstant(w))
                                .build());
        return runConv(s, CodeBlock.of("$N", field));
    }

    /** {@code KERNEL.run(batch, x, 0, w, 0, bias, 0, y, 0, act, lo, hi, par)} with the fused epilogue. */
    private static CodeBlock runConv(Scope s, CodeBlock kernel) {
        Node n = s.node();
        Value x = n.input(0);
        Value w = n.input(1);
        EpilogueFusion.Epilogue ep = s.model().epilogue(n);
        String act = ep == null ? "NONE" : ep.activation();
        float lo = ep == null ? 0f : ep.lo();
        float hi = ep == null ? 0f : ep.hi();
        // An absorbed activation aliases the conv's output buffer, or the conv writes into the
        // activation's buffer (its target) when the plan did not put it in place (see EpilogueFusion).
        Value y = ep != null && ep.target() != null ? ep.target() : n.output();
        CodeBlock bias =
                n.inputs().size() > 2 ? CodeBlock.of("$N", s.segment(n.input(2), "bias")) : CodeBlock.of("null");
        return CodeBlock.builder()
                .addStatement(
                        "$L.run($T.toIntExact($L), $N, 0L, $N, 0L, $L, 0L, $N, 0L, $T.$L, $Lf, $Lf, $N)",
                        kernel,
                        Math.class,
                        s.dims().of(x.type().dim(0)),
                        s.segment(x, "x"),
                        s.segment(w, "w"),
                        bias,
                        s.segment(y, "y"),
                        JavaTypes.CONV_ACTIVATION,
                        act,
                        lo,
                        hi,
                        ModelContext.PAR)
                .build();
    }

    /**
     * A 2-D conv over run-time spatial sizes: {@code this.nK_convKernel.at(H, W, OH, OW).run(...)},
     * where the field, a {@code ResizableConv2d}, holds everything but the sizes and keeps the
     * {@code Conv2d} of the last size (see its Javadoc).
     */
    private static CodeBlock resizableConv2d(Scope s, long[] kernelGiven) {
        Node n = s.node();
        Value x = n.input(0);
        Value w = n.input(1);
        List<Dim> xd = x.type().dims();
        List<Dim> yd = n.output().type().dims();
        Windows given = geometry(n, xd.subList(2, xd.size()), kernelGiven);
        long[] kernel = kernelGiven;
        Windows win = given;
        if (xd.size() == 3) {
            // A 1-D conv is a 2-D one of height 1: [N, C, L] is [N, C, 1, L] in memory (STFT front ends).
            xd = List.of(xd.get(0), xd.get(1), Dim.of(1), xd.get(2));
            yd = List.of(yd.get(0), yd.get(1), Dim.of(1), yd.get(2));
            kernel = new long[] {1, kernelGiven[0]};
            win = new Windows(
                    kernel,
                    new long[] {1, given.strides()[0]},
                    new long[] {1, given.dilations()[0]},
                    new long[] {0, given.padsBegin()[0]},
                    new long[] {0, given.padsEnd()[0]},
                    new long[] {1, 1});
        }
        String field = s.methodName() + "Kernel";
        s.model()
                .addField(
                        FieldSpec.builder(JavaTypes.RESIZABLE_CONV2D, field, Modifier.PRIVATE, Modifier.FINAL)
                                .addJavadoc(
                                        "The kernel of {@link #$N}, sized at each call (symbolic spatial sizes).\n",
                                        s.methodName())
                                .build(),
                        CodeBlock.builder()
                                .addStatement(
                                        "this.$N = new $T($L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)",
                                        field,
                                        JavaTypes.RESIZABLE_CONV2D,
                                        xd.get(1).value(),
                                        w.type().dim(0).value(),
                                        kernel[0],
                                        kernel[1],
                                        win.strides()[0],
                                        win.strides()[1],
                                        win.padsBegin()[0],
                                        win.padsBegin()[1],
                                        win.dilations()[0],
                                        win.dilations()[1],
                                        n.intAttr("group"),
                                        s.model().isConstant(w))
                                .build());
        DimCode dc = s.dims();
        CodeBlock kernelAt = CodeBlock.of(
                "$N.at($L, $L, $L, $L)", field, dc.of(xd.get(2)), dc.of(xd.get(3)), dc.of(yd.get(2)), dc.of(yd.get(3)));
        return runConv(s, kernelAt);
    }

    /** The strides, dilations and pads of a window op; its output sizes come from the IR's types. */
    private static Windows geometry(Node n, List<Dim> in, long[] kernel) {
        long[] probe = new long[in.size()];
        for (int i = 0; i < probe.length; i++) {
            // Pads do not depend on the size here: the shape rule refused SAME padding at stride > 1.
            probe[i] = in.get(i).isFixed() ? in.get(i).value() : 1L << 20;
        }
        return windows(n, probe, kernel);
    }

    /** Fills the column buffer for image {@code img}, group {@code g}: zero where the window is in the pads. */
    private static CodeBlock im2col(
            Scope s,
            Windows win,
            long[] in,
            long[] kernel,
            long cg,
            long channels,
            long inSize,
            long p,
            String xs,
            String cols,
            String img,
            String g) {
        int k = in.length;
        String c = s.local("c");
        List<String> ks = new ArrayList<>();
        List<String> os = new ArrayList<>();
        List<String> is = new ArrayList<>();
        for (int d = 0; d < k; d++) {
            ks.add(s.local("k" + d));
            os.add(s.local("o" + d));
            is.add(s.local("in" + d));
        }
        CodeBlock.Builder b = CodeBlock.builder().beginControlFlow("for (long $N = 0; $N < $LL; $N++)", c, c, cg, c);
        for (int d = 0; d < k; d++) {
            b.beginControlFlow("for (long $N = 0; $N < $LL; $N++)", ks.get(d), ks.get(d), kernel[d], ks.get(d));
        }
        String row = s.local("row");
        b.addStatement("long $N = $L", row, linear(c, ks, kernel));
        for (int d = 0; d < k; d++) {
            b.beginControlFlow("for (long $N = 0; $N < $LL; $N++)", os.get(d), os.get(d), win.out()[d], os.get(d));
        }
        List<CodeBlock> inside = new ArrayList<>();
        for (int d = 0; d < k; d++) {
            b.addStatement(
                    "long $N = $N * $LL - $LL + $N * $LL",
                    is.get(d),
                    os.get(d),
                    win.strides()[d],
                    win.padsBegin()[d],
                    ks.get(d),
                    win.dilations()[d]);
            inside.add(CodeBlock.of("$N >= 0 && $N < $LL", is.get(d), is.get(d), in[d]));
        }
        CodeBlock source = CodeBlock.of(
                "($N * $LL + $N * $LL + $N) * $LL + $L", img, channels, g, cg, c, inSize, linear(null, is, in));
        b.addStatement(
                "$N.setAtIndex(F32, $N * $LL + $L, $L ? $N.getAtIndex(F32, $L) : 0f)",
                cols,
                row,
                p,
                linear(null, os, win.out()),
                CodeBlock.join(inside, " && "),
                xs,
                source);
        for (int d = 0; d < 2 * k + 1; d++) {
            b.endControlFlow();
        }
        return b.build();
    }

    /**
     * A 2-D f32 max pool of fixed spatial sizes: {@code this.nK_poolKernel.run(batch, x, 0, y, 0,
     * par)}, the runtime's vectorised {@code MaxPool2d} (the same bits as the window loop, whose
     * scalar loads cost the MobileNetV3 classifier 10 % of its time), made once at construction.
     */
    private static CodeBlock maxPool2d(Scope s, Windows win, long height, long width) {
        Node n = s.node();
        Value x = n.input(0);
        long channels = x.type().dim(1).value();
        String field = s.methodName() + "Kernel";
        CodeBlock shape = CodeBlock.of(
                "new $T($L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)",
                JavaTypes.CONV_SHAPE,
                channels,
                height,
                width,
                channels,
                win.kernel()[0],
                win.kernel()[1],
                win.strides()[0],
                win.strides()[1],
                win.padsBegin()[0],
                win.padsBegin()[1],
                win.dilations()[0],
                win.dilations()[1],
                channels,
                win.out()[0],
                win.out()[1]);
        s.model()
                .addField(
                        FieldSpec.builder(MAX_POOL2D, field, Modifier.PRIVATE, Modifier.FINAL)
                                .addJavadoc("The kernel of {@link #$N}, for its fixed geometry.\n", s.methodName())
                                .build(),
                        CodeBlock.builder()
                                .addStatement("this.$N = new $T($L)", field, MAX_POOL2D, shape)
                                .build());
        return CodeBlock.builder()
                .addStatement(
                        "$N.run($T.toIntExact($L), $N, 0L, $N, 0L, $N)",
                        field,
                        Math.class,
                        s.dims().of(x.type().dim(0)),
                        s.segment(x, "x"),
                        s.segment(n.output(), "y"),
                        ModelContext.PAR)
                .build();
    }

    /** Row-major linear index of {@code idx} in a box of {@code sizes}, optionally after a leading {@code lead}. */
    private static CodeBlock linear(String lead, List<String> idx, long[] sizes) {
        CodeBlock e = lead == null ? CodeBlock.of("0L") : CodeBlock.of("$N", lead);
        for (int d = 0; d < idx.size(); d++) {
            e = CodeBlock.of("($L) * $LL + $N", e, sizes[d], idx.get(d));
        }
        return e;
    }

    /** Row-major linear index of {@code idx} in a box of (run-time) {@code sizes}. */
    private static CodeBlock linear(List<String> idx, List<CodeBlock> sizes) {
        CodeBlock e = CodeBlock.of("0L");
        for (int d = 0; d < idx.size(); d++) {
            e = CodeBlock.of("($L) * $L + $N", e, sizes.get(d), idx.get(d));
        }
        return e;
    }

    /**
     * Max and average pooling as direct window loops. Spatial sizes may be symbolic: loop bounds and
     * strides are then {@code long} expressions of the symbols ({@link DimCode}), the window
     * geometry stays constant.
     */
    static CodeBlock pool(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value y = n.output();
        List<Dim> xd = x.type().dims();
        List<Dim> inDims = xd.subList(2, xd.size());
        List<Dim> outDims = y.type().dims().subList(2, xd.size());
        long[] kernel = n.intsAttr("kernel_shape");
        if (kernel == null || kernel.length != inDims.size()) {
            throw new FscException(n.where() + ": kernel_shape must give one size per spatial axis");
        }
        Windows win = geometry(n, inDims, kernel);
        boolean max = n.op().equals("max_pool");
        int k = inDims.size();
        if (max && x.dtype() == DType.F32 && k == 2 && inDims.stream().allMatch(Dim::isFixed)) {
            return maxPool2d(s, win, inDims.get(0).value(), inDims.get(1).value());
        }
        boolean includePad = n.intAttr("count_include_pad") != 0;
        DimCode dc = s.dims();
        List<CodeBlock> in = inDims.stream().map(dc::of).toList();
        List<CodeBlock> out = outDims.stream().map(dc::of).toList();
        String xs = s.segment(x, "x");
        String ys = s.segment(y, "y");
        String plane = s.local("plane");
        String acc = s.local("acc");
        String count = s.local("count");
        List<String> os = new ArrayList<>();
        List<String> ks = new ArrayList<>();
        List<String> is = new ArrayList<>();
        for (int d = 0; d < k; d++) {
            os.add(s.local("o" + d));
            ks.add(s.local("k" + d));
            is.add(s.local("in" + d));
        }
        CodeBlock.Builder b = CodeBlock.builder()
                .beginControlFlow(
                        "for (long $N = 0; $N < $L; $N++)", plane, plane, dc.product(xd.subList(0, 2)), plane);
        for (int d = 0; d < k; d++) {
            b.beginControlFlow("for (long $N = 0; $N < $L; $N++)", os.get(d), os.get(d), out.get(d), os.get(d));
        }
        // Max pooling also runs on the 8-bit integers, in their compute type (see ElemCode).
        DType t = x.dtype();
        TypeName accType = ElemCode.compute(t);
        CodeBlock lowest = accType.equals(TypeName.FLOAT)
                ? CodeBlock.of("$T.NEGATIVE_INFINITY", Float.class)
                : CodeBlock.of("$T.MIN_VALUE", Integer.class);
        b.addStatement("$T $N = $L", accType, acc, max ? lowest : CodeBlock.of("0f"))
                .addStatement("long $N = 0", count);
        for (int d = 0; d < k; d++) {
            b.beginControlFlow("for (long $N = 0; $N < $LL; $N++)", ks.get(d), ks.get(d), kernel[d], ks.get(d));
        }
        List<CodeBlock> inside = new ArrayList<>();
        List<CodeBlock> inPads = new ArrayList<>();
        for (int d = 0; d < k; d++) {
            b.addStatement(
                    "long $N = $N * $LL - $LL + $N * $LL",
                    is.get(d),
                    os.get(d),
                    win.strides()[d],
                    win.padsBegin()[d],
                    ks.get(d),
                    win.dilations()[d]);
            inside.add(CodeBlock.of("$N >= 0 && $N < $L", is.get(d), is.get(d), in.get(d)));
            inPads.add(CodeBlock.of(
                    "$N >= $LL && $N < $L + $LL",
                    is.get(d),
                    -win.padsBegin()[d],
                    is.get(d),
                    in.get(d),
                    win.padsEnd()[d]));
        }
        CodeBlock v = ElemCode.load(xs, t, CodeBlock.of("$N * $L + $L", plane, dc.product(inDims), linear(is, in)));
        b.beginControlFlow("if ($L)", CodeBlock.join(inside, " && "))
                .addStatement(
                        max ? "$N = $T.max($N, $L)" : "$N += $L",
                        max ? new Object[] {acc, Math.class, acc, v} : new Object[] {acc, v})
                .addStatement("$N++", count);
        if (!max && includePad) {
            // count_include_pad counts explicit pads, not positions past them (ceil_mode), as ONNX's reference.
            b.nextControlFlow("else if ($L)", CodeBlock.join(inPads, " && ")).addStatement("$N++", count);
        }
        b.endControlFlow();
        for (int d = 0; d < k; d++) {
            b.endControlFlow();
        }
        b.addStatement(ElemCode.store(
                ys,
                y.dtype(),
                CodeBlock.of("$N * $L + $L", plane, dc.product(outDims), linear(os, out)),
                max ? CodeBlock.of("$N", acc) : CodeBlock.of("$N / $N", acc, count)));
        for (int d = 0; d < k + 1; d++) {
            b.endControlFlow();
        }
        return b.build();
    }
}
