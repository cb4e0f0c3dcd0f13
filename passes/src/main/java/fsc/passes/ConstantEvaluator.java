package fsc.passes;

import fsc.ir.Constant;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Computes nodes whose operands are all constants with the reference interpreter, so folding has
 * exactly the semantics every backend is tested against. The node runs alone in a one-node graph
 * whose constants are its operands.
 *
 * <p>Only small, plain tensors qualify: every operand and result at most {@code maxElements}
 * elements (folding {@code transpose(W)} of a large weight would copy it into the jar a second time,
 * and the interpreter works on heap copies), static shapes, no packed quantized types (the
 * interpreter does not hold them) and deterministic ops the interpreter lists in {@link Interpreter#supportedOps()}.
 */
final class ConstantEvaluator {
    /** Ops the interpreter declares it can run; others are left alone, not attempted. */
    private static final Set<String> INTERPRETED = Set.copyOf(Interpreter.supportedOps());

    private final long maxElements;

    ConstantEvaluator(long maxElements) {
        this.maxElements = maxElements;
    }

    boolean canEvaluate(Node n, FoldState s) {
        // Region nodes are left to run: a loop's trip count may be unbounded at compile time.
        if (!OpTraits.isDeterministic(n.op()) || !INTERPRETED.contains(n.op()) || n.hasRegions()) {
            return false;
        }
        // A sequence or optional is no weight: only tensors become constants.
        if (n.outputs().stream().anyMatch(v -> !v.type().isTensor())) {
            return false;
        }
        for (Value v : n.inputs()) {
            if (!s.isConstant(v) || !small(v.type())) {
                return false;
            }
        }
        return n.outputs().stream().allMatch(v -> small(v.type()));
    }

    private boolean small(TensorType t) {
        return t.isStatic() && !t.dtype().isQuantizedBlock() && t.elementCount().value() <= maxElements;
    }

    /** The node's outputs, in order; call only when {@link #canEvaluate} holds. */
    List<WeightData> evaluate(Node n, FoldState s) {
        List<Constant> constants = new ArrayList<>();
        TreeMap<String, WeightData> weights = new TreeMap<>();
        for (Value v : n.inputs()) {
            // An operand may appear twice (mul(%c, %c)); it is defined once.
            if (constants.stream().noneMatch(c -> c.value() == v)) {
                String weight = "operand" + constants.size();
                constants.add(new Constant(v, weight));
                weights.put(weight, s.constantData(v));
            }
        }
        Graph single = new Graph(
                "fold",
                List.of(),
                n.outputs(),
                constants,
                List.of(n),
                new TreeMap<>(),
                new Weights(weights),
                new TreeMap<>());
        Map<String, HostTensor> results = new Interpreter(single).run(Map.of());
        List<WeightData> out = new ArrayList<>();
        for (Value v : n.outputs()) {
            HostTensor t = results.get(v.name());
            if (t == null) {
                throw new IllegalStateException("interpreter returned no value for " + v + " of " + n.where());
            }
            out.add(t.toWeight());
        }
        return out;
    }
}
