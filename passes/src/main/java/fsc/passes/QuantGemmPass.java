package fsc.passes;

import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.PanelLayout;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Lowers the integer matmuls of quantized models (ONNX MatMulInteger and QLinearMatMul, which the
 * frontend imports as an i32 {@code matmul} of zero-point-centred operands) onto {@code
 * matmul_int8}, the runtime's int8 GEMM: the activations stay bytes, the constant weight is stored
 * as s8 packed in the kernel's column panels, and the rescale that follows ({@code cast} to f32,
 * {@code mul} by a scale, {@code add} of a bias) moves into the kernel's epilogue. The element-wise
 * DynamicQuantizeLinear that produces the activations becomes one {@code dynamic_quantize} (see
 * {@link DynamicQuantizeRecognizer}), a two-pass vector kernel instead of 15 loops.
 *
 * <pre>
 * %ai = cast(%q) {to = i32}                       // %q: u8[B,S,384], from DynamicQuantizeLinear
 * %zi = cast(%zp) {to = i32}                      // %zp: u8[]
 * %ac = sub(%ai, %zi)
 * %w: i32[384,1536] = const @"w_i32"              // fold's cast(w) - w_zp
 * %acc: i32[B,S,1536] = matmul(%ac, %w)
 * %f = cast(%acc) {to = f32}
 * %s = mul(%f, %scales)                           // %scales: f32[1536] = a_scale * w_scale
 * %y = add(%s, %bias)
 *   ⇒
 * %w_s8: i8[384,1536]{panel32} = const @"w_i32.s8.panel32"
 * %w_off: i32[1536] = const @"w_i32.s8.offset"
 * %y: f32[B,S,1536] = matmul_int8(%q, %zp, %w_s8, %w_off, %a_scale, %w_scale, %bias) {scale_factors = 2}
 * </pre>
 *
 * <p>(When {@code %scales} is itself {@code mul(%a_scale, %w_scale)}, as DynamicQuantizeLinear +
 * MatMulInteger import, the two factors go to the kernel and the {@code mul} goes; any other scale
 * is passed as one input.)
 *
 * <p>After the column scale the kernel also takes, when only this result reads them, a {@code mul}
 * by per-row scales {@code f32[..., M, 1]} (the {@code quantize} pass's per-token activation scales;
 * {@code {row_scale = 1}}, applied before the bias), the bias, and an exact {@code gelu} ({@code
 * {gelu = 1}}, an FFN's activation), each in the graph's f32 order.
 *
 * <p><b>Weights.</b> A weight matches when each of its columns spans at most 256 values: the
 * column is stored as s8 shifted by {@code offset[j]} (zero when it already fits s8, as for
 * ONNX's s8 weights; {@code 128 - zp}-like shifts for u8 ones) and the kernel subtracts {@code
 * offset[j] · rowsum(a - a_zp)}, which is exact. Panels are {@code layout.panel} columns wide (the
 * compiling CPU's, as for the {@code layout} pass); a model run elsewhere repacks at load.
 *
 * <p>Not matched, and left to the exact scalar int32 matmul: weights that are not constants, a
 * per-row zero point of {@code a}, integer values wider than 8 bits. The epilogue takes only what
 * reads the accumulator alone: a shared intermediate stays where it is and the kernel stops before
 * it (int32 out, or f32 without the bias).
 */
@PassInfo(
        name = "quant-gemm",
        summary = "lower 8-bit integer matmuls onto matmul_int8 (packed s8 weights, fused rescale) and"
                + " DynamicQuantizeLinear onto dynamic_quantize")
public final class QuantGemmPass implements Pass {
    @Override
    public Graph run(Graph g, PassContext ctx) {
        long option = ctx.longOption("layout.panel", LayoutPass.NATIVE_PANEL);
        if (option <= 0 || option > 1024) {
            throw new FscException("pass option layout.panel=" + option + " must be a panel width in 1..1024");
        }
        int width = (int) option;
        Map<Value, Constant> constants = new IdentityHashMap<>();
        g.constants().forEach(c -> constants.put(c.value(), c));
        Map<Value, Node> defs = new IdentityHashMap<>();
        Map<Value, List<Node>> readers = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            n.outputs().forEach(v -> defs.put(v, n));
            for (Value v : n.inputs()) {
                readers.computeIfAbsent(v, x -> new ArrayList<>()).add(n);
            }
        }
        Set<Value> graphOutputs = Substitution.identitySet(g.outputs());
        Set<String> names = new HashSet<>(g.weights().byName().keySet());
        g.inputs().forEach(v -> names.add(v.name()));
        g.constants().forEach(c -> names.add(c.value().name()));
        g.nodes().forEach(n -> n.outputs().forEach(v -> names.add(v.name())));

        Weights weights = g.weights();
        Map<Value, Constant[]> packed = new IdentityHashMap<>(); // source i32 weight -> {s8 panels, offsets}
        Map<Value, List<Constant>> added = new IdentityHashMap<>();
        TreeMap<String, WeightData> newWeights = new TreeMap<>();
        Map<Node, Node> insertBefore = new IdentityHashMap<>();
        Set<Node> absorbed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        int quantizers = dynamicQuantizers(g, defs, readers, names, insertBefore, absorbed);
        List<Constant> zeroPoints = new ArrayList<>();
        int matmuls = 0;
        int epilogues = 0;
        int rowScaled = 0;
        int gelus = 0;
        for (Node n : g.nodes()) {
            if (!n.op().equals("matmul") || n.isFused() || n.output().dtype() != DType.I32) {
                continue;
            }
            Value[] a = activation(n.input(0), defs, constants, weights, names, zeroPoints, newWeights);
            Value w = n.input(1);
            if (a == null || !constants.containsKey(w) || !isMatrix(w)) {
                continue;
            }
            Constant[] slot = packed.get(w);
            if (slot == null) {
                Constant src = constants.get(w);
                WeightData[] s8 = toS8(weights.get(src.weight()), width);
                if (s8 == null) {
                    continue;
                }
                String tag = PanelLayout.tag(width);
                long k = w.type().dim(0).value();
                long cols = w.type().dim(1).value();
                Value pv = new Value(
                        UniqueNames.unique(names, w.name() + "_s8_" + tag),
                        TensorType.of(DType.I8, k, cols).withLayout(tag));
                Value ov =
                        new Value(UniqueNames.unique(names, w.name() + "_s8_offset"), TensorType.of(DType.I32, cols));
                String pw = UniqueNames.unique(names, src.weight() + ".s8." + tag);
                String ow = UniqueNames.unique(names, src.weight() + ".s8.offset");
                newWeights.put(pw, s8[0]);
                newWeights.put(ow, s8[1]);
                slot = new Constant[] {new Constant(pv, pw), new Constant(ov, ow)};
                packed.put(w, slot);
                added.computeIfAbsent(w, x -> new ArrayList<>()).addAll(List.of(slot));
            }
            List<Value> inputs = new ArrayList<>(List.of(a[0], a[1], slot[0].value(), slot[1].value()));
            Value out = n.output();
            Node last = n;
            Map<String, fsc.ir.Attr> attrs = Map.of();
            // The rescale chain, as far as only this accumulator reads it.
            Node cast = onlyReader(out, readers, graphOutputs);
            if (cast != null && cast.op().equals("cast") && cast.output().dtype() == DType.F32) {
                Node mul = onlyReader(cast.output(), readers, graphOutputs);
                Value scale = mul == null ? null : other(mul, "mul", cast.output(), out.type());
                if (scale != null && (isOne(scale) || isColumnVector(scale, out.type()))) {
                    Value[] factors = scaleFactors(scale, defs, out.type());
                    if (factors != null) {
                        inputs.addAll(List.of(factors));
                        attrs = Map.of("scale_factors", new fsc.ir.Attr.Int(2));
                    } else {
                        inputs.add(scale);
                    }
                    absorbed.add(cast);
                    absorbed.add(mul);
                    last = mul;
                    // The quantize pass's per-token activation scales: a mul by f32[..., M, 1].
                    Node rowMul = onlyReader(mul.output(), readers, graphOutputs);
                    Value row = rowMul == null ? null : other(rowMul, "mul", mul.output(), out.type());
                    if (row != null && isRowVector(row, out.type())) {
                        inputs.add(row);
                        absorbed.add(rowMul);
                        last = rowMul;
                        Map<String, fsc.ir.Attr> withRow = new java.util.TreeMap<>(attrs);
                        withRow.put("row_scale", new fsc.ir.Attr.Int(1));
                        attrs = withRow;
                        rowScaled++;
                    }
                    Node add = onlyReader(last.output(), readers, graphOutputs);
                    Value bias = add == null ? null : other(add, "add", last.output(), out.type());
                    if (bias != null && isColumnVector(bias, out.type())) {
                        inputs.add(bias);
                        absorbed.add(add);
                        last = add;
                    }
                    // Exact GELU (an FFN's activation): applied per panel on the thread that computed it,
                    // so it is split between threads with the GEMM instead of running alone.
                    Node gelu = onlyReader(last.output(), readers, graphOutputs);
                    if (gelu != null
                            && gelu.op().equals("gelu")
                            && gelu.strAttr("approximate").equals("none")
                            && gelu.output().dtype() == DType.F32
                            && gelu.output().type().dims().equals(out.type().dims())) {
                        absorbed.add(gelu);
                        last = gelu;
                        Map<String, fsc.ir.Attr> withGelu = new java.util.TreeMap<>(attrs);
                        withGelu.put("gelu", new fsc.ir.Attr.Int(1));
                        attrs = withGelu;
                        gelus++;
                    }
                    epilogues++;
                }
            }
            absorbed.add(n);
            absorbed.add(last);
            insertBefore.put(last, new Node("matmul_int8", n.name(), inputs, List.of(last.output()), attrs));
            matmuls++;
        }
        if (insertBefore.isEmpty()) {
            return g;
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            Node r = insertBefore.get(n);
            if (r != null) {
                nodes.add(r);
            }
            if (!absorbed.contains(n)) {
                nodes.add(n);
            }
        }
        // The centring casts and subs, read only by the matmuls replaced, go too.
        List<Node> kept = RecognizePass.dropUnread(nodes, g.outputs());
        ctx.note(String.format(
                Locale.ROOT,
                "%d dynamic_quantize; lowered %d integer matmuls onto matmul_int8 (%d with the rescale fused,"
                        + " %d with per-row scales, %d with GELU), %d s8 weights in panel%d",
                quantizers,
                matmuls,
                epilogues,
                rowScaled,
                gelus,
                packed.size(),
                width));
        return rebuild(g, kept, added, zeroPoints, newWeights);
    }

    /**
     * Replaces each element-wise DynamicQuantizeLinear by one {@code dynamic_quantize}, placed where
     * the pattern's first node was (only x, defined before it, is read). The nodes that defined its
     * three outputs are absorbed; the rest of the pattern is dropped once unread.
     */
    private static int dynamicQuantizers(
            Graph g,
            Map<Value, Node> defs,
            Map<Value, List<Node>> readers,
            Set<String> names,
            Map<Node, Node> insertBefore,
            Set<Node> absorbed) {
        DynamicQuantizeRecognizer dq = new DynamicQuantizeRecognizer(new PatternGraph(g), defs);
        Map<Node, Integer> order = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            order.put(n, order.size());
        }
        int count = 0;
        for (Node n : g.nodes()) {
            DynamicQuantizeRecognizer.Match m = dq.match(n);
            if (m == null || absorbed.contains(n)) {
                continue;
            }
            Node zpCast = null;
            for (Node r : readers.getOrDefault(m.zeroPoint(), List.of())) {
                if (r.op().equals("cast") && !r.isFused() && r.output().dtype() == DType.U8) {
                    zpCast = r;
                    break;
                }
            }
            Value zp = zpCast != null
                    ? zpCast.output()
                    : new Value(UniqueNames.unique(names, n.output().name() + "_zero_point"), TensorType.of(DType.U8));
            Node first = m.nodes().stream()
                    .min(java.util.Comparator.comparing(order::get))
                    .orElseThrow();
            insertBefore.put(
                    first,
                    new Node(
                            "dynamic_quantize",
                            n.name(),
                            List.of(m.x()),
                            List.of(n.output(), m.scale(), zp),
                            Map.of()));
            absorbed.add(n);
            absorbed.add(defs.get(m.scale()));
            if (zpCast != null) {
                absorbed.add(zpCast);
            }
            count++;
        }
        return count;
    }

    /**
     * {@code (q, zp)} when {@code v} is {@code sub(cast(q) to i32, cast(zp) to i32)} with q u8 or i8
     * and zp one element of q's type. A zero point that fold turned into an i32 constant, or none
     * at all ({@code v = cast(q)}), becomes a new one-element constant of q's type, added to {@code
     * zeroPoints}. Null when v is anything else.
     */
    private static Value[] activation(
            Value v,
            Map<Value, Node> defs,
            Map<Value, Constant> constants,
            Weights weights,
            Set<String> names,
            List<Constant> zeroPoints,
            TreeMap<String, WeightData> newWeights) {
        Node def = defs.get(v);
        if (def == null || def.isFused()) {
            return null;
        }
        Value q;
        Value zp;
        if (def.op().equals("cast")) {
            q = castSource(v, defs);
            zp = null;
        } else if (def.op().equals("sub")) {
            q = castSource(def.input(0), defs);
            zp = castSource(def.input(1), defs);
            if (zp == null) {
                Long c = integerScalar(def.input(1), constants, weights);
                if (c == null || q == null) {
                    return null;
                }
                zp = zeroPointConstant(q, c, names, zeroPoints, newWeights);
            }
        } else {
            return null;
        }
        if (q == null || (q.dtype() != DType.U8 && q.dtype() != DType.I8)) {
            return null;
        }
        if (zp == null) {
            zp = zeroPointConstant(q, 0, names, zeroPoints, newWeights);
        }
        if (zp == null
                || zp.dtype() != q.dtype()
                || !zp.type().elementCount().equals(Dim.of(1))
                || q.type().rank() < 2
                || !q.type().dims().equals(v.type().dims())) {
            return null;
        }
        return new Value[] {q, zp};
    }

    /** The value of a one-element i32 or i64 constant, else null. */
    private static Long integerScalar(Value v, Map<Value, Constant> constants, Weights weights) {
        Constant c = constants.get(v);
        if (c == null || !v.type().elementCount().equals(Dim.of(1))) {
            return null;
        }
        ByteBuffer b = weights.get(c.weight()).view();
        return switch (v.dtype()) {
            case I32 -> (long) b.getInt(0);
            case I64 -> b.getLong(0);
            default -> null;
        };
    }

    /** A one-element constant of q's type holding {@code value}, or null when it does not fit that type. */
    private static Value zeroPointConstant(
            Value q, long value, Set<String> names, List<Constant> zeroPoints, TreeMap<String, WeightData> newWeights) {
        boolean unsigned = q.dtype() == DType.U8;
        if (value < (unsigned ? 0 : -128) || value > (unsigned ? 255 : 127)) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(1).order(ByteOrder.LITTLE_ENDIAN).put(0, (byte) value);
        WeightData w = new WeightData(q.dtype(), List.of(), b);
        String name = UniqueNames.unique(names, q.name() + "_zero_point");
        String weight = UniqueNames.unique(names, name);
        newWeights.put(weight, w);
        Value v = new Value(name, TensorType.of(q.dtype()));
        zeroPoints.add(new Constant(v, weight));
        return v;
    }

    private static Value castSource(Value v, Map<Value, Node> defs) {
        Node c = defs.get(v);
        return c != null && c.op().equals("cast") && !c.isFused() && v.dtype() == DType.I32 ? c.input(0) : null;
    }

    private static boolean isMatrix(Value w) {
        return w.dtype() == DType.I32
                && w.type().rank() == 2
                && w.type().isStatic()
                && w.type().isRowMajor();
    }

    /**
     * The i32 weight as {s8 [K,N] in panels, i32 offsets [N]} with {@code w = s8 - offset} per
     * column, or null when a column spans more than 256 values.
     */
    static WeightData[] toS8(WeightData w, int width) {
        int k = Math.toIntExact(w.dims().get(0));
        int n = Math.toIntExact(w.dims().get(1));
        ByteBuffer src = w.view();
        int[] min = new int[n];
        int[] max = new int[n];
        java.util.Arrays.fill(min, Integer.MAX_VALUE);
        java.util.Arrays.fill(max, Integer.MIN_VALUE);
        for (int i = 0; i < k * n; i++) {
            int v = src.getInt(i * Integer.BYTES);
            min[i % n] = Math.min(min[i % n], v);
            max[i % n] = Math.max(max[i % n], v);
        }
        ByteBuffer offsets = ByteBuffer.allocate(n * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int[] off = new int[n];
        for (int j = 0; j < n; j++) {
            if (k > 0 && (long) max[j] - min[j] > 255) {
                return null;
            }
            off[j] = k == 0 || (min[j] >= -128 && max[j] <= 127) ? 0 : -128 - min[j];
            offsets.putInt(j * Integer.BYTES, off[j]);
        }
        ByteBuffer s8 = ByteBuffer.allocate(k * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < k * n; i++) {
            s8.put(i, (byte) (src.getInt(i * Integer.BYTES) + off[i % n]));
        }
        WeightData rowMajor = new WeightData(DType.I8, List.of((long) k, (long) n), s8);
        return new WeightData[] {
            PanelLayout.pack(rowMajor, false, width), new WeightData(DType.I32, List.of((long) n), offsets)
        };
    }

    private static Node onlyReader(Value v, Map<Value, List<Node>> readers, Set<Value> graphOutputs) {
        List<Node> r = readers.getOrDefault(v, List.of());
        return r.size() == 1 && !graphOutputs.contains(v) && !r.getFirst().isFused() ? r.getFirst() : null;
    }

    /** The operand of binary {@code n} (op {@code op}) beside {@code x}, when the result keeps {@code x}'s shape. */
    private static Value other(Node n, String op, Value x, TensorType shape) {
        if (!n.op().equals(op)
                || n.inputs().size() != 2
                || !n.output().type().dims().equals(shape.dims())) {
            return null;
        }
        Value o = n.input(0) == x ? n.input(1) : n.input(1) == x ? n.input(0) : null;
        return o != null && o != x && o.dtype() == DType.F32 ? o : null;
    }

    /**
     * {@code (a_scale, b_scale)} when the epilogue's scale is {@code mul} of a one-element f32 (the
     * activations' dynamic scale) and a one-element or column-vector f32 (the weights'); else null.
     * The kernel then forms the product itself, and the {@code mul}, a per-call loop over N columns
     * that runs once per call and so reaches C2 late (its Vector API code allocates until then), goes
     * once nothing else reads it.
     */
    private static Value[] scaleFactors(Value scale, Map<Value, Node> defs, TensorType out) {
        Node mul = defs.get(scale);
        if (mul == null
                || mul.isFused()
                || !mul.op().equals("mul")
                || mul.inputs().size() != 2
                || mul.input(0).dtype() != DType.F32
                || mul.input(1).dtype() != DType.F32) {
            return null;
        }
        for (int i = 0; i < 2; i++) {
            Value a = mul.input(i);
            Value b = mul.input(1 - i);
            if (isOne(a) && (isOne(b) || isColumnVector(b, out))) {
                return new Value[] {a, b};
            }
        }
        return null;
    }

    private static boolean isOne(Value v) {
        return v.type().isStatic() && v.type().elementCount().equals(Dim.of(1));
    }

    /** {@code f32[..., M, 1]}: one value per output row (the output's dims with the last one 1). */
    private static boolean isRowVector(Value v, TensorType out) {
        List<Dim> want = new ArrayList<>(out.dims());
        want.set(want.size() - 1, Dim.of(1));
        return v.type().dims().equals(want) && v.type().isRowMajor();
    }

    /** {@code f32[N]}: one value per output column, broadcast over the rows. */
    private static boolean isColumnVector(Value v, TensorType out) {
        return v.type().rank() == 1
                && v.type().dim(0).equals(out.dim(out.rank() - 1))
                && v.type().isRowMajor();
    }

    /** The graph with the new constants after their sources, and replaced i32 weights no node reads dropped. */
    private static Graph rebuild(
            Graph g,
            List<Node> nodes,
            Map<Value, List<Constant>> added,
            List<Constant> zeroPoints,
            TreeMap<String, WeightData> newWeights) {
        Set<Value> read = Substitution.identitySet(g.outputs());
        nodes.forEach(n -> read.addAll(n.inputs()));
        List<Constant> constants = new ArrayList<>();
        Set<String> kept = new HashSet<>();
        Set<String> dropped = new HashSet<>();
        for (Constant c : g.constants()) {
            if (read.contains(c.value()) || !added.containsKey(c.value())) {
                constants.add(c);
                kept.add(c.weight());
            } else {
                dropped.add(c.weight());
            }
            constants.addAll(added.getOrDefault(c.value(), List.of()));
        }
        // New zero points only where a kept node reads them (a match may have been abandoned later).
        for (Constant c : zeroPoints) {
            if (read.contains(c.value())) {
                constants.add(c);
            } else {
                newWeights.remove(c.weight());
            }
        }
        TreeMap<String, WeightData> weights = new TreeMap<>(g.weights().byName());
        dropped.removeAll(kept);
        weights.keySet().removeAll(dropped);
        weights.putAll(newWeights);
        return g.withBody(constants, nodes, g.outputs(), new Weights(weights));
    }
}
