package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.GraphProto;
import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.frontend.onnx.proto.Onnx.TypeProto;
import fsc.frontend.onnx.proto.Onnx.ValueInfoProto;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.GraphBuilder;
import fsc.ir.Node;
import fsc.ir.Value;
import fsc.ir.WeightData;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Imports an ONNX model as an IR {@link Graph}.
 *
 * <p>Stages, in order: parse (mapped, zero-copy) → check that every op is supported, listing all
 * gaps at once → graph inputs (symbolic dims become symbols with bounds) and initializers (become
 * constants; bound inputs too) → sort nodes topologically → convert node by node, each IR node typed
 * by {@link fsc.ir.ops.Ops#infer} and small integer contents tracked so shape arithmetic resolves →
 * outputs, checked against their declared types. Every user error is an {@link FscException} with
 * one line naming the file and, where there is one, the node.
 */
public final class OnnxImporter {
    private OnnxImporter() {}

    public static Graph importModel(Path modelFile) {
        return importModel(modelFile, ImportOptions.defaults());
    }

    public static Graph importModel(Path modelFile, ImportOptions opts) {
        String file = modelFile.getFileName().toString();
        ProtoFiles.Parsed<ModelProto> parsed = ProtoFiles.parse(modelFile, ModelProto.parser(), "model");
        ModelProto model = parsed.message();
        checkModel(model, file);
        Opsets opsets = Opsets.of(model, file);
        GraphProto g = model.getGraph();
        List<NodeProto> nodes = NodeOrder.withoutShadowedConstants(g.getNodeList());
        OnnxOps.checkSupported(nodes, opsets, file, i -> shortLabel(nodes.get(i), i));
        if (g.getSparseInitializerCount() > 0) {
            throw new FscException(file + ": sparse initializers are not supported ('"
                    + g.getSparseInitializer(0).getValues().getName() + "')");
        }

        GraphBuilder b = new GraphBuilder(graphName(g, file));
        Path dir = modelFile.toAbsolutePath().getParent();
        Map<String, ValueInfoProto> declared = new java.util.HashMap<>();
        g.getValueInfoList().forEach(v -> declared.putIfAbsent(v.getName(), v));
        g.getOutputList().forEach(v -> declared.put(v.getName(), v));
        ImportScope scope = new ImportScope(file, dir, b, opsets, declared);
        Symbols symbols = new Symbols(opts);
        fixAxes(g, opts, symbols);
        Set<String> available = defineInputs(g, opts, scope, symbols);
        symbols.checkOptions(file);
        symbols.bounds().forEach(b::symbol);

        List<Integer> order = NodeOrder.sort(nodes, available, file, i -> label(nodes.get(i), i));
        for (int i : order) {
            NodeProto n = nodes.get(i);
            NodeContext ctx = new NodeContext(scope, n, label(n, i), opsets.version(n.getDomain()));
            var converter = OnnxOps.find(n.getDomain(), n.getOpType(), ctx.opset)
                    .orElseThrow(() -> new IllegalStateException("op " + n.getOpType() + " passed the support check"))
                    .converter();
            try {
                converter.convert(ctx);
            } catch (FscException e) {
                throw RuntimeSources.explain(scope, e);
            }
            ctx.finish();
        }

        for (ValueInfoProto out : g.getOutputList()) {
            b.output(output(out, scope));
        }
        metadata(b, model, opsets, file, parsed.sha256());
        return b.build();
    }

    /** The dim_params of the options' fixed axes become numbers; an axis that is a number or a sum stays. */
    private static void fixAxes(GraphProto g, ImportOptions opts, Symbols symbols) {
        for (ImportOptions.FixedAxis f : opts.fixedAxes()) {
            for (ValueInfoProto in : g.getInputList()) {
                if (!in.getName().equals(f.input())
                        || !in.getType().getTensorType().hasShape()) {
                    continue;
                }
                var dims = in.getType().getTensorType().getShape().getDimList();
                if (f.axis() < dims.size()) {
                    String param = dims.get(f.axis()).getDimParam();
                    if (!param.isEmpty() && !Symbols.isSum(param)) {
                        symbols.fix(param, f.value());
                    }
                }
            }
        }
    }

    private static void checkModel(ModelProto model, String file) {
        if (model.getIrVersion() <= 0) {
            throw new FscException(file + ": not a valid ONNX model: ir_version is missing");
        }
        if (!model.hasGraph()) {
            throw new FscException(file + ": not a valid ONNX model: it has no graph");
        }
    }

    /**
     * Defines graph inputs and initializers; returns every name they define. An input that is also
     * an initializer is a constant (IR version < 4 lists every weight as an input); a bound input is
     * a constant holding the bound data.
     */
    private static Set<String> defineInputs(GraphProto g, ImportOptions opts, ImportScope scope, Symbols symbols) {
        String file = scope.file;
        Map<String, TensorProto> inits = new LinkedHashMap<>();
        for (TensorProto t : g.getInitializerList()) {
            if (inits.put(t.getName(), t) != null) {
                throw new FscException(file + ": initializer '" + t.getName() + "' is defined twice");
            }
        }
        Set<String> names = new HashSet<>(inits.keySet());
        Set<String> inputNames = new HashSet<>();
        for (ValueInfoProto in : g.getInputList()) {
            String name = in.getName();
            if (!inputNames.add(name)) {
                throw new FscException(file + ": graph input '" + name + "' is declared twice");
            }
            names.add(name);
            WeightData bound =
                    opts.bindings().getOrDefault(name, opts.optionalBindings().get(name));
            if (bound != null) {
                checkBinding(in, bound, file);
                Value c = scope.constant(name, bound);
                scope.markSpecialised(c);
                scope.define(name, c);
            } else if (!inits.containsKey(name)) {
                List<Long> fixed = opts.shapes().get(name);
                scope.define(
                        name,
                        scope.builder.input(
                                name,
                                fixed != null ? InputTypes.fixed(in, fixed, file) : InputTypes.of(in, symbols, file)));
            }
        }
        for (String name : opts.shapes().keySet()) {
            if (!inputNames.contains(name) || inits.containsKey(name)) {
                throw new FscException(file + ": --shape " + name + ": the model has no input named '" + name + "'");
            }
        }
        for (String name : opts.bindings().keySet()) {
            if (!inputNames.contains(name)) {
                List<String> real = g.getInputList().stream()
                        .map(ValueInfoProto::getName)
                        .filter(n -> !inits.containsKey(n))
                        .toList();
                throw new FscException(file + ": --bind " + name + ": the model has no input named '" + name
                        + "' (inputs: " + String.join(", ", real) + ")");
            }
        }
        for (TensorProto t : inits.values()) {
            if (!scope.isDefined(t.getName())) {
                String where = file + ": initializer '" + t.getName() + "'";
                scope.define(t.getName(), scope.constant(t.getName(), TensorData.toWeight(t, scope.baseDir, where)));
            }
        }
        return names;
    }

    private static void checkBinding(ValueInfoProto in, WeightData bound, String file) {
        String where = file + ": --bind " + in.getName();
        TypeProto type = in.getType();
        if (!type.hasTensorType()) {
            throw new FscException(where + ": the input is not a tensor");
        }
        TypeProto.Tensor t = type.getTensorType();
        if (t.getElemType() != 0 && OnnxDTypes.toIr(t.getElemType()).orElse(null) != bound.dtype()) {
            throw new FscException(where + ": the input is " + OnnxDTypes.name(t.getElemType()) + ", the bound data is "
                    + bound.type());
        }
        if (t.hasShape() && !InputTypes.fits(t.getShape(), bound.dims())) {
            throw new FscException(where + ": the input's shape is " + InputTypes.show(t.getShape())
                    + ", the bound data is " + bound.type());
        }
    }

    /** A graph output, named as declared and checked against its declared type where that is static. */
    private static Value output(ValueInfoProto out, ImportScope scope) {
        String name = out.getName();
        String where = scope.file + ": graph output '" + name + "'";
        if (!scope.isDefined(name) && !scope.isNotProduced(name)) {
            throw new FscException(where + " is not a graph input, an initializer or any node's output");
        }
        Value v = scope.lookup(name, where);
        InputTypes.checkDeclared(out, v.type(), where);
        if (v.name().equals(name)) {
            return v;
        }
        // The value carries another name (an output that is directly an input, say): an identity
        // keeps the declared output name visible in the IR.
        Value renamed = new Value(name, v.type());
        scope.builder.add(
                new Node(SequenceConverters.identityOp(v.type()), "", List.of(v), List.of(renamed), Map.of()));
        return renamed;
    }

    private static void metadata(GraphBuilder b, ModelProto model, Opsets opsets, String file, String sha256) {
        b.metadata("source", file);
        b.metadata("source.sha256", sha256);
        b.metadata("onnx.ir_version", Long.toString(model.getIrVersion()));
        opsets.versions()
                .forEach((domain, v) -> b.metadata(
                        domain.equals(Opsets.DEFAULT_DOMAIN) ? "onnx.opset" : "onnx.opset." + domain,
                        Long.toString(v)));
        String producer = (model.getProducerName() + " " + model.getProducerVersion()).strip();
        if (!producer.isEmpty()) {
            b.metadata("onnx.producer", producer);
        }
    }

    private static String graphName(GraphProto g, String file) {
        String name = g.getName().isEmpty() ? file.replaceFirst("\\.onnx$", "") : g.getName();
        return Symbols.sanitize(name);
    }

    /** {@code node 'name' (OpType)}, or {@code node #i (OpType)} for an unnamed node. */
    static String label(NodeProto n, int index) {
        return (n.getName().isEmpty() ? "node #" + index : "node '" + n.getName() + "'") + " (" + n.getOpType() + ")";
    }

    private static String shortLabel(NodeProto n, int index) {
        return n.getName().isEmpty() ? "#" + index : "'" + n.getName() + "'";
    }
}
