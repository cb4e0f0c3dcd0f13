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
 * f32 weight {@code W[K, N]}, and each {@code conv} with a constant f32 filter, becomes, per layer,
 * one of
 *
 * <ul>
 *   <li><b>int8</b>: the weight int8 per output column, symmetric ({@link
 *       WeightQuantizer#int8PerColumn}); the activation quantized to i8 once however many layers read
 *       it (Q, K and V share one), per row at run time, or with one static scale per tensor from
 *       calibration ({@link #QuantizePass(Precision, Map, Map, Map)}); the product in ONNX's
 *       MatMulInteger form that {@code quant-gemm} then lowers onto the int8 kernel ({@code
 *       matmul_int8}) with the scales and the following bias in its epilogue. The pass writes the
 *       plain semantics, not the kernel op, so there is one int8 kernel family and one lowering for
 *       imported and compiler-quantized models, and the interpreter can run the result exactly.
 *       Convs: {@link ConvQuantizer};
 *   <li><b>int4</b>, weight only, matmuls with K a multiple of 32: W as Q4_1 blocks of 32 along K
 *       ({@link Q4Blocks}), multiplied by {@code qmatmul}, the decoders' packed-weight matmul;
 *   <li><b>fp32</b>: left alone.
 * </ul>
 *
 * <pre>
 * %y: f32[B,S,1536] = matmul(%x, %w)                    // %w: f32[384,1536] const
 *   ⇒ int8 (run-time scales)
 * %x_q: i8[B,S,384], %x_scale: f32[B,S,1] = dynamic_quantize_rows(%x [, %x_smooth])   // max|x|/127 per row
 * %x_qi = cast(%x_q) {to = i32}
 * %y_acc: i32[B,S,1536] = matmul(%x_qi, %w_int8)        // %w_int8: i32[384,1536], values in -127..127
 * %y = mul(mul(cast(%y_acc) {to = f32}, %w_scale), %x_scale)
 *   ⇒ int8 (static scale s)
 * %x_q: i8 = cast(clip(round(mul(%x, 1/s)), -127, 127))  ...  %y = mul(cast(%y_acc), s · %w_scale)
 *   ⇒ int4
 * %y: f32[B,S,1536] = qmatmul(%x, %w_q4_1)              // %w_q4_1: q4_1[1536,384] const
 * </pre>
 *
 * <p>Which layers get which precision is the constructor's: one precision for all, or a map from a
 * layer's name ({@link #layerName}, its output value's) to a precision, as {@code --quantize auto}
 * chooses by measurement. Run by name ({@code --passes quantize}) the pass quantizes every layer to
 * the precision in option {@code quantize} (default int8). A layer int4 cannot take (a conv, or K not
 * a multiple of 32) stays f32 with a note. Not quantized: matmuls whose weight is not a constant
 * (attention's scores are one {@code attention} node by now) and gemm.
 *
 * <p>First, always, the pass lowers the quantization ops an ONNX model arrives with ({@code
 * quantize_linear}, {@code dequantize_linear}, {@code dynamic_quantize_linear}, {@code
 * matmul_integer}, {@code qlinear_matmul}, {@code conv_integer}, {@code qlinear_conv}; see {@link
 * QuantLinearLowering}) to the int8 form above, f32 convs of integers and element-wise ops; {@link #lowering} is the pass doing only that, first in the default
 * pipelines.
 *
 * <p>On a GGUF decoder ({@link #requantize}) the pass re-quantizes the packed-weight constants of
 * {@code qmatmul} and {@code embedding} instead, with the conversion the compiler gives it (llama.cpp's
 * file types and rules; see {@link RequantizeWeights}).
 */
@PassInfo(
        name = "quantize",
        summary = "lower imported quantization ops (ONNX QDQ, integer matmuls and convs); quantize linear"
                + " layers with constant weights: int8 (per-channel weights, dynamic activations) or int4 (Q4_1"
                + " weight-only); convs int8")
public final class QuantizePass implements Pass {
    /** The option naming the precision when the pass runs by name. */
    public static final String OPTION = "quantize";

    private final Precision all;
    private final Map<String, Precision> perLayer;
    private final Map<String, float[]> activationMax;
    private final Map<String, Float> staticScale;
    private final WeightRequantizer requantizer;
    private final boolean llamaCppActivations;
    private final boolean lowerOnly;
    private final boolean qdqOnInt8;

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
        this(all, perLayer, Map.of());
    }

    /**
     * As {@link #QuantizePass(Precision, Map)}, with measured per-channel maxima of |x| for the
     * activations named in {@code activationMax} (by value name): the int8 layers reading such an
     * activation are smoothed ({@link Smoothing}), an element-wise {@code mul} by {@code 1/s} before
     * its {@code dynamic_quantize} and {@code s} folded into the weights.
     */
    public QuantizePass(Precision all, Map<String, Precision> perLayer, Map<String, float[]> activationMax) {
        this(all, perLayer, activationMax, Map.of());
    }

    /**
     * As {@link #QuantizePass(Precision, Map, Map)}, with static activation scales from calibration:
     * an int8 layer whose activation (by value name) has a scale here quantizes it with that constant,
     * one scale per tensor ({@code q = clip(round(x / s), -127, 127)}, x after smoothing when smoothed),
     * instead of a per-row scale measured at run time. The row-scale {@code mul} after the matmul then
     * folds into the column scales, so {@code quant-gemm} takes the whole rescale and the bias into the
     * int8 kernel's epilogue.
     */
    public QuantizePass(
            Precision all,
            Map<String, Precision> perLayer,
            Map<String, float[]> activationMax,
            Map<String, Float> staticScale) {
        this(all, perLayer, activationMax, staticScale, null, false, false, true);
    }

    private QuantizePass(
            Precision all,
            Map<String, Precision> perLayer,
            Map<String, float[]> activationMax,
            Map<String, Float> staticScale,
            WeightRequantizer requantizer,
            boolean llamaCppActivations,
            boolean lowerOnly,
            boolean qdqOnInt8) {
        this.all = all;
        this.perLayer = Map.copyOf(perLayer);
        this.activationMax = Map.copyOf(activationMax);
        this.staticScale = Map.copyOf(staticScale);
        this.requantizer = requantizer;
        this.llamaCppActivations = llamaCppActivations;
        this.lowerOnly = lowerOnly;
        this.qdqOnInt8 = qdqOnInt8;
    }

    /**
     * The pass as the default pipelines run it: it lowers the quantization ops an imported model
     * holds ({@link QuantLinearLowering}) and quantizes nothing else. With {@code qdqOnInt8} a static
     * QDQ linear layer becomes the MatMulInteger form {@code quant-gemm} puts on the int8 kernel
     * ({@link QdqMatMul}); without (a backend with neither quant-gemm nor integer matmuls) its ops are
     * lowered one by one, an f32 matmul of dequantized values.
     */
    public static QuantizePass lowering(boolean qdqOnInt8) {
        return new QuantizePass(null, Map.of(), Map.of(), Map.of(), null, false, true, qdqOnInt8);
    }

    /**
     * The pass for a decoder's packed weights: each {@code qmatmul}/{@code embedding} weight constant
     * {@code requantizer} converts takes its new data; with {@code llamaCppActivations} (llama-cpp
     * numerics) the matmuls on re-quantized weights quantize their activations as llama.cpp does for
     * the new type ({@link fsc.ir.DType#llamaCppVecDotType}).
     */
    public static QuantizePass requantize(WeightRequantizer requantizer, boolean llamaCppActivations) {
        return new QuantizePass(
                null,
                Map.of(),
                Map.of(),
                Map.of(),
                java.util.Objects.requireNonNull(requantizer),
                llamaCppActivations,
                false,
                true);
    }

    /** The layers the pass can quantize, in graph order. */
    public static List<Node> linearLayers(Graph g) {
        Set<Value> constants = Substitution.identitySet(
                g.constants().stream().map(Constant::value).toList());
        List<Node> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (isConvLayer(n, constants)) {
                out.add(n);
                continue;
            }
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

    /** A {@code conv} of an f32 activation by a constant f32 weight, with a constant bias or none. */
    private static boolean isConvLayer(Node n, Set<Value> constants) {
        if (!n.op().equals("conv")
                || n.isFused()
                || n.inputs().size() < 2
                || n.outputs().size() != 1) {
            return false;
        }
        Value x = n.input(0);
        Value w = n.input(1);
        boolean bias = n.inputs().size() < 3
                || (constants.contains(n.input(2))
                        && n.input(2).dtype() == DType.F32
                        && n.input(2).type().isStatic());
        return n.output().dtype() == DType.F32
                && x.dtype() == DType.F32
                && constants.contains(w)
                && w.dtype() == DType.F32
                && w.type().rank() >= 3
                && w.type().isStatic()
                && w.type().isRowMajor()
                && bias;
    }

    /** Whether a layer is a convolution (int8 only; its K is input channels per group times the window). */
    public static boolean isConv(Node n) {
        return n.op().equals("conv");
    }

    /** A layer's reduction length: K of the matmul's W[K, N], or channels per group × window of a conv. */
    public static long layerK(Node n) {
        TensorType w = n.input(1).type();
        if (!isConv(n)) {
            return w.dim(0).value();
        }
        long k = 1;
        for (int i = 1; i < w.rank(); i++) {
            k *= w.dim(i).value();
        }
        return k;
    }

    /** A layer's output channels: N of the matmul's W[K, N], the filters M of a conv's W[M, ...]. */
    public static long layerN(Node n) {
        return n.input(1).type().dim(isConv(n) ? 0 : 1).value();
    }

    /** Whether int4 applies: a matmul whose K is a multiple of the Q4_1 block. */
    public static boolean int4Possible(Node n) {
        return !isConv(n) && layerK(n) % WeightQuantizer.Q4_BLOCK == 0;
    }

    /** A layer's name in reports and in per-layer assignments: its output value's, unique in the graph. */
    public static String layerName(Node n) {
        return n.output().name();
    }

    @Override
    public Graph run(Graph g, PassContext ctx) {
        g = QuantLinearLowering.run(g, qdqOnInt8);
        if (lowerOnly) {
            return g;
        }
        if (requantizer != null) {
            return RequantizeWeights.run(g, ctx, requantizer, llamaCppActivations);
        }
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
        Map<Value, float[]> smooth = smoothingScales(g, layers, dflt, constants, Precision.INT8);
        Map<Value, float[]> awq = smoothingScales(g, layers, dflt, constants, Precision.INT4);
        Map<Value, Value> awqInput = new IdentityHashMap<>(); // activation -> its int4-scaled form
        int int8 = 0;
        int int4 = 0;
        int skipped = 0;
        Map<Value, Value> convInput = new IdentityHashMap<>(); // activation -> its per-tensor int8 values
        Map<Value, Value> convScale = new IdentityHashMap<>(); // activation -> its per-tensor scale
        for (Node n : layers) {
            Precision p = perLayer.getOrDefault(layerName(n), dflt);
            Value x = n.input(0);
            Value w = n.input(1);
            if (p == Precision.INT4 && !int4Possible(n)) {
                ctx.note(n.where() + ": kept f32, int4 needs a matmul with K a multiple of 32 (K = " + layerK(n)
                        + (isConv(n) ? ", a conv" : "") + ")");
                skipped++;
                continue;
            }
            if (p == Precision.FP32) {
                continue;
            }
            if (isConv(n)) {
                List<Node> out = new ArrayList<>();
                Value xq = convInput.get(x);
                if (xq == null) {
                    Float st = staticScale.get(x.name());
                    xq = st != null
                            ? staticQuantized(x, st, names, out, newConstants, newWeights)
                            : tensorQuantized(x, names, out, convScale, newConstants, newWeights);
                    convInput.put(x, xq);
                }
                ConvQuantizer.rewrite(
                        n,
                        xq,
                        convScale.get(x),
                        staticScale.get(x.name()),
                        WeightQuantizer.floats(g.weights().get(constants.get(w).weight())),
                        n.inputs().size() > 2
                                ? WeightQuantizer.floats(g.weights()
                                        .get(constants.get(n.input(2)).weight()))
                                : null,
                        names,
                        out,
                        newConstants,
                        newWeights);
                replacement.put(n, out);
                replacedWeights.add(w);
                if (n.inputs().size() > 2) {
                    replacedWeights.add(n.input(2));
                }
                int8++;
                continue;
            }
            int k = Math.toIntExact(w.type().dim(0).value());
            int cols = Math.toIntExact(w.type().dim(1).value());
            float[] wf = WeightQuantizer.floats(g.weights().get(constants.get(w).weight()));
            String weightName = constants.get(w).weight();
            List<Node> out = new ArrayList<>();
            if (p == Precision.INT4) {
                float[] sm = awq.get(x);
                Value input = x;
                if (sm != null) {
                    input = awqInput.get(x);
                    if (input == null) {
                        input = smoothed(x, sm, names, out, newConstants, newWeights);
                        awqInput.put(x, input);
                    }
                    wf = Smoothing.scaleRows(wf, sm, cols);
                }
                WeightData q4 = Q4Blocks.q4_1Transposed(
                        wf, k, cols, WeightQuantizer.importance(activationMax.get(x.name()), sm));
                Value qv = new Value(UniqueNames.unique(names, w.name() + "_q4_1"), TensorType.of(DType.Q4_1, cols, k));
                String qw = UniqueNames.unique(names, weightName + ".q4_1");
                newWeights.put(qw, q4);
                newConstants.add(new Constant(qv, qw));
                out.add(new Node("qmatmul", n.name(), List.of(input, qv), List.of(n.output()), Map.of()));
                int4++;
            } else {
                Value c = centred.get(x);
                float[] sm = smooth.get(x);
                Float st = staticScale.get(x.name());
                if (c == null && st == null) {
                    // Smoothing and the per-row quantizer in one node (the kernel multiplies by 1/s itself).
                    c = quantizeActivation(x, sm, names, out, scaleOf, newConstants, newWeights);
                    centred.put(x, c);
                }
                if (c == null) {
                    Value input = x;
                    if (sm != null) {
                        input = smoothed(x, sm, names, out, newConstants, newWeights);
                    }
                    if (st != null) {
                        Value q = staticQuantized(input, st, names, out, newConstants, newWeights);
                        Value qi8 = new Value(
                                UniqueNames.unique(names, input.name() + "_q"),
                                q.type().withDType(DType.I8));
                        c = new Value(
                                UniqueNames.unique(names, input.name() + "_qi"),
                                q.type().withDType(DType.I32));
                        out.add(cast(input.name() + "/quantize", q, qi8));
                        out.add(cast(input.name() + "/quantize", qi8, c));
                    }
                    centred.put(x, c);
                }
                WeightData[] q8 =
                        WeightQuantizer.int8PerColumn(sm != null ? Smoothing.scaleRows(wf, sm, cols) : wf, k, cols);
                if (st != null) {
                    q8[1] = WeightQuantizer.scaled(q8[1], st); // the activation's static scale joins the columns'
                }
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
                Value colScaled = new Value(UniqueNames.unique(names, y.name() + "_colscaled"), y.type());
                out.add(new Node("matmul", n.name(), List.of(c, qv), List.of(acc), Map.of()));
                out.add(cast(n.name() + "/dequantize", acc, accf));
                // Column scales first, as the int8 kernel's epilogue multiplies; the row scales after.
                if (st != null) {
                    out.add(new Node("mul", n.name() + "/rescale", List.of(accf, sv), List.of(y), Map.of()));
                } else {
                    out.add(new Node("mul", n.name() + "/rescale", List.of(accf, sv), List.of(colScaled), Map.of()));
                    out.add(new Node(
                            "mul", n.name() + "/rescale", List.of(colScaled, scaleOf.get(x)), List.of(y), Map.of()));
                }
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
                "quantized %d of %d linear layers: %d int8, %d int4 (%d activations quantized, %d with static"
                        + " scales)%s",
                int8 + int4,
                layers.size(),
                int8,
                int4,
                centred.size() + convInput.size(),
                staticCount(centred, convInput),
                skipped > 0 ? ", " + skipped + " kept f32 (not int4-able)" : ""));
        return rebuild(g, nodes, newConstants, newWeights, replacedWeights);
    }

    /** Per activation with measured maxima, the smoothing scales over the int8 layers that read it. */
    private Map<Value, float[]> smoothingScales(
            Graph g, List<Node> layers, Precision dflt, Map<Value, Constant> constants, Precision which) {
        Map<Value, List<float[]>> weights = new IdentityHashMap<>();
        Map<Value, List<Integer>> columns = new IdentityHashMap<>();
        for (Node n : layers) {
            Value x = n.input(0);
            Precision p = perLayer.getOrDefault(layerName(n), dflt);
            boolean fits = which != Precision.INT4 || int4Possible(n);
            if (isConv(n) || p != which || !fits || !activationMax.containsKey(x.name())) {
                continue;
            }
            weights.computeIfAbsent(x, v -> new ArrayList<>())
                    .add(WeightQuantizer.floats(
                            g.weights().get(constants.get(n.input(1)).weight())));
            columns.computeIfAbsent(x, v -> new ArrayList<>())
                    .add(Math.toIntExact(n.input(1).type().dim(1).value()));
        }
        Map<Value, float[]> out = new IdentityHashMap<>();
        for (var e : weights.entrySet()) {
            float[] max = activationMax.get(e.getKey().name());
            if (max.length
                    == e.getKey().type().dim(e.getKey().type().rank() - 1).value()) {
                List<Integer> cols = columns.get(e.getKey());
                out.put(
                        e.getKey(),
                        which == Precision.INT8
                                ? Smoothing.scales(max, e.getValue(), cols)
                                : Smoothing.int4Scales(max, e.getValue(), cols));
            }
        }
        return out;
    }

    /** {@code mul(x, 1/s)} appended to {@code out}, with its constant; returns the smoothed value. */
    private static Value smoothed(
            Value x,
            float[] s,
            Set<String> names,
            List<Node> out,
            List<Constant> newConstants,
            TreeMap<String, WeightData> newWeights) {
        Value inv = smoothInverse(x, s, names, newConstants, newWeights);
        Value y = new Value(UniqueNames.unique(names, x.name() + "_smoothed"), x.type());
        out.add(new Node("mul", x.name() + "/smooth", List.of(x, inv), List.of(y), Map.of()));
        return y;
    }

    /** The constant {@code 1/s} of SmoothQuant's scales {@code s}, f32[K]. */
    private static Value smoothInverse(
            Value x,
            float[] s,
            Set<String> names,
            List<Constant> newConstants,
            TreeMap<String, WeightData> newWeights) {
        ByteBuffer b = ByteBuffer.allocate(s.length * Float.BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < s.length; i++) {
            b.putFloat(i * Float.BYTES, 1f / s[i]);
        }
        Value inv = new Value(UniqueNames.unique(names, x.name() + "_smooth"), TensorType.of(DType.F32, s.length));
        String w = UniqueNames.unique(names, x.name() + ".smooth");
        newWeights.put(w, new WeightData(DType.F32, List.of((long) s.length), b));
        newConstants.add(new Constant(inv, w));
        return inv;
    }

    /**
     * x (times {@code 1/smooth} when smoothed) quantized per row (token) to i8, symmetric: {@code s =
     * max(max|x_row|, FLT_MIN) / 127}, {@code q = round(x / s)} (so |q| ≤ 127), as one {@code
     * dynamic_quantize_rows} node appended to {@code out} (one kernel that reads each row once, not
     * the eight element-wise nodes that define it; see {@code QuantOps}). Returns q widened to i32
     * (what the matmul reads; {@code quant-gemm} takes the i8 q with a zero point of 0) and records the
     * row scales {@code [..., 1]} in {@code scaleOf}. Per row, not per tensor as ONNX Runtime's u8
     * DynamicQuantizeLinear: an encoder's [CLS] and [SEP] rows are an order of magnitude larger than
     * the rest, and one scale per tensor left the other rows a few steps.
     */
    private static Value quantizeActivation(
            Value x,
            float[] smooth,
            Set<String> names,
            List<Node> out,
            Map<Value, Value> scaleOf,
            List<Constant> newConstants,
            TreeMap<String, WeightData> newWeights) {
        String base = smooth != null ? x.name() + "_smoothed" : x.name();
        List<Value> inputs =
                smooth != null ? List.of(x, smoothInverse(x, smooth, names, newConstants, newWeights)) : List.of(x);
        int rank = x.type().rank();
        List<fsc.ir.Dim> rowDims = new ArrayList<>(x.type().dims());
        rowDims.set(rank - 1, fsc.ir.Dim.of(1));
        Value q = new Value(UniqueNames.unique(names, base + "_q"), x.type().withDType(DType.I8));
        Value s = new Value(
                UniqueNames.unique(names, base + "_scale"),
                TensorType.of(DType.F32).withDims(rowDims));
        Value qi = new Value(UniqueNames.unique(names, base + "_qi"), x.type().withDType(DType.I32));
        String at = base + "/quantize";
        out.add(new Node("dynamic_quantize_rows", at, inputs, List.of(q, s), Map.of()));
        out.add(cast(at, q, qi));
        scaleOf.put(x, s);
        return qi;
    }

    private int staticCount(Map<Value, Value> centred, Map<Value, Value> convInput) {
        int n = 0;
        for (Value v : centred.keySet()) {
            n += staticScale.containsKey(v.name()) ? 1 : 0;
        }
        for (Value v : convInput.keySet()) {
            n += staticScale.containsKey(v.name()) ? 1 : 0;
        }
        return n;
    }

    /**
     * x quantized with a static scale {@code s} from calibration: {@code clip(round(x · (1/s)), -127,
     * 127)}, still f32 (the values are integers, exact in f32). Values past the calibrated range
     * saturate, as in any static int8 scheme. The scale itself is a constant the callers fold into
     * the rescale after the layer.
     */
    static Value staticQuantized(
            Value x,
            float s,
            Set<String> names,
            List<Node> out,
            List<Constant> newConstants,
            TreeMap<String, WeightData> newWeights) {
        String base = x.name();
        float safe = s > 0 && Float.isFinite(s) ? s : Float.MIN_NORMAL;
        Value inv = scalar(names, base + "_inv_scale", 1f / safe, newConstants, newWeights);
        Value scaled = new Value(UniqueNames.unique(names, base + "_scaled"), x.type());
        Value rounded = new Value(UniqueNames.unique(names, base + "_rounded"), x.type());
        Value clipped = new Value(UniqueNames.unique(names, base + "_qf"), x.type());
        String at = base + "/quantize";
        out.add(new Node("mul", at, List.of(x, inv), List.of(scaled), Map.of()));
        out.add(new Node("round", at, List.of(scaled), List.of(rounded), Map.of()));
        out.add(new Node(
                "clip",
                at,
                List.of(rounded),
                List.of(clipped),
                Map.of("min", new Attr.Float(-127), "max", new Attr.Float(127))));
        return clipped;
    }

    /**
     * x quantized per tensor at run time (a conv's input without calibration): {@code s = max|x| /
     * 127} over the whole tensor, {@code round(x / s)}, f32. Records s (a scalar value) in {@code scaleOf}.
     */
    private static Value tensorQuantized(
            Value x,
            Set<String> names,
            List<Node> out,
            Map<Value, Value> scaleOf,
            List<Constant> newConstants,
            TreeMap<String, WeightData> newWeights) {
        String base = x.name();
        TensorType scalarType = TensorType.of(DType.F32);
        Value abs = new Value(UniqueNames.unique(names, base + "_abs"), x.type());
        Value max = new Value(UniqueNames.unique(names, base + "_absmax"), scalarType);
        Value tiny = scalar(names, base + "_tiny", Float.MIN_NORMAL, newConstants, newWeights);
        Value levels = scalar(names, base + "_levels", 127f, newConstants, newWeights);
        Value safe = new Value(UniqueNames.unique(names, base + "_absmax_safe"), scalarType);
        Value s = new Value(UniqueNames.unique(names, base + "_scale"), scalarType);
        Value scaled = new Value(UniqueNames.unique(names, base + "_scaled"), x.type());
        Value rounded = new Value(UniqueNames.unique(names, base + "_qf"), x.type());
        String at = base + "/quantize";
        List<Long> axes = new ArrayList<>();
        for (int i = 0; i < x.type().rank(); i++) {
            axes.add((long) i);
        }
        out.add(new Node("abs", at, List.of(x), List.of(abs), Map.of()));
        out.add(new Node(
                "reduce_max",
                at,
                List.of(abs),
                List.of(max),
                Map.of("axes", new Attr.Ints(axes), "keepdims", new Attr.Int(0))));
        out.add(new Node("max", at, List.of(max, tiny), List.of(safe), Map.of()));
        out.add(new Node("div", at, List.of(safe, levels), List.of(s), Map.of()));
        out.add(new Node("div", at, List.of(x, s), List.of(scaled), Map.of()));
        out.add(new Node("round", at, List.of(scaled), List.of(rounded), Map.of()));
        scaleOf.put(x, s);
        return rounded;
    }

    static Value scalar(
            Set<String> names,
            String name,
            float v,
            List<Constant> newConstants,
            TreeMap<String, WeightData> newWeights) {
        ByteBuffer b = ByteBuffer.allocate(Float.BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putFloat(0, v);
        Value c = new Value(UniqueNames.unique(names, name), TensorType.of(DType.F32));
        String w = UniqueNames.unique(names, c.name() + ".value");
        newWeights.put(w, new WeightData(DType.F32, List.of(), b));
        newConstants.add(new Constant(c, w));
        return c;
    }

    static Node cast(String name, Value from, Value to) {
        return new Node("cast", name, List.of(from), List.of(to), Map.of("to", new Attr.Type(to.dtype())));
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
