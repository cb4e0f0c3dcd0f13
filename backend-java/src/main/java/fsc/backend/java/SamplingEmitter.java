package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code grid_sample} as one call of the runtime kernel {@code GridSample.sample}: the interpolation
 * mode and padding rule become the kernel's int constants, the spatial sizes its trailing arguments.
 * {@code roi_align} likewise as one call of {@code RoiAlign.align}.
 */
final class SamplingEmitter {
    private SamplingEmitter() {}

    static final ClassName KERNEL = ClassName.get("fsc.runtime.kernels", "GridSample");

    static CodeBlock gridSample(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value grid = n.input(1);
        Value y = n.output();
        DimCode dc = s.dims();
        List<Dim> xd = x.type().dims();
        List<Dim> yd = y.type().dims();
        String mode =
                switch (n.strAttr("mode")) {
                    case "nearest" -> "NEAREST";
                    case "cubic" -> "CUBIC";
                    default -> "LINEAR";
                };
        String padding =
                switch (n.strAttr("padding_mode")) {
                    case "border" -> "BORDER";
                    case "reflection" -> "REFLECTION";
                    default -> "ZEROS";
                };
        List<CodeBlock> dims = new ArrayList<>();
        for (Dim d : xd.subList(2, xd.size())) {
            dims.add(toInt(dc.of(d)));
        }
        return CodeBlock.builder()
                .addStatement(
                        "$T.sample($N, $N, $N, $L, $L, $L, $T.$L, $T.$L, $L, $L)",
                        KERNEL,
                        s.segment(x, "x"),
                        s.segment(grid, "grid"),
                        s.segment(y, "y"),
                        toInt(dc.of(xd.get(0))),
                        toInt(dc.of(xd.get(1))),
                        dc.product(yd.subList(2, yd.size())),
                        KERNEL,
                        mode,
                        KERNEL,
                        padding,
                        n.intAttr("align_corners") != 0,
                        CodeBlock.join(dims, ", "))
                .build();
    }

    static final ClassName ROI_ALIGN = ClassName.get("fsc.runtime.kernels", "RoiAlign");

    static CodeBlock roiAlign(Scope s) {
        Node n = s.node();
        Value x = n.input(0);
        Value rois = n.input(1);
        Value batch = n.input(2);
        Value y = n.output();
        if (batch.dtype() != fsc.ir.DType.I64) {
            throw new IllegalStateException(n.where() + ": roi_align takes i64 batch indices, got " + batch.type());
        }
        DimCode dc = s.dims();
        List<Dim> xd = x.type().dims();
        List<Dim> yd = y.type().dims();
        List<CodeBlock> sizes = new ArrayList<>();
        for (Dim d : List.of(xd.get(0), xd.get(1), xd.get(2), xd.get(3), yd.get(0), yd.get(2), yd.get(3))) {
            sizes.add(toInt(dc.of(d)));
        }
        return CodeBlock.builder()
                .addStatement(
                        "$T.align($N, $N, $N, $N, $L, $L, $Lf, $L, $L)",
                        ROI_ALIGN,
                        s.segment(x, "x"),
                        s.segment(rois, "rois"),
                        s.segment(batch, "batch"),
                        s.segment(y, "y"),
                        CodeBlock.join(sizes, ", "),
                        n.intAttr("sampling_ratio"),
                        (float) n.floatAttr("spatial_scale"),
                        n.strAttr("coordinate_transformation_mode").equals("half_pixel"),
                        n.strAttr("mode").equals("max"))
                .build();
    }

    private static CodeBlock toInt(CodeBlock c) {
        return CodeBlock.of("$T.toIntExact($L)", Math.class, c);
    }
}
