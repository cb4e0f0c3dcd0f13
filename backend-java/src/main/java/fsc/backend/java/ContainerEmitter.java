package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import fsc.ir.Container;
import fsc.ir.Node;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The sequence and optional ops ({@code fsc.ir.ops.SequenceOps}). A container value is not in the
 * memory plan: it lives in the model's {@code containers[k]} slot as a {@code TensorSequence} or a
 * {@code java.util.Optional} ({@link ModelContext#container}), built by the runtime's {@code
 * Containers} helpers, which copy each tensor they take out of the arena. A tensor that leaves a
 * container (an optional's, a sequence's length) is written into its planned slot, its shape checked
 * against the compiled type. Each node is one helper call, so its method stays tiny.
 */
final class ContainerEmitter {
    private ContainerEmitter() {}

    static final ClassName CONTAINERS = ClassName.get(JavaTypes.RUNTIME + ".kernels", "Containers");

    static final Set<String> OPS = Set.of(
            "container_identity",
            "optional",
            "optional_get_element",
            "optional_has_element",
            "sequence_construct",
            "sequence_empty",
            "sequence_erase",
            "sequence_insert",
            "sequence_length",
            "split_to_sequence");

    static CodeBlock emit(Scope s) {
        Node n = s.node();
        ModelContext m = s.model();
        Value out = n.outputs().getFirst();
        return switch (n.op()) {
            case "container_identity" -> set(m, out, CodeBlock.of("$L", m.container(n.input(0))));
            case "sequence_empty" -> set(m, out, CodeBlock.of("$T.empty($L)", CONTAINERS, elemType(out)));
            case "sequence_construct" -> {
                List<CodeBlock> args = new ArrayList<>();
                args.add(elemType(out));
                n.inputs().forEach(v -> args.add(tensor(s, v)));
                yield set(m, out, CodeBlock.of("$T.construct($L)", CONTAINERS, CodeBlock.join(args, ", ")));
            }
            case "sequence_insert" ->
                set(
                        m,
                        out,
                        n.inputs().size() == 3
                                ? CodeBlock.of(
                                        "$T.insert($L, $L, $T.scalar($L))",
                                        CONTAINERS,
                                        m.container(n.input(0)),
                                        tensor(s, n.input(1)),
                                        CONTAINERS,
                                        tensor(s, n.input(2)))
                                : CodeBlock.of(
                                        "$T.insertLast($L, $L)",
                                        CONTAINERS,
                                        m.container(n.input(0)),
                                        tensor(s, n.input(1))));
            case "sequence_erase" ->
                set(
                        m,
                        out,
                        n.inputs().size() == 2
                                ? CodeBlock.of(
                                        "$T.erase($L, $T.scalar($L))",
                                        CONTAINERS,
                                        m.container(n.input(0)),
                                        CONTAINERS,
                                        tensor(s, n.input(1)))
                                : CodeBlock.of("$T.eraseLast($L)", CONTAINERS, m.container(n.input(0))));
            case "sequence_length" ->
                CodeBlock.builder()
                        .addStatement(
                                "$N.set(I64, 0L, $T.length($L))",
                                s.segment(out, "dst"),
                                CONTAINERS,
                                m.container(n.input(0)))
                        .build();
            case "split_to_sequence" -> {
                Value x = n.input(0);
                int axis = (int) n.intAttr("axis");
                if (axis < 0) {
                    axis += x.type().rank();
                }
                yield set(
                        m,
                        out,
                        CodeBlock.of(
                                "$T.split($L, $L, $L, $L)",
                                CONTAINERS,
                                tensor(s, x),
                                axis,
                                n.inputs().size() == 2 ? tensor(s, n.input(1)) : CodeBlock.of("null"),
                                n.intAttr("keepdims") != 0));
            }
            case "optional" ->
                set(
                        m,
                        out,
                        n.inputs().isEmpty()
                                ? CodeBlock.of("$T.none()", CONTAINERS)
                                : CodeBlock.of("$T.wrap($L)", CONTAINERS, value(s, n.input(0))));
            case "optional_has_element" ->
                CodeBlock.builder()
                        .addStatement(
                                "$N.set(I8, 0L, $T.hasElement($L) ? (byte) 1 : (byte) 0)",
                                s.segment(out, "dst"),
                                CONTAINERS,
                                m.container(n.input(0)))
                        .build();
            case "optional_get_element" -> {
                CodeBlock got = CodeBlock.of("$T.getElement($L)", CONTAINERS, m.container(n.input(0)));
                if (!out.type().isTensor()) {
                    yield set(m, out, got);
                }
                yield CodeBlock.builder()
                        .addStatement(
                                "$T.store($L, $N, $L)", CONTAINERS, got, s.segment(out, "dst"), shape(s, out.type()))
                        .build();
            }
            default -> throw new IllegalStateException(n.where() + " is not a sequence or optional op");
        };
    }

    private static CodeBlock set(ModelContext m, Value out, CodeBlock value) {
        return CodeBlock.builder()
                .addStatement("$L = $L", m.container(out), value)
                .build();
    }

    /** A container operand as it is, a tensor operand as a {@code Tensor} over its buffer. */
    private static CodeBlock value(Scope s, Value v) {
        return v.type().isTensor() ? tensor(s, v) : s.model().container(v);
    }

    /** {@code Containers.view(ElemType.F32, seg, d0, d1)}: the tensor operand over its buffer. */
    static CodeBlock tensor(Scope s, Value v) {
        List<CodeBlock> args = new ArrayList<>();
        args.add(elemType(v));
        args.add(CodeBlock.of("$N", s.segment(v, "t")));
        for (var d : v.type().dims()) {
            args.add(s.dims().of(d));
        }
        return CodeBlock.of("$T.view($L)", CONTAINERS, CodeBlock.join(args, ", "));
    }

    private static CodeBlock shape(Scope s, TensorType t) {
        return CodeBlock.of(
                "new long[] {$L}",
                CodeBlock.join(t.dims().stream().map(d -> s.dims().of(d)).toList(), ", "));
    }

    static CodeBlock elemType(Value v) {
        return CodeBlock.of("$T.$L", JavaTypes.ELEM_TYPE, v.dtype().name());
    }

    /** The {@code Containers.input} kind of a container type. */
    static String kind(TensorType t) {
        return switch (t.container()) {
            case SEQUENCE -> "seq";
            case OPTIONAL -> "opt";
            case OPTIONAL_SEQUENCE -> "opt_seq";
            case TENSOR -> throw new IllegalStateException(t + " is not a container");
        };
    }

    /** Whether any value {@code n} reads or makes is a sequence or optional. */
    static boolean involvesContainers(Node n) {
        return n.inputs().stream().anyMatch(v -> v.type().container() != Container.TENSOR)
                || n.outputs().stream().anyMatch(v -> v.type().container() != Container.TENSOR);
    }
}
