package fsc.frontend.onnx;

import fsc.frontend.onnx.OnnxOps.Rule;
import fsc.ir.Attr;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * GridSample onto IR {@code grid_sample}. Opset 16 named the modes {@code bilinear}/{@code bicubic} and
 * took 4-D input only; opset 20 renamed them {@code linear}/{@code cubic} and allowed N-D. Both map to
 * the IR names.
 */
final class GridSampleConverter {
    private GridSampleConverter() {}

    static void register(List<Rule> rules) {
        rules.add(new Rule("GridSample", 16, GridSampleConverter::convert));
    }

    private static void convert(NodeContext c) {
        String mode =
                switch (c.attrs.string("mode").orElse(c.opset < 20 ? "bilinear" : "linear")) {
                    case "bilinear", "linear" -> "linear";
                    case "bicubic", "cubic" -> "cubic";
                    case "nearest" -> "nearest";
                    default ->
                        throw c.fail("unknown mode \"" + c.attrs.string("mode").orElseThrow() + "\"");
                };
        Map<String, Attr> attrs = new TreeMap<>();
        attrs.put("mode", new Attr.Str(mode));
        attrs.put("padding_mode", new Attr.Str(c.attrs.string("padding_mode").orElse("zeros")));
        attrs.put("align_corners", new Attr.Int(c.attrs.intValue("align_corners", 0)));
        c.produce("grid_sample", List.of(c.input(0), c.input(1)), attrs);
    }
}
