package fsc.frontend.onnx;

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
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Evaluates, at import, nodes computed from a bound input's value, so a shape that depends on a
 * specialised input (a window length, a crop size, an affine grid's {@code size}, a float Range's
 * limit) is known to the converters and shape rules that follow. Without it, binding {@code x} left
 * {@code Cast(x)} or {@code (limit - start) / delta} unknown and the bind was useless.
 *
 * <p>Only nodes with at least one specialised operand and only constant operands are evaluated: models
 * without bindings import exactly as before, and the {@code fold} pass stays the one place that folds
 * initializer arithmetic. The node runs alone in the reference interpreter (as {@code fold}'s
 * {@code ConstantEvaluator} does), so the value has the semantics every backend is tested against.
 */
final class ImportFolding {
    /** Results larger than this stay nodes: specialising must not copy big tensors into the jar. */
    private static final long MAX_ELEMENTS = 1 << 16;

    private static final Set<String> INTERPRETED = Set.copyOf(Interpreter.supportedOps());

    /**
     * Ops whose result is not a function of their operands (as {@code fsc.passes.OpTraits} lists them):
     * never evaluated at compile time.
     */
    private static final Set<String> NONDETERMINISTIC =
            Set.of("bernoulli", "dropout", "multinomial", "random_normal", "random_uniform");

    private ImportFolding() {}

    /** The outputs' contents when {@code n} can be evaluated now, else empty. */
    static Optional<List<WeightData>> evaluate(ImportScope scope, Node n) {
        if (n.hasRegions()
                || n.isFused()
                || NONDETERMINISTIC.contains(n.op())
                || !INTERPRETED.contains(n.op())
                || n.inputs().isEmpty()
                || n.inputs().stream().noneMatch(scope::isSpecialised)) {
            return Optional.empty();
        }
        List<Constant> constants = new ArrayList<>();
        TreeMap<String, WeightData> weights = new TreeMap<>();
        for (Value v : n.inputs()) {
            Optional<WeightData> data = scope.constantData(v);
            if (data.isEmpty() || !small(v.type())) {
                return Optional.empty();
            }
            if (constants.stream().noneMatch(c -> c.value() == v)) {
                String weight = "operand" + constants.size();
                constants.add(new Constant(v, weight));
                weights.put(weight, data.get());
            }
        }
        if (!n.outputs().stream().allMatch(v -> small(v.type()))) {
            return Optional.empty();
        }
        Graph single = new Graph(
                "import-fold",
                List.of(),
                n.outputs(),
                constants,
                List.of(n),
                new TreeMap<>(),
                new Weights(weights),
                new TreeMap<>());
        Map<String, HostTensor> results;
        try {
            results = new Interpreter(single).run(Map.of());
        } catch (fsc.ir.FscException e) {
            // The bound data is invalid for this node (an index out of range): leave the node, so the
            // error is reported where it was before specialising, when the model runs.
            return Optional.empty();
        }
        List<WeightData> out = new ArrayList<>();
        for (Value v : n.outputs()) {
            out.add(results.get(v.name()).toWeight());
        }
        return Optional.of(out);
    }

    private static boolean small(TensorType t) {
        return t.isStatic() && !t.dtype().isQuantizedBlock() && t.elementCount().value() <= MAX_ELEMENTS;
    }
}
