package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * RoiAlign onto IR {@code roi_align}, every attribute spelled out. Opset 10 had no
 * {@code coordinate_transformation_mode} and behaved as "output_half_pixel"; opset 16 added it with
 * "half_pixel" as the default.
 */
final class RoiAlignConverter {
    private RoiAlignConverter() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("RoiAlign", 10, RoiAlignConverter::convert));
    }

    private static void convert(NodeContext c) {
        String transform = c.attrs
                .string("coordinate_transformation_mode")
                .orElse(c.opset < 16 ? "output_half_pixel" : "half_pixel");
        Map<String, Attr> attrs = new TreeMap<>();
        attrs.put("coordinate_transformation_mode", new Attr.Str(transform));
        attrs.put("mode", new Attr.Str(c.attrs.string("mode").orElse("avg")));
        attrs.put("output_height", new Attr.Int(c.attrs.intValue("output_height", 1)));
        attrs.put("output_width", new Attr.Int(c.attrs.intValue("output_width", 1)));
        attrs.put("sampling_ratio", new Attr.Int(c.attrs.intValue("sampling_ratio", 0)));
        attrs.put(
                "spatial_scale",
                new Attr.Float(c.attrs.floatValue("spatial_scale").orElse(1.0)));
        c.produce("roi_align", List.of(c.input(0), c.input(1), c.input(2)), attrs);
    }
}
