package fsc.cli.conformance;

import fsc.backend.java.InMemoryModels;
import fsc.backend.java.JavaBackendOptions;
import fsc.compiler.CompileDriver;
import fsc.compiler.Target;
import fsc.frontend.onnx.ImportOptions;
import fsc.frontend.onnx.OnnxImporter;
import fsc.frontend.onnx.OnnxModelInfo;
import fsc.frontend.onnx.OnnxValues;
import fsc.frontend.onnx.proto.Onnx.TypeProto;
import fsc.ir.FscException;
import fsc.ir.Graph;
import fsc.ir.Value;
import fsc.ir.WeightData;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.runtime.ElemType;
import fsc.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes one node test from files to generated sources: read the tensors, import (binding the inputs
 * a shape depends on, one at a time, as the compiler asks for them), run the default CPU pipeline,
 * check the backend's support table and emit Java. A failure on the way becomes the test's
 * {@link Outcome}; success is a {@link PreparedTest}.
 */
final class TestPreparation {
    /** The hint of {@code Ops.infer} when an operand it must know at compile time is an input. */
    private static final Pattern BIND_HINT = Pattern.compile("--bind (\\S+)=FILE");

    private static final Pattern NO_KERNEL = Pattern.compile("has no kernel for ([a-z0-9_]+)\\(([a-z0-9_]*)\\)");

    /** The frontend's message for a tensor of a type fsc has no dtype for (string, float8, int4...). */
    private static final Pattern ELEMENT_TYPE =
            Pattern.compile("has element type (code \\d+|\\S+), which fsc does not support");

    private TestPreparation() {}

    /** The prepared test, or the outcome that ended it early. */
    sealed interface Result {}

    record Ready(PreparedTest test) implements Result {}

    record Ended(Outcome outcome) implements Result {}

    /** @param packageName a package no other model of the same javac batch uses */
    static Result prepare(NodeTestCase t, String packageName) {
        OnnxModelInfo info;
        List<OnnxValues.OnnxValue> inputs = new ArrayList<>();
        List<TensorValues> expected = new ArrayList<>();
        try {
            info = OnnxModelInfo.read(t.model());
            List<TypeProto> inTypes = OnnxValues.declaredTypes(t.model(), true);
            List<TypeProto> outTypes = OnnxValues.declaredTypes(t.model(), false);
            for (int i = 0; i < t.inputs().size(); i++) {
                inputs.add(OnnxValues.read(t.inputs().get(i), declared(inTypes, i)));
            }
            for (int i = 0; i < t.outputs().size(); i++) {
                TestValues.flatten(OnnxValues.read(t.outputs().get(i), declared(outTypes, i)), expected);
            }
        } catch (FscException e) {
            return sequenceOrError(e);
        }
        List<String> names = info.inputs().stream().map(OnnxModelInfo.Io::name).toList();
        if (names.size() != inputs.size()) {
            return new Ended(new Outcome.CompileError(
                    "the model has " + names.size() + " inputs, the test data " + inputs.size()));
        }
        Map<String, WeightData> byName = new LinkedHashMap<>();
        Map<String, OnnxValues.OnnxValue> valuesByName = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            valuesByName.put(names.get(i), inputs.get(i));
            // Only tensors can be bound to constants.
            if (inputs.get(i) instanceof OnnxValues.TensorValue tv) {
                byName.put(names.get(i), tv.data());
            }
        }

        ImportOptions options = ImportOptions.defaults();
        List<String> bound = new ArrayList<>();
        Graph graph;
        while (true) {
            try {
                graph = OnnxImporter.importModel(t.model(), options);
                break;
            } catch (FscException e) {
                Optional<String> wanted = bindRequest(e).filter(n -> byName.containsKey(n) && !bound.contains(n));
                if (wanted.isEmpty()) {
                    return importFailure(e, info);
                }
                bound.add(wanted.get());
                options = options.withBinding(wanted.get(), byName.get(wanted.get()));
            } catch (RuntimeException e) {
                return new Ended(new Outcome.CompileError("import: " + describe(e)));
            }
        }

        try {
            graph = PassManager.builder()
                    .build()
                    .run(graph, CompileDriver.defaultPipeline(Target.JAVA), PassContext.defaults())
                    .graph();
        } catch (RuntimeException e) {
            return new Ended(new Outcome.CompileError("passes: " + describe(e)));
        }
        InMemoryModels.Generated generated;
        try {
            generated = InMemoryModels.generate(
                    graph, new JavaBackendOptions(packageName, "NodeTestModel", t.name(), "", "conformance"));
        } catch (FscException e) {
            Matcher m = NO_KERNEL.matcher(e.getMessage());
            if (m.find()) {
                return new Ended(new Outcome.Unsupported(m.group(1) + "(" + m.group(2) + ")", e.oneLine()));
            }
            return new Ended(new Outcome.CompileError("backend: " + e.oneLine()));
        } catch (RuntimeException e) {
            return new Ended(new Outcome.CompileError("backend: " + describe(e)));
        }

        Map<String, Object> feeds = new LinkedHashMap<>();
        for (Value in : graph.inputs()) {
            OnnxValues.OnnxValue w = valuesByName.get(in.name());
            if (w == null) {
                return new Ended(new Outcome.CompileError("graph input '" + in.name() + "' has no test data"));
            }
            feeds.put(in.name(), TestValues.feed(w));
        }
        return new Ready(new PreparedTest(t, generated, feeds, expected, List.copyOf(bound)));
    }

    /** Test data files beyond the declared values (none in the suite) read as tensors. */
    private static TypeProto declared(List<TypeProto> types, int i) {
        return i < types.size() ? types.get(i) : TypeProto.getDefaultInstance();
    }

    /** The input the compiler asked to bind, from its hint. */
    private static Optional<String> bindRequest(FscException e) {
        if (e.hint() == null) {
            return Optional.empty();
        }
        Matcher m = BIND_HINT.matcher(e.hint());
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private static Result importFailure(FscException e, OnnxModelInfo info) {
        if (e.getMessage().contains("unsupported ONNX ops")) {
            String op = info.ops().stream()
                    .filter(o -> !o.supported())
                    .map(OnnxModelInfo.OpCount::op)
                    .findFirst()
                    .orElse("?");
            return new Ended(new Outcome.Unsupported(op, e.oneLine()));
        }
        Matcher type = ELEMENT_TYPE.matcher(e.getMessage());
        if (type.find()) {
            return new Ended(new Outcome.Unsupported("element type " + type.group(1), e.oneLine()));
        }
        return new Ended(new Outcome.CompileError("import: " + e.oneLine()));
    }

    /** Sequence/optional operands and element types fsc has no dtype for are outside its tensor IR. */
    private static Result sequenceOrError(FscException e) {
        String m = e.getMessage();
        if (m.contains("SequenceProto") || m.contains("segmented tensors")) {
            return new Ended(new Outcome.Unsupported("sequence/optional", e.oneLine()));
        }
        Matcher type = ELEMENT_TYPE.matcher(m);
        if (type.find()) {
            return new Ended(new Outcome.Unsupported("element type " + type.group(1), e.oneLine()));
        }
        return new Ended(new Outcome.CompileError("test data: " + e.oneLine()));
    }

    static String describe(Throwable e) {
        String m = e instanceof FscException fe ? fe.oneLine() : e.toString();
        m = m.replace('\n', ' ');
        return m.length() > 400 ? m.substring(0, 400) + "..." : m;
    }

    static Tensor toTensor(WeightData w) {
        ElemType type = ElemType.valueOf(w.dtype().name());
        long[] shape = w.dims().stream().mapToLong(Long::longValue).toArray();
        if (w.dtype().isString()) {
            return Tensor.ofStrings(shape, fsc.ir.StringData.decode(w.view()).toArray(String[]::new));
        }
        Tensor t = Tensor.allocate(type, shape, Arena.ofAuto());
        MemorySegment.copy(
                MemorySegment.ofBuffer(w.view()), 0, t.data(), 0, t.data().byteSize());
        return t;
    }
}
