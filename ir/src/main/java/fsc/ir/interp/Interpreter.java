package fsc.ir.interp;

import fsc.ir.Constant;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.PanelLayout;
import fsc.ir.Value;
import fsc.ir.ops.ExtentOps;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;

/**
 * Executes a graph naively: one node at a time, in double (long for integers), rounding on store to
 * each value's element type. It is the oracle for pass and backend tests, so it favours being
 * obviously right over being fast. Every produced tensor is checked against its value's type under
 * the symbol binding, so a wrong type in the IR shows up here too.
 */
public final class Interpreter {
    private final Graph graph;

    public Interpreter(Graph graph) {
        this.graph = graph;
    }

    /**
     * Runs the graph on inputs named by their values' names; returns the outputs in graph order,
     * keyed by output value name.
     */
    public Map<String, HostTensor> run(Map<String, HostTensor> inputsByName) {
        return run(inputsByName, Map.of());
    }

    /**
     * As {@link #run(Map)}, with symbols the inputs do not determine given their values (a graph
     * whose sizes come from {@code dim_values} alone); the inputs must agree with them.
     */
    public Map<String, HostTensor> run(Map<String, HostTensor> inputsByName, Map<String, Long> symbols) {
        Map<Value, HostTensor> env = runAll(inputsByName, symbols);
        Map<String, HostTensor> outputs = new LinkedHashMap<>();
        for (Value v : graph.outputs()) {
            outputs.put(v.name(), env.get(v));
        }
        return outputs;
    }

    /**
     * Runs the graph and returns every value's tensor (inputs, constants, node outputs) in
     * definition order, e.g. to find the first node where a pass changed the result.
     */
    public Map<Value, HostTensor> runAll(Map<String, HostTensor> inputsByName) {
        return runAll(inputsByName, Map.of());
    }

    private Map<Value, HostTensor> runAll(Map<String, HostTensor> inputsByName, Map<String, Long> symbols) {
        Map<Value, HostTensor> env = new LinkedHashMap<>();
        TreeSet<String> unused = new TreeSet<>(inputsByName.keySet());
        for (Value v : graph.inputs()) {
            HostTensor t = inputsByName.get(v.name());
            if (t == null) {
                throw new FscException("input '" + v.name() + "' (" + v.type() + ") is missing");
            }
            if (t.dtype() != v.dtype()
                    || t.rank() != v.type().rank()
                    || (t.held() == null ? fsc.ir.Container.TENSOR : t.held().kind())
                            != v.type().container()) {
                throw new FscException("input '" + v.name() + "' is " + describe(t) + ", expected " + v.type());
            }
            unused.remove(v.name());
            env.put(v, t);
        }
        if (!unused.isEmpty()) {
            throw new FscException("unknown inputs " + unused + "; the graph takes "
                    + graph.inputs().stream().map(Value::name).toList());
        }
        SortedMap<String, Long> binding = SymbolBinder.bind(graph.inputs(), env, graph.symbols(), symbols);
        for (Constant c : graph.constants()) {
            if (c.value().dtype().isQuantizedBlock()) {
                throw new FscException("constant %" + c.value().name() + " is "
                        + c.value().type() + ": the reference interpreter does not execute packed quantized weights");
            }
            // A {panelW} GEMM weight is unpacked: kernels read every constant row-major.
            env.put(
                    c.value(),
                    HostTensor.fromWeight(PanelLayout.rowMajor(
                            graph.weights().get(c.weight()), c.value().type())));
        }
        execute(graph.nodes(), env, binding);
        return env;
    }

    /** Runs {@code nodes} in order, reading operands from and storing results into {@code env}. */
    private static void execute(List<Node> nodes, Map<Value, HostTensor> env, SortedMap<String, Long> binding) {
        for (Node n : nodes) {
            List<HostTensor> in = n.inputs().stream()
                    .map(v -> {
                        HostTensor t = env.get(v);
                        if (t == null) {
                            throw new IllegalStateException(n.where() + ": input %" + v.name() + " has no value yet");
                        }
                        return t;
                    })
                    .toList();
            // An extent symbol is set by its node (an extent op's, or a string op's): unknown (-1) until
            // the kernel has run.
            String extent = ExtentOps.extentOf(n);
            if (extent != null) {
                binding.remove(extent);
            }
            List<long[]> outShapes =
                    n.outputs().stream().map(v -> evaluate(v, binding)).toList();
            List<HostTensor> results = n.isFused()
                    ? runBody(n, in, binding)
                    : n.hasRegions()
                            ? RegionRunner.run(n, in, binding, Interpreter::execute)
                            : fsc.ir.ops.Ops.takesContainers(n.op())
                                    ? List.of(SequenceKernels.run(new Call(n, in, outShapes, binding)))
                                    : Kernels.run(new Call(n, in, outShapes, binding));
            for (int i = 0; i < n.outputs().size(); i++) {
                Value out = n.outputs().get(i);
                HostTensor result = results.get(i);
                bindExtents(out, result, outShapes.get(i), binding);
                fsc.ir.Container kind = result.held() == null
                        ? fsc.ir.Container.TENSOR
                        : result.held().kind();
                if (result.dtype() != out.dtype()
                        || !Arrays.equals(result.shape(), outShapes.get(i))
                        || kind != out.type().container()) {
                    throw new IllegalStateException(n.where() + ": kernel produced " + describe(result) + ", expected "
                            + out.type() + " = " + Arrays.toString(outShapes.get(i)));
                }
                env.put(out, result);
            }
        }
    }

    /**
     * Binds the symbols of {@code out}'s dims that were unknown before the node ran (-1 in {@code shape})
     * from the kernel's result, and fills them into {@code shape} for the check that follows. A symbol
     * an earlier output of the same node already bound keeps that value, so the check also holds the
     * outputs to one extent (Unique's four results, NonZero's rows).
     */
    private static void bindExtents(Value out, HostTensor result, long[] shape, SortedMap<String, Long> binding) {
        long[] got = result.shape();
        for (int d = 0; d < shape.length && d < got.length; d++) {
            if (shape[d] >= 0) {
                continue;
            }
            fsc.ir.Dim dim = out.type().dim(d);
            String symbol = dim.asSymbol()
                    .orElseThrow(() -> new IllegalStateException("dimension " + dim + " of %" + out.name()
                            + " is unknown before its node runs but is not a lone symbol"));
            Long known = binding.get(symbol);
            if (known == null) {
                known = got[d];
                binding.put(symbol, known);
            }
            shape[d] = known;
        }
    }

    /** {@code v}'s shape under {@code binding}, -1 for a dimension naming an unbound symbol. */
    private static long[] evaluate(Value v, Map<String, Long> binding) {
        return v.type().dims().stream()
                .mapToLong(d -> binding.keySet().containsAll(d.symbols()) ? d.evaluate(binding) : -1)
                .toArray();
    }

    /** A fused node's outputs: its body run on the node's operands as the body's parameters. */
    private static List<HostTensor> runBody(Node n, List<HostTensor> in, SortedMap<String, Long> binding) {
        Map<Value, HostTensor> env = new LinkedHashMap<>();
        for (int i = 0; i < in.size(); i++) {
            env.put(n.body().params().get(i), in.get(i));
        }
        execute(n.body().nodes(), env, binding);
        return n.body().results().stream().map(env::get).toList();
    }

    /** {@code f32[2,3]}, or a container's kind and contents. */
    private static String describe(HostTensor t) {
        String tensor = t.dtype().irName() + Arrays.toString(t.shape());
        return t.held() == null
                ? tensor
                : t.held().kind() + " of " + t.held().elements().size() + " " + tensor;
    }

    /** Every op the interpreter can execute, sorted. */
    public static List<String> supportedOps() {
        java.util.TreeSet<String> ops = new java.util.TreeSet<>(Kernels.supported());
        ops.addAll(fsc.ir.ops.Ops.all().stream()
                .map(fsc.ir.ops.OpDef::name)
                .filter(fsc.ir.ops.Ops::takesContainers)
                .toList());
        ops.addAll(List.of(fsc.ir.ControlFlow.IF, fsc.ir.ControlFlow.LOOP, fsc.ir.ControlFlow.SCAN));
        return List.copyOf(ops);
    }
}
