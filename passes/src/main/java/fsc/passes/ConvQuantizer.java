package fsc.passes;

import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The int8 form of one {@code conv} layer for {@link QuantizePass}: the weight int8 per output channel
 * (symmetric, as the linear layers' columns), the input already quantized per tensor (static scale
 * from calibration, or measured at run time), the integer convolution, then one rescale per channel
 * and the bias:
 *
 * <pre>
 * %y = conv(%x, %w, %b)                             // %w: f32[M,C,kh,kw] const
 *   ⇒
 * %w_f = cast(%w_int8) {to = f32}                   // %w_int8: i8[M,C,kh,kw] const
 * %acc = conv(%x_qf, %w_f, %b_q)                     // %x_qf: f32, integers in -127..127
 * %y = mul(%acc, %scale)                            // %scale: f32[M,1,1] = s_x · s_w[m]
 * </pre>
 *
 * (With a static scale the bias enters the conv as {@code b / (s_x · s_w)}, so the conv's own bias
 * epilogue adds it; with a run-time scale it is added after the rescale.) The products of int8 values
 * are exact in f32 and so are their sums while K · 127² stays under 2^24 (K < 1040), so the f32 conv
 * kernel computes exactly what an int8 one would: this is the numerics of an int8 conv and its 4×
 * smaller weights, run on the f32 kernel as imported ConvInteger models are. An int8 conv kernel
 * (im2col into bytes and the int8 GEMM) is what would make it faster.
 */
final class ConvQuantizer {
    private ConvQuantizer() {}

    static void rewrite(
            Node n,
            Value xq,
            Value xScale,
            Float staticScale,
            float[] w,
            float[] bias,
            Set<String> names,
            List<Node> out,
            List<Constant> newConstants,
            TreeMap<String, WeightData> newWeights) {
        Value wv = n.input(1);
        List<Long> dims = new ArrayList<>();
        wv.type().dims().forEach(d -> dims.add(d.value()));
        int m = Math.toIntExact(dims.get(0));
        WeightData[] q = WeightQuantizer.int8PerRow(w, dims);
        Value wi8 = new Value(
                UniqueNames.unique(names, wv.name() + "_int8"), wv.type().withDType(DType.I8));
        String wName = UniqueNames.unique(names, wv.name() + ".int8");
        newWeights.put(wName, q[0]);
        newConstants.add(new Constant(wi8, wName));
        Value wf = new Value(UniqueNames.unique(names, wv.name() + "_int8_f32"), wv.type());
        out.add(QuantizePass.cast(n.name() + "/weights", wi8, wf));

        // Per channel: s_x · s_w[m] when s_x is a constant, else s_w[m] (s_x multiplied after).
        ByteBuffer ws = q[1].view();
        float[] channel = new float[m];
        for (int i = 0; i < m; i++) {
            channel[i] = ws.getFloat(i * Float.BYTES) * (staticScale != null ? staticScale : 1f);
        }
        Value y = n.output();
        int rank = y.type().rank();
        Value scale = channelConstant(names, y.name() + "_scale", channel, rank, newConstants, newWeights);
        List<Value> convIn = new ArrayList<>(List.of(xq, wf));
        if (bias != null && staticScale != null) {
            float[] b = new float[m];
            for (int i = 0; i < m; i++) {
                b[i] = channel[i] == 0 ? 0 : bias[i] / channel[i];
            }
            convIn.add(vector(names, y.name() + "_bias_q", b, newConstants, newWeights));
        }
        Value acc = new Value(UniqueNames.unique(names, y.name() + "_acc"), y.type());
        out.add(new Node("conv", n.name(), convIn, List.of(acc), n.attrs()));
        if (staticScale != null) {
            out.add(new Node("mul", n.name() + "/rescale", List.of(acc, scale), List.of(y), Map.of()));
            return;
        }
        Value colScaled = new Value(UniqueNames.unique(names, y.name() + "_chscaled"), y.type());
        out.add(new Node("mul", n.name() + "/rescale", List.of(acc, scale), List.of(colScaled), Map.of()));
        Value scaled = bias == null ? y : new Value(UniqueNames.unique(names, y.name() + "_scaled"), y.type());
        out.add(new Node("mul", n.name() + "/rescale", List.of(colScaled, xScale), List.of(scaled), Map.of()));
        if (bias != null) {
            Value b = channelConstant(names, y.name() + "_bias", bias, rank, newConstants, newWeights);
            out.add(new Node("add", n.name() + "/bias", List.of(scaled, b), List.of(y), Map.of()));
        }
    }

    /** f32[M, 1, ...] (rank - 1 dims), broadcasting over a conv output's spatial axes. */
    private static Value channelConstant(
            Set<String> names,
            String name,
            float[] v,
            int rank,
            List<Constant> newConstants,
            TreeMap<String, WeightData> newWeights) {
        List<Dim> dims = new ArrayList<>(List.of(Dim.of(v.length)));
        List<Long> wd = new ArrayList<>(List.of((long) v.length));
        for (int i = 2; i < rank; i++) {
            dims.add(Dim.of(1));
            wd.add(1L);
        }
        return constant(names, name, v, TensorType.of(DType.F32).withDims(dims), wd, newConstants, newWeights);
    }

    private static Value vector(
            Set<String> names,
            String name,
            float[] v,
            List<Constant> newConstants,
            TreeMap<String, WeightData> newWeights) {
        return constant(
                names, name, v, TensorType.of(DType.F32, v.length), List.of((long) v.length), newConstants, newWeights);
    }

    private static Value constant(
            Set<String> names,
            String name,
            float[] v,
            TensorType type,
            List<Long> dims,
            List<Constant> newConstants,
            TreeMap<String, WeightData> newWeights) {
        ByteBuffer b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            b.putFloat(i * Float.BYTES, v[i]);
        }
        Value c = new Value(UniqueNames.unique(names, name), type);
        String w = UniqueNames.unique(names, c.name() + ".value");
        newWeights.put(w, new WeightData(DType.F32, dims, b));
        newConstants.add(new Constant(c, w));
        return c;
    }
}
