package fsc.passes;

import fsc.ir.Attr;
import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Quantizes the linear layers of an f32 model: each {@code matmul} of an activation by a constant
 * f32 weight {@code W[K, N]} becomes, per layer, one of
 *
 * <ul>
 *   <li><b>int8</b> (ONNX Runtime's dynamic quantization, per-channel weights): the activation is
 *       quantized at run time to u8 with one scale and zero point per tensor ({@code
 *       dynamic_quantize}, once per activation however many layers read it, e.g. Q, K and V), the
 *       weight is int8 per output column, symmetric ({@link WeightQuantizer#int8PerColumn}), and
 *       the product is ONNX's MatMulInteger form that {@code quant-gemm} then lowers onto the int8
 *       kernel ({@code matmul_int8}) with both scales and the following bias in its epilogue. The
 *       pass writes the plain semantics, not the kernel op, so there is one int8 kernel family and
 *       one lowering for imported and compiler-quantized models, and the interpreter can run the
 *       result exactly;
 *   <li><b>int4</b>, weight only: W as Q4_0 blocks of 32 along K ({@link
 *       WeightQuantizer#q4_0Transposed}), multiplied by {@code qmatmul}, the decoders' packed-weight
 *       matmul (blocks dequantized in registers when decoding, per L1 tile in the prefill GEMM);
 *   <li><b>fp32</b>: left alone.
 * </ul>
 *
 * <pre>
 * %y: f32[B,S,1536] = matmul(%x, %w)                    // %w: f32[384,1536] const
 *   ⇒ int8
 * %x_q: u8[B,S,384], %x_scale: f32[], %x_zp: u8[] = dynamic_quantize(%x)
 * %x_qi = cast(%x_q) {to = i32}   %x_zpi = cast(%x_zp) {to = i32}   %x_c = sub(%x_qi, %x_zpi)
 * %y_acc: i32[B,S,1536] = matmul(%x_c, %w_int8)         // %w_int8: i32[384,1536], values in -127..127
 * %y_accf = cast(%y_acc) {to = f32}   %y_scales = mul(%x_scale, %w_scale)   %y = mul(%y_accf, %y_scales)
 *   ⇒ int4
 * %y: f32[B,S,1536] = qmatmul(%x, %w_q4_0)              // %w_q4_0: q4_0[1536,384] const
 * </pre>
 *
 * <p>Which layers get which precision is the constructor's: one precision for all, or a map from a
 * layer's name ({@link #layerName}, its output value's) to a precision, as {@code --quantize auto}
 * chooses by measurement. Run by name ({@code --passes quantize}) the pass quantizes every layer to
 * the precision in option {@code quantize} (default int8). A layer int4 cannot take (K not a multiple
 * of 32) stays f32 with a note. Not quantized: matmuls whose weight is not a constant (attention's
 * scores are one {@code attention} node by now), gemm and conv (not yet).
 */
@PassInfo(
        name = "quantize",
        summary = "quantize linear layers with constant weights: int8 (per-channel weights, dynamic activations)"
                + " or int4 (Q4_0 weight-only)")
public final class QuantizePass implements Pass {
    /** The option naming the precision when the pass runs by name. */
    public static final String OPTION = "quantize";

    private final Precision all;
    private final Map<String, Precision> perLayer;

    /** By name: every layer at the precision of option {@code quantize}, int8 when absent. */
    public QuantizePass() {
        this(null, Map.of());
    }

    /** Every layer at {@code all}. */
    public QuantizePass(Precision all) {
        this(all, Map.of());
    }

    /** Layers named in {@code perLayer} at theirs, the rest at {@code all} (null: the option's). */
    public QuantizePass(Precision all, Map<String, Precision> perLayer) {
        this.all = all;
        this.perLayer = Map.copyOf(perLayer);
    }

    /** The layers the pass can quantize, in graph order. */
    public static List<Node> linearLayers(Graph g) {
        Set<Value> constants = Substitution.identitySet(
                g.constants().stream().map(Constant::value).toList());
        List<Node> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!n.op().equals("matmul") || n.isFused() || n.inputs().size() != 2) {
                continue;
            }
            Value x = n.input(0);
            Value w = n.input(1);
            if (n.output().dtype() == DType.F32
                    && x.dtype() == DType.F32
                    && x.type().rank() >= 2
                    && constants.contains(w)
                    && w.dtype() == DType.F32
                    && w.type().rank() == 2
                    && w.type().isStatic()
                    && w.type().isRowMajor()
                    && x.type().dim(x.type().rank() - 1).equals(w.type().dim(0))) {
                out.add(n);
            }
        }
        return out;
    }

    /** A layer's name in reports and in per-layer assignments: its output value's, unique in the graph. */
    public static String layerName(Node n) {
        return n.output().name();
    }

    @Override
    public Graph run(Graph g, PassContext ctx) {
        Precision dflt = all != null ? all : Precision.byName(ctx.options().getOrDefault(OPTION, "int8"));
        List<Node> layers = linearLayers(g);
        if (layers.isEmpty()) {
            return g;
        }
        Set<String> names = new HashSet<>(g.weights().byName().keySet());
        g.inputs().forEach(v -> names.add(v.name()));
        g.constants().forEach(c -> names.add(c.value().name()));
        g.nodes().forEach(n -> n.outputs().forEach(v -> names.add(v.name())));
        Map<Value, Constant> constants = new IdentityHashMap<>();
        g.constants().forEach(c -> constants.put(c.value(), c));

        Map<Node, List<Node>> replacement = new IdentityHashMap<>();
        Map<Value, Value> centred = new IdentityHashMap<>(); // activation -> its zero-point-centred i32 form
        Map<Value, Value> scaleOf = new IdentityHashMap<>(); // activation -> its dynamic scale
        List<Constant> newConstants = new ArrayList<>();
        TreeMap<String, WeightData> newWeights = new TreeMap<>();
        Set<Value> replacedWeights = Substitution.identitySet(List.of());
        int int8 = 0;
        int int4 = 0;
        int skipped = 0;
        for (Node n : layers) {
            Precision p = perLayer.getOrDefault(layerName(n), dflt);
            Value x = n.input(0);
            Value w = n.input(1);
            int k = Math.toIntExact(w.type().dim(0).value());
            int cols = Math.toIntExact(w.type().dim(1).value());
            if (p == Precision.INT4 && k % WeightQuantizer.Q4_BLOCK != 0) {
                ctx.note(n.where() + ": kept f32, int4 needs K a multiple of 32 (K = " + k + ")");
                skipped++;
                continue;
            }
            if (p == Precision.FP32) {
                continue;
            }
            float[] wf = floats(g.weights().get(constants.get(w).weight()));
            String weightName = constants.get(w).weight();
            List<Node> out = new ArrayList<>();
            if (p == Precision.INT4) {
                WeightData q4 = WeightQuantizer.q4_0Transposed(wf, k, cols);
                Value qv = new Value(UniqueNames.unique(names, w.name() + "_q4_0"), TensorType.of(DType.Q4_0, cols, k));
                String qw = UniqueNames.unique(names, weightName + ".q4_0");
                newWeights.put(qw, q4);
                newConstants.add(new Constant(qv, qw));
                out.add(new Node("qmatmul", n.name(), List.of(x, qv), List.of(n.output()), Map.of()));
                int4++;
            } else {
                Value c = centred.get(x);
                if (c == null) {
                    c = quantizeActivation(x, names, out, scaleOf);
                    centred.put(x, c);
                }
                WeightData[] q8 = WeightQuantizer.int8PerColumn(wf, k, cols);
                Value qv = new Value(UniqueNames.unique(names, w.name() + "_int8"), TensorType.of(DType.I32, k, cols));
                Value sv = new Value(UniqueNames.unique(names, w.name() + "_scale"), TensorType.of(DType.F32, cols));
                String qw = UniqueNames.unique(names, weightName + ".int8");
                String sw = UniqueNames.unique(names, weightName + ".scale");
                newWeights.put(qw, q8[0]);
                newWeights.put(sw, q8[1]);
                newConstants.add(new Constant(qv, qw));
                newConstants.add(new Constant(sv, sw));
                Value y = n.output();
                Value acc = new Value(
                        UniqueNames.unique(names, y.name() + "_acc"), y.type().withDType(DType.I32));
                Value accf = new Value(UniqueNames.unique(names, y.name() + "_accf"), y.type());
                Value scales =
                        new Value(UniqueNames.unique(names, y.name() + "_scales"), TensorType.of(DType.F32, cols));
                out.add(new Node("matmul", n.name(), List.of(c, qv), List.of(acc), Map.of()));
                out.add(cast(n.name() + "/dequantize", acc, accf));
                out.add(new Node("mul", n.name() + "/scales", List.of(scaleOf.get(x), sv), List.of(scales), Map.of()));
                out.add(new Node("mul", n.name() + "/rescale", List.of(accf, scales), List.of(y), Map.of()));
                int8++;
            }
            replacement.put(n, out);
            replacedWeights.add(w);
        }
        if (replacement.isEmpty()) {
            return g;
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            List<Node> r = replacement.get(n);
            if (r == null) {
                nodes.add(n);
            } else {
                nodes.addAll(r);
            }
        }
        ctx.note(String.format(
                Locale.ROOT,
                "quantized %d of %d linear layers: %d int8, %d int4 (%d activations quantized at run time)%s",
                int8 + int4,
                layers.size(),
                int8,
                int4,
                centred.size(),
                skipped > 0 ? ", " + skipped + " kept f32 (K not a multiple of 32)" : ""));
        return rebuild(g, nodes, newConstants, newWeights, replacedWeights);
    }

    /**
     * {@code dynamic_quantize(x)} and the centring {@code sub(cast(q), cast(zp))} appended to {@code
     * out}; returns the centred i32 value and records x's scale in {@code scaleOf}.
     */
    private static Value quantizeActivation(Value x, Set<String> names, List<Node> out, Map<Value, Value> scaleOf) {
        String base = x.name();
        Value q = new Value(UniqueNames.unique(names, base + "_q"), x.type().withDType(DType.U8));
        Value s = new Value(UniqueNames.unique(names, base + "_scale"), TensorType.of(DType.F32));
        Value zp = new Value(UniqueNames.unique(names, base + "_zp"), TensorType.of(DType.U8));
        Value qi = new Value(UniqueNames.unique(names, base + "_qi"), x.type().withDType(DType.I32));
        Value zpi = new Value(UniqueNames.unique(names, base + "_zpi"), TensorType.of(DType.I32));
        Value c = new Value(UniqueNames.unique(names, base + "_c"), x.type().withDType(DType.I32));
        out.add(new Node("dynamic_quantize", base + "/quantize", List.of(x), List.of(q, s, zp), Map.of()));
        out.add(cast(base + "/quantize", q, qi));
        out.add(cast(base + "/quantize", zp, zpi));
        out.add(new Node("sub", base + "/quantize", List.of(qi, zpi), List.of(c), Map.of()));
        scaleOf.put(x, s);
        return c;
    }

    private static Node cast(String name, Value from, Value to) {
        return new Node("cast", name, List.of(from), List.of(to), Map.of("to", new Attr.Type(to.dtype())));
    }

    /** The f32 elements of a row-major weight. */
    static float[] floats(WeightData w) {
        ByteBuffer b = w.view();
        float[] f = new float[Math.toIntExact(w.elementCount())];
        for (int i = 0; i < f.length; i++) {
            f[i] = b.getFloat(i * Float.BYTES);
        }
        return f;
    }

    /** The new constants after the old; f32 weights no node reads any more dropped. */
    private static Graph rebuild(
            Graph g,
            List<Node> nodes,
            List<Constant> added,
            TreeMap<String, WeightData> newWeights,
            Set<Value> replaced) {
        Set<Value> read = Substitution.identitySet(g.outputs());
        nodes.forEach(n -> read.addAll(n.inputs()));
        List<Constant> constants = new ArrayList<>();
        Set<String> keptWeights = new HashSet<>();
        Set<String> dropped = new HashSet<>();
        for (Constant c : g.constants()) {
            if (replaced.contains(c.value()) && !read.contains(c.value())) {
                dropped.add(c.weight());
            } else {
                constants.add(c);
                keptWeights.add(c.weight());
            }
        }
        constants.addAll(added);
        dropped.removeAll(keptWeights);
        TreeMap<String, WeightData> weights = new TreeMap<>(g.weights().byName());
        weights.keySet().removeAll(dropped);
        weights.putAll(newWeights);
        return g.withBody(constants, nodes, g.outputs(), new fsc.ir.Weights(weights));
    }
}
