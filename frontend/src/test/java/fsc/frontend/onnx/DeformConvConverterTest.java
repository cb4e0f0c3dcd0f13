package fsc.frontend.onnx;

import static fsc.frontend.onnx.TinyModels.FLOAT;
import static fsc.frontend.onnx.TinyModels.intAttr;
import static fsc.frontend.onnx.TinyModels.intsAttr;
import static fsc.frontend.onnx.TinyModels.model;
import static fsc.frontend.onnx.TinyModels.node;
import static fsc.frontend.onnx.TinyModels.value;
import static fsc.frontend.onnx.TinyModels.write;
import static org.junit.jupiter.api.Assertions.assertEquals;

import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DeformConv's grid_sample lowering against a direct reference written here in pixel space (bilinear
 * taps, zeros outside, as ONNX's reference computes them), on shapes the node suite does not try: odd
 * sizes, batch 2, stride 2 with dilation 2, asymmetric pads, group 2 with offset_group 2, a size-1 axis,
 * offsets reaching past every border. ONNX Runtime 1.23 has no DeformConv kernel to compare with.
 */
class DeformConvConverterTest {
    @TempDir
    Path dir;

    @Test
    void groupedStridedDilatedWithMaskAndBias() {
        check(
                "grouped",
                new int[] {2, 4, 7, 6},
                new int[] {6, 2, 3, 2},
                2,
                2,
                new int[] {1, 0, 2, 1},
                new int[] {2, 1},
                new int[] {2, 2},
                true);
    }

    @Test
    void plainWithASizeOneAxis() {
        check(
                "plain",
                new int[] {1, 3, 1, 5},
                new int[] {2, 3, 1, 3},
                1,
                1,
                new int[] {0, 1, 0, 1},
                new int[] {1, 1},
                new int[] {1, 1},
                false);
    }

    private void check(
            String name,
            int[] xs,
            int[] ws,
            int group,
            int offGroups,
            int[] pads,
            int[] strides,
            int[] dil,
            boolean maskAndBias) {
        int n = xs[0], c = xs[1], ih = xs[2], iw = xs[3], m = ws[0], kh = ws[2], kw = ws[3];
        int oh = (ih + pads[0] + pads[2] - ((kh - 1) * dil[0] + 1)) / strides[0] + 1;
        int ow = (iw + pads[1] + pads[3] - ((kw - 1) * dil[1] + 1)) / strides[1] + 1;
        int k = kh * kw;
        GraphProto.Builder g = GraphProto.newBuilder()
                .addInput(value("x", FLOAT, (long) n, (long) c, (long) ih, (long) iw))
                .addInput(value("w", FLOAT, (long) m, (long) ws[1], (long) kh, (long) kw))
                .addInput(value("offset", FLOAT, (long) n, (long) offGroups * 2 * k, (long) oh, (long) ow))
                .addOutput(value("y", FLOAT, (long) n, (long) m, (long) oh, (long) ow));
        List<String> inputs = List.of("x", "w", "offset");
        if (maskAndBias) {
            g.addInput(value("b", FLOAT, (long) m));
            g.addInput(value("mask", FLOAT, (long) n, (long) offGroups * k, (long) oh, (long) ow));
            inputs = List.of("x", "w", "offset", "b", "mask");
        }
        g.addNode(node(
                "DeformConv",
                "d",
                inputs,
                List.of("y"),
                intAttr("group", group),
                intAttr("offset_group", offGroups),
                intsAttr("pads", pads[0], pads[1], pads[2], pads[3]),
                intsAttr("strides", strides[0], strides[1]),
                intsAttr("dilations", dil[0], dil[1])));
        Graph graph = OnnxImporter.importModel(write(dir, name + ".onnx", model(g.build(), 19)));
        Random r = new Random(name.hashCode());
        HostTensor x = HostTensor.random(DType.F32, new long[] {n, c, ih, iw}, r);
        HostTensor w = HostTensor.random(DType.F32, new long[] {m, ws[1], kh, kw}, r);
        HostTensor off = HostTensor.zeros(DType.F32, new long[] {n, offGroups * 2L * k, oh, ow});
        for (int i = 0; i < off.size(); i++) {
            off.setDouble(i, (r.nextDouble() - 0.5) * 2 * (Math.max(ih, iw) + 1)); // reaches past the borders
        }
        HostTensor b = HostTensor.random(DType.F32, new long[] {m}, r);
        HostTensor mask = HostTensor.random(DType.F32, new long[] {n, offGroups * k, oh, ow}, r);
        Map<String, HostTensor> in = maskAndBias
                ? Map.of("x", x, "w", w, "offset", off, "b", b, "mask", mask)
                : Map.of("x", x, "w", w, "offset", off);
        HostTensor y = new Interpreter(graph).run(in).get("y");
        int cpg = c / group, mpg = m / group, cpo = c / offGroups;
        for (int bi = 0; bi < n; bi++) {
            for (int o = 0; o < m; o++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double acc = maskAndBias ? b.getDouble(o) : 0;
                        for (int ci = 0; ci < cpg; ci++) {
                            int ch = (o / mpg) * cpg + ci;
                            int og = ch / cpo;
                            for (int t = 0; t < k; t++) {
                                long ob = ((((long) bi * offGroups + og) * k + t) * 2) * oh * ow + (long) i * ow + j;
                                double py = i * strides[0] - pads[0] + (t / kw) * dil[0] + off.getDouble(ob);
                                double px = j * strides[1]
                                        - pads[1]
                                        + (t % kw) * dil[1]
                                        + off.getDouble(ob + (long) oh * ow);
                                double v = bilinear(x, bi, ch, c, ih, iw, py, px);
                                if (maskAndBias) {
                                    v *= mask.getDouble(
                                            (((long) bi * offGroups + og) * k + t) * oh * ow + (long) i * ow + j);
                                }
                                acc += v * w.getDouble((((long) o * cpg + ci) * kh + t / kw) * kw + t % kw);
                            }
                        }
                        long at = (((long) bi * m + o) * oh + i) * ow + j;
                        assertEquals(
                                acc, y.getDouble(at), 1e-4 + 1e-4 * Math.abs(acc), name + " y" + List.of(bi, o, i, j));
                    }
                }
            }
        }
    }

    /** Bilinear interpolation at pixel (py, px); corners outside the image count as 0. */
    private static double bilinear(HostTensor x, int b, int ch, int c, int ih, int iw, double py, double px) {
        int y0 = (int) Math.floor(py);
        int x0 = (int) Math.floor(px);
        double fy = py - y0;
        double fx = px - x0;
        double s = 0;
        for (int dy = 0; dy < 2; dy++) {
            for (int dx = 0; dx < 2; dx++) {
                int yy = y0 + dy;
                int xx = x0 + dx;
                if (yy >= 0 && yy < ih && xx >= 0 && xx < iw) {
                    double wgt = (dy == 0 ? 1 - fy : fy) * (dx == 0 ? 1 - fx : fx);
                    s += wgt * x.getDouble((((long) b * c + ch) * ih + yy) * iw + xx);
                }
            }
        }
        return s;
    }
}
