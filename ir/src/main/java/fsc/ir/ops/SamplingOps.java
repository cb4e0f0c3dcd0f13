package fsc.ir.ops;

import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Sampling an image at computed positions: {@code grid_sample(x[N, C, in...], grid[N, out..., r])} →
 * {@code [N, C, out...]} with r = 1..3 spatial axes, ONNX GridSample-20 semantics. Attributes {@code
 * mode} ({@code "linear"}, {@code "nearest"}, {@code "cubic"}; cubic on 2 spatial axes only), {@code
 * padding_mode} ({@code "zeros"}, {@code "border"}, {@code "reflection"}) and {@code align_corners}.
 */
final class SamplingOps {
    private SamplingOps() {}

    static final Set<String> MODES = Set.of("linear", "nearest", "cubic");
    static final Set<String> PADDINGS = Set.of("zeros", "border", "reflection");

    static List<OpDef> defs() {
        return List.of(
                OpSpec.fixed("grid_sample", 2, SamplingOps::gridSample)
                        .attrs(
                                AttrSpec.string("mode", "linear"),
                                AttrSpec.string("padding_mode", "zeros"),
                                AttrSpec.integer("align_corners", 0)),
                OpSpec.fixed("roi_align", 3, SamplingOps::roiAlign)
                        .attrs(
                                AttrSpec.string("mode", "avg"),
                                AttrSpec.integer("output_height", 1),
                                AttrSpec.integer("output_width", 1),
                                AttrSpec.integer("sampling_ratio", 0),
                                AttrSpec.number("spatial_scale", 1.0),
                                AttrSpec.string("coordinate_transformation_mode", "half_pixel")));
    }

    private static List<TensorType> gridSample(InferContext ctx) {
        TensorType x = ctx.input(0);
        TensorType grid = ctx.input(1);
        int r = x.rank() - 2;
        if (r < 1 || r > 3 || grid.rank() != r + 2 || !x.dtype().isFloat() || grid.dtype() != x.dtype()) {
            throw ctx.fail("needs x [N, C, 1 to 3 spatial axes] and a grid [N, out..., r] of one float type, got " + x
                    + " and " + grid);
        }
        if (!grid.dim(r + 1).equals(Dim.of(r)) || !grid.dim(0).equals(x.dim(0))) {
            throw ctx.fail("grid " + grid + " must hold " + r + " coordinates per position for batch " + x.dim(0));
        }
        String mode = ctx.strAttr("mode");
        String padding = ctx.strAttr("padding_mode");
        if (!MODES.contains(mode) || !PADDINGS.contains(padding)) {
            throw ctx.fail("mode must be one of " + MODES + " and padding_mode one of " + PADDINGS + ", got \"" + mode
                    + "\" and \"" + padding + "\"");
        }
        if (mode.equals("cubic") && r != 2) {
            throw ctx.fail("cubic sampling needs 2 spatial axes, got " + r);
        }
        List<Dim> dims = new ArrayList<>(List.of(x.dim(0), x.dim(1)));
        dims.addAll(grid.dims().subList(1, r + 1));
        return List.of(x.withDims(dims));
    }

    /**
     * {@code roi_align(x[N, C, H, W], rois[R, 4], batch_indices[R])} → {@code [R, C, output_height,
     * output_width]}, ONNX RoiAlign-16: attributes {@code mode} ({@code "avg"}, {@code "max"}),
     * {@code output_height}, {@code output_width}, {@code sampling_ratio}, {@code spatial_scale} and
     * {@code coordinate_transformation_mode} ({@code "half_pixel"}, {@code "output_half_pixel"}).
     */
    private static List<TensorType> roiAlign(InferContext ctx) {
        TensorType x = ctx.input(0);
        TensorType rois = ctx.input(1);
        TensorType batch = ctx.input(2);
        if (x.rank() != 4 || !x.dtype().isFloat()) {
            throw ctx.fail("needs a float x [N, C, H, W], got " + x);
        }
        if (rois.rank() != 2 || rois.dtype() != x.dtype() || !rois.dim(1).equals(Dim.of(4))) {
            throw ctx.fail("rois must be [R, 4] of " + x.dtype().irName() + ", got " + rois);
        }
        if (batch.rank() != 1 || !batch.dtype().isInteger() || !batch.dim(0).equals(rois.dim(0))) {
            throw ctx.fail("batch_indices must be integers [" + rois.dim(0) + "], got " + batch);
        }
        String mode = ctx.strAttr("mode");
        String transform = ctx.strAttr("coordinate_transformation_mode");
        if (!mode.equals("avg") && !mode.equals("max")) {
            throw ctx.fail("mode must be \"avg\" or \"max\", got \"" + mode + "\"");
        }
        if (!transform.equals("half_pixel") && !transform.equals("output_half_pixel")) {
            throw ctx.fail("coordinate_transformation_mode must be \"half_pixel\" or \"output_half_pixel\", got \""
                    + transform + "\"");
        }
        long h = ctx.intAttr("output_height");
        long w = ctx.intAttr("output_width");
        if (h < 1 || w < 1 || ctx.intAttr("sampling_ratio") < 0) {
            throw ctx.fail("output_height and output_width must be positive and sampling_ratio non-negative");
        }
        return List.of(x.withDims(List.of(rois.dim(0), x.dim(1), Dim.of(h), Dim.of(w))));
    }
}
