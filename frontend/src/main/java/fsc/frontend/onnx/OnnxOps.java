package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.ir.FscException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * The ONNX operators fsc imports: one {@link Rule} per op type of the standard domain (and a few of
 * {@code ai.onnx.ml}), with the first opset whose semantics the converter implements. Older opsets of an op (e.g. Add-6 with its
 * legacy {@code broadcast} attribute) count as unsupported rather than being converted wrongly.
 */
final class OnnxOps {
    private OnnxOps() {}

    /** Converts one ONNX node into IR nodes through its context. */
    @FunctionalInterface
    interface Converter {
        void convert(NodeContext ctx);
    }

    /** How {@code opType} of {@code domain} is converted from that domain's opset {@code since} on. */
    record Rule(String domain, String opType, int since, Converter converter) {
        /** A rule for an op of the standard domain. */
        Rule(String opType, int since, Converter converter) {
            this(Opsets.DEFAULT_DOMAIN, opType, since, converter);
        }

        /** The rule's name in {@link #supported}: the op type, prefixed by its domain outside the standard one. */
        String key() {
            return OnnxOps.key(domain, opType);
        }
    }

    private static String key(String domain, String opType) {
        String d = Opsets.normalize(domain);
        return d.equals(Opsets.DEFAULT_DOMAIN) ? opType : d + ":" + opType;
    }

    private static final SortedMap<String, Rule> RULES = build();

    private static SortedMap<String, Rule> build() {
        List<Rule> rules = new ArrayList<>();
        rules.add(new Rule("Constant", 1, ConstantConverter::convert));
        ElementwiseConverters.register(rules);
        ShapeConverters.register(rules);
        MathConverters.register(rules);
        DerivedConverters.register(rules);
        ActivationConverters.register(rules);
        DecoderCnnConverters.register(rules);
        ExtentConverters.register(rules);
        ResizeConverters.register(rules);
        NormLayoutConverters.register(rules);
        AttentionConverter.register(rules);
        PadConverter.register(rules);
        RotaryConverter.register(rules);
        IndicatorConverters.register(rules);
        QuantConverters.register(rules);
        LossConverters.register(rules);
        TopKConverter.register(rules);
        CnnExtraConverters.register(rules);
        ScatterGatherConverters.register(rules);
        ConvTransposeConverter.register(rules);
        SwiGluConverter.register(rules);
        TrigConverters.register(rules);
        CompositeConverters.register(rules);
        SelectionConverters.register(rules);
        SequenceConverters.register(rules);
        EinsumConverter.register(rules);
        LinalgExtraConverters.register(rules);
        Col2ImConverter.register(rules);
        GridSampleConverter.register(rules);
        RoiAlignConverter.register(rules);
        TfIdfConverter.register(rules);
        StringConverters.register(rules);
        RecurrentConverters.register(rules);
        DftConverters.register(rules);
        BitwiseConverters.register(rules);
        UnpoolScatterConverters.register(rules);
        CausalConvConverter.register(rules);
        LinearAttentionConverter.register(rules);
        MlConverters.register(rules);
        LegacyConverters.register(rules);
        DeformConvConverter.register(rules);
        FlexAttentionConverter.register(rules);
        MelWeightMatrixConverter.register(rules);
        TrainingConverters.register(rules);
        TreeEnsembleConverter.register(rules);
        ControlFlowConverters.register(rules);
        TreeMap<String, Rule> byName = new TreeMap<>();
        for (Rule r : rules) {
            if (byName.put(r.key(), r) != null) {
                throw new IllegalStateException("ONNX op " + r.key() + " has two rules");
            }
        }
        return Collections.unmodifiableSortedMap(byName);
    }

    /** The rule for a node, when fsc supports {@code opType} of {@code domain} at {@code opset}. */
    static Optional<Rule> find(String domain, String opType, long opset) {
        Rule r = RULES.get(key(domain, opType));
        return r != null && opset >= r.since() ? Optional.of(r) : Optional.empty();
    }

    /** Every supported op type, sorted; ops outside the standard domain as {@code domain:OpType}. */
    static List<String> supported() {
        return List.copyOf(RULES.keySet());
    }

    /**
     * Fails, listing every unsupported op at once, when any node has no rule: a user learns the
     * whole gap in one run rather than one op per attempt.
     *
     * @param label names node {@code i} for the list, e.g. {@code 'conv1'}
     */
    static void checkSupported(List<NodeProto> nodes, Opsets opsets, String file, IntFunction<String> label) {
        Map<String, List<String>> missing = new LinkedHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            long opset = opsets.version(n.getDomain());
            if (find(n.getDomain(), n.getOpType(), opset).isEmpty()) {
                missing.computeIfAbsent(describe(n, opset), k -> new ArrayList<>())
                        .add(label.apply(i));
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        List<String> parts = new ArrayList<>();
        missing.forEach((op, names) -> {
            String shown = String.join(", ", names.subList(0, Math.min(3, names.size())));
            String more = names.size() > 3 ? " and " + (names.size() - 3) + " more" : "";
            parts.add(op + "; " + (names.size() == 1 ? "node " : "nodes ") + shown + more + ")");
        });
        throw new FscException(
                file + ": unsupported ONNX ops: " + String.join(", ", parts),
                "fsc imports " + RULES.size() + " ONNX ops; `fsc inspect` lists the model's ops");
    }

    /** {@code Foo (ai.onnx opset 14} — the rest of the parenthesis is added by the caller. */
    private static String describe(NodeProto n, long opset) {
        String domain = Opsets.normalize(n.getDomain());
        String version = opset == 0 ? "not imported" : "opset " + opset;
        Rule r = RULES.get(key(domain, n.getOpType()));
        String needs = r != null && opset > 0 ? ", fsc needs opset " + r.since() + "+" : "";
        return n.getOpType() + " (" + domain + " " + version + needs;
    }
}
