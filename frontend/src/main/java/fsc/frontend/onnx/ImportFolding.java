package fsc.frontend.onnx;

import fsc.ir.Constant;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

    /** How many producers back {@link #demand} follows a chain before giving up. */
    private static final int MAX_DEPTH = 64;

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
        if (!foldable(n) || n.inputs().stream().noneMatch(scope::isSpecialised)) {
            return Optional.empty();
        }
        List<WeightData> operands = new ArrayList<>();
        for (Value v : n.inputs()) {
            Optional<WeightData> data = scope.constantData(v);
            if (data.isEmpty()) {
                return Optional.empty();
            }
            operands.add(data.get());
        }
        return run(n, operands);
    }

    /**
     * The contents of {@code v} for a converter that cannot go on without them (pads, sizes, K): a
     * constant's data, or else the value of the node chain that computes it from constants alone,
     * evaluated now. Exporters emit such chains for values that are constant after all (silero VAD
     * v5 builds its STFT padding from {@code ConstantOfShape → Concat → Reshape → Slice → Transpose}
     * inside an {@code If} branch, where {@code fold} cannot reach before the converter needs it).
     * Only asked on that path, so models that import without it import exactly as before.
     */
    static Optional<WeightData> demand(ImportScope scope, Value v) {
        return demand(scope, v, 0);
    }

    private static Optional<WeightData> demand(ImportScope scope, Value v, int depth) {
        Optional<WeightData> data = scope.constantData(v);
        if (data.isPresent() || depth > MAX_DEPTH || !small(v.type())) {
            return data;
        }
        Optional<WeightData> shapeValue = knownInts(scope, v);
        if (shapeValue.isPresent()) {
            return shapeValue;
        }
        Node producer = scope.builder.nodes().stream()
                .filter(n -> n.outputs().contains(v))
                .findFirst()
                .orElse(null);
        if (producer == null || !foldable(producer)) {
            return Optional.empty();
        }
        List<WeightData> operands = new ArrayList<>();
        for (Value in : producer.inputs()) {
            Optional<WeightData> d = demand(scope, in, depth + 1);
            if (d.isEmpty()) {
                return Optional.empty();
            }
            operands.add(d.get());
        }
        return run(producer, operands).map(out -> out.get(producer.outputs().indexOf(v)));
    }

    /** Shape arithmetic import already knows as numbers ({@code Shape} of a static tensor and what follows). */
    private static Optional<WeightData> knownInts(ImportScope scope, Value v) {
        if (v.type().dtype() != DType.I64 && v.type().dtype() != DType.I32) {
            return Optional.empty();
        }
        Optional<List<Dim>> known = scope.builder.known().get(v);
        if (known.isEmpty()
                || !known.get().stream().allMatch(Dim::isFixed)
                || known.get().size() != v.type().elementCount().value()) {
            return Optional.empty();
        }
        boolean wide = v.type().dtype() == DType.I64;
        ByteBuffer b = ByteBuffer.allocate(known.get().size() * (wide ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (Dim d : known.get()) {
            if (wide) {
                b.putLong(d.value());
            } else {
                b.putInt((int) d.value());
            }
        }
        List<Long> dims = v.type().dims().stream().map(Dim::value).toList();
        return Optional.of(new WeightData(v.type().dtype(), dims, b.flip()));
    }

    private static boolean foldable(Node n) {
        return !n.hasRegions()
                && !n.isFused()
                && !NONDETERMINISTIC.contains(n.op())
                && INTERPRETED.contains(n.op())
                && !n.inputs().isEmpty();
    }

    /** Runs {@code n} alone in the interpreter on {@code operands} (one per input); empty when it cannot. */
    private static Optional<List<WeightData>> run(Node n, List<WeightData> operands) {
        List<Constant> constants = new ArrayList<>();
        TreeMap<String, WeightData> weights = new TreeMap<>();
        for (int i = 0; i < n.inputs().size(); i++) {
            Value v = n.inputs().get(i);
            if (!small(v.type())) {
                return Optional.empty();
            }
            if (constants.stream().noneMatch(c -> c.value() == v)) {
                String weight = "operand" + constants.size();
                constants.add(new Constant(v, weight));
                weights.put(weight, operands.get(i));
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
