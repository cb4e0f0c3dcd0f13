package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.NodeProto;
import fsc.ir.Attr;
import fsc.ir.FscException;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.ops.Ops;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One ONNX node being converted: its operands as IR values, its attributes, its opset, and the
 * means to emit IR nodes. Every IR node emitted for it carries the ONNX node's name, and every
 * diagnostic names it as {@code model.onnx: node 'name' (OpType)}.
 */
final class NodeContext {
    final NodeProto node;
    /** {@code node 'name' (OpType)}. */
    final String label;
    /** {@code model.onnx: node 'name' (OpType)}. */
    final String where;

    final long opset;
    final OnnxAttributes attrs;
    private final ImportScope scope;
    private final Value[] defined;

    NodeContext(ImportScope scope, NodeProto node, String label, long opset) {
        this.scope = scope;
        this.node = node;
        this.label = label;
        this.where = scope.file + ": " + label;
        this.opset = opset;
        this.attrs = new OnnxAttributes(node, where);
        this.defined = new Value[node.getOutputCount()];
    }

    /** True when ONNX input {@code i} is given (optional inputs may be absent or named {@code ""}). */
    boolean hasInput(int i) {
        return i < node.getInputCount() && !node.getInput(i).isEmpty();
    }

    /** Required input {@code i}. */
    Value input(int i) {
        if (!hasInput(i)) {
            throw fail("needs input " + i);
        }
        return scope.lookup(node.getInput(i), where);
    }

    Optional<Value> optionalInput(int i) {
        return hasInput(i) ? Optional.of(input(i)) : Optional.empty();
    }

    /** Every input, for variadic ops; none may be omitted. */
    List<Value> inputs() {
        List<Value> in = new ArrayList<>();
        for (int i = 0; i < node.getInputCount(); i++) {
            in.add(input(i));
        }
        return in;
    }

    /** The ONNX name of output {@code k}; a node that names fewer outputs is a malformed model. */
    String outputName(int k) {
        if (k >= node.getOutputCount()) {
            throw fail("needs output " + k + ", the node names " + node.getOutputCount());
        }
        return node.getOutput(k);
    }

    /** An IR node of {@code op} whose single output is named {@code valueName}; its type comes from the op's shape rule. */
    Value emit(String op, List<Value> operands, Map<String, Attr> irAttrs, String valueName) {
        TreeMap<String, Attr> sorted = new TreeMap<>(irAttrs);
        List<TensorType> types = Ops.infer(op, where, operands, sorted, scope.builder.known());
        if (types.size() != 1) {
            throw new IllegalStateException(
                    op + " has " + types.size() + " outputs; the ONNX importer emits single-output ops only");
        }
        Value out = new Value(valueName, types.getFirst());
        Node n = new Node(op, node.getName(), operands, List.of(out), sorted);
        Optional<List<WeightData>> folded = ImportFolding.evaluate(scope, n);
        if (folded.isPresent()) {
            return specialisedConstant(valueName, folded.get().getFirst());
        }
        scope.builder.add(n);
        return out;
    }

    /**
     * A multi-output IR node (e.g. {@code split}) producing ONNX outputs {@code 0..n-1}; its output
     * types come from the op's shape rule.
     */
    void produceAll(String op, List<Value> operands, Map<String, Attr> irAttrs) {
        TreeMap<String, Attr> sorted = new TreeMap<>(irAttrs);
        List<TensorType> types = Ops.infer(op, where, operands, sorted, scope.builder.known());
        if (types.size() != node.getOutputCount()) {
            throw fail(op + " gives " + types.size() + " outputs, the node names " + node.getOutputCount());
        }
        List<Value> outs = new ArrayList<>();
        for (int k = 0; k < types.size(); k++) {
            String name = outputName(k).isEmpty() ? temp("unused" + k) : outputName(k);
            outs.add(new Value(name, types.get(k)));
        }
        Node n = new Node(op, node.getName(), operands, outs, sorted);
        Optional<List<WeightData>> folded = ImportFolding.evaluate(scope, n);
        if (folded.isPresent()) {
            for (int k = 0; k < outs.size(); k++) {
                define(k, specialisedConstant(outs.get(k).name(), folded.get().get(k)));
            }
            return;
        }
        scope.builder.add(n);
        for (int k = 0; k < outs.size(); k++) {
            define(k, outs.get(k));
        }
    }

    /** A value computed at import from a bound input: a constant that later nodes can fold further. */
    private Value specialisedConstant(String name, WeightData data) {
        Value c = scope.constant(name, data);
        scope.markSpecialised(c);
        return c;
    }

    /** Emits {@code op} as the producer of ONNX output 0. */
    void produce(String op, List<Value> operands, Map<String, Attr> irAttrs) {
        define(0, emit(op, operands, irAttrs, outputName(0)));
    }

    /** A name for an intermediate value of this node's expansion: {@code <output0>/<suffix>}. */
    String temp(String suffix) {
        return outputName(0) + "/" + suffix;
    }

    void define(int k, Value v) {
        if (defined[k] != null) {
            throw new IllegalStateException(where + ": output " + k + " defined twice");
        }
        defined[k] = v;
    }

    /** A constant that this node's expansion needs, e.g. default slice axes. */
    Value constant(String suffix, WeightData data) {
        return scope.constant(temp(suffix), data);
    }

    /** A constant named exactly {@code name}: the value of an ONNX output, e.g. a Constant node's. */
    Value constantNamed(String name, WeightData data) {
        return scope.constant(name, data);
    }

    /** Folder that external data of tensor attributes is relative to. */
    Path baseDir() {
        return scope.baseDir;
    }

    /** The integer contents of {@code v} when import knows them: constants and evaluated shape arithmetic. */
    Optional<List<fsc.ir.Dim>> knownInts(Value v) {
        return scope.builder.known().get(v);
    }

    Optional<WeightData> constantData(Value v) {
        return scope.constantData(v);
    }

    /**
     * The contents of {@code v} for a converter that needs them: a constant's, or those of a chain
     * computed from constants alone ({@link ImportFolding#demand}).
     */
    Optional<WeightData> requiredData(Value v) {
        return ImportFolding.demand(scope, v);
    }

    /** Registers the outputs the converter defined; the others are marked as not produced. */
    void finish() {
        for (int k = 0; k < defined.length; k++) {
            String name = node.getOutput(k);
            if (name.isEmpty()) {
                continue;
            }
            if (defined[k] != null) {
                scope.define(name, defined[k]);
            } else {
                scope.notProduced(name, "output " + k + " of " + label + ", which fsc does not compute");
            }
        }
    }

    FscException fail(String message) {
        return new FscException(where + ": " + message);
    }

    String file() {
        return scope.file;
    }

    /** The scope this node converts in (control flow imports its subgraphs in child scopes). */
    ImportScope scope() {
        return scope;
    }
}
