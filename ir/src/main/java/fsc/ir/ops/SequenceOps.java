package fsc.ir.ops;

import fsc.ir.Container;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.TensorType;
import java.util.List;
import java.util.Set;

/**
 * ONNX's sequence and optional ops over {@link Container} values. A sequence's elements have run-time
 * shapes, so no rule here needs one; an element leaves a sequence only through an op whose result
 * shape does not depend on it ({@code sequence_length}) or comes from an optional's declared type.
 *
 * <pre>
 *   container_identity(s)                        → s's type                (the tensor one is identity)
 *   sequence_empty {dtype}                       → seq&lt;dtype&gt;
 *   sequence_construct(t0, t1, ...)              → seq&lt;dtype of t&gt;          (same dtype, any shapes)
 *   sequence_insert(s, t [, pos])                → seq                     (pos: i32/i64 scalar, default: at the end)
 *   sequence_erase(s [, pos])                    → seq                     (default: the last)
 *   sequence_length(s)                           → i64[]
 *   split_to_sequence(x [, split]) {axis, keepdims} → seq&lt;dtype of x&gt;
 *   optional(x)                                  → opt&lt;type of x&gt;
 *   optional {dtype, dims, sequence}             → an empty opt&lt;dtype[dims]&gt; (sequence=1: opt&lt;seq&lt;dtype&gt;&gt;)
 *   optional_has_element(x)                      → bool[]                  (a tensor always has one)
 *   optional_get_element(x)                      → what x holds            (x itself when not optional)
 * </pre>
 */
final class SequenceOps {
    private SequenceOps() {}

    /** The ops that take or make containers: the only ones that may see one (the importer aliases Identity). */
    static final Set<String> NAMES = Set.of(
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

    static List<OpDef> defs() {
        return List.of(
                OpSpec.fixed("container_identity", 1, SequenceOps::containerIdentity),
                new OpSpec("optional", 0, 1, SequenceOps::optional)
                        .attrs(
                                AttrSpec.dims("dims"),
                                AttrSpec.type("dtype", DType.F32),
                                AttrSpec.integer("sequence", 0)),
                OpSpec.fixed("optional_get_element", 1, SequenceOps::getElement),
                OpSpec.fixed("optional_has_element", 1, ctx -> List.of(TensorType.of(DType.BOOL))),
                new OpSpec("sequence_construct", 1, -1, SequenceOps::construct),
                OpSpec.fixed("sequence_empty", 0, ctx -> List.of(TensorType.sequence(ctx.typeAttr("dtype"))))
                        .attrs(AttrSpec.type("dtype", DType.F32)),
                new OpSpec("sequence_erase", 1, 2, SequenceOps::erase),
                new OpSpec("sequence_insert", 2, 3, SequenceOps::insert),
                OpSpec.fixed("sequence_length", 1, SequenceOps::length),
                new OpSpec("split_to_sequence", 1, 2, SequenceOps::split)
                        .attrs(AttrSpec.integer("axis", 0), AttrSpec.integer("keepdims", 1)));
    }

    /** A container passed on as it is (the tensor {@code identity} is element-wise and may be fused). */
    private static List<TensorType> containerIdentity(InferContext ctx) {
        if (ctx.input(0).isTensor()) {
            throw ctx.fail("takes a sequence or optional; a tensor's copy is identity");
        }
        return List.of(ctx.input(0));
    }

    private static List<TensorType> optional(InferContext ctx) {
        if (ctx.inputCount() == 1) {
            TensorType x = ctx.input(0);
            if (x.container().isOptional() || !x.isRowMajor()) {
                throw ctx.fail("wraps a tensor or a sequence, got " + x);
            }
            return List.of(TensorType.optional(x));
        }
        DType dtype = ctx.typeAttr("dtype");
        if (ctx.intAttr("sequence") != 0) {
            return List.of(TensorType.optional(TensorType.sequence(dtype)));
        }
        List<Dim> dims = ctx.dimsAttr("dims")
                .orElseThrow(() -> ctx.fail("an empty optional tensor needs its 'dims' (or sequence = 1)"));
        return List.of(TensorType.optional(new TensorType(dtype, dims)));
    }

    private static List<TensorType> getElement(InferContext ctx) {
        TensorType x = ctx.input(0);
        return List.of(x.container().isOptional() ? x.unwrapped() : x);
    }

    private static List<TensorType> construct(InferContext ctx) {
        DType dtype = ctx.input(0).dtype();
        for (int i = 0; i < ctx.inputCount(); i++) {
            TensorType t = tensor(ctx, i, "element " + i);
            if (t.dtype() != dtype) {
                throw ctx.fail("element " + i + " is " + t + ", element 0 is " + dtype.irName()
                        + " (a sequence holds one element type)");
            }
        }
        return List.of(TensorType.sequence(dtype));
    }

    private static List<TensorType> insert(InferContext ctx) {
        TensorType s = sequence(ctx, 0);
        TensorType t = tensor(ctx, 1, "the inserted tensor");
        if (t.dtype() != s.dtype()) {
            throw ctx.fail("inserts " + t + " into " + s);
        }
        if (ctx.inputCount() == 3) {
            position(ctx, 2);
        }
        return List.of(s);
    }

    private static List<TensorType> erase(InferContext ctx) {
        TensorType s = sequence(ctx, 0);
        if (ctx.inputCount() == 2) {
            position(ctx, 1);
        }
        return List.of(s);
    }

    private static List<TensorType> length(InferContext ctx) {
        sequence(ctx, 0);
        return List.of(TensorType.of(DType.I64));
    }

    private static List<TensorType> split(InferContext ctx) {
        TensorType x = tensor(ctx, 0, "the split tensor");
        ctx.axis(ctx.intAttr("axis"), x.rank());
        if (ctx.inputCount() == 2) {
            TensorType split = tensor(ctx, 1, "split");
            if ((split.dtype() != DType.I64 && split.dtype() != DType.I32) || split.rank() > 1) {
                throw ctx.fail("split must be an i32/i64 scalar or list, got " + split);
            }
        }
        return List.of(TensorType.sequence(x.dtype()));
    }

    private static TensorType sequence(InferContext ctx, int i) {
        TensorType s = ctx.input(i);
        if (s.container() != Container.SEQUENCE) {
            throw ctx.fail("operand " + i + " must be a sequence, got " + s);
        }
        return s;
    }

    private static TensorType tensor(InferContext ctx, int i, String role) {
        TensorType t = ctx.input(i);
        if (!t.isTensor()) {
            throw ctx.fail(role + " must be a tensor, got " + t);
        }
        return t;
    }

    private static void position(InferContext ctx, int i) {
        TensorType p = tensor(ctx, i, "the position");
        if ((p.dtype() != DType.I64 && p.dtype() != DType.I32)
                || !p.isStatic()
                || p.elementCount().value() != 1) {
            throw ctx.fail("the position must be one i32 or i64, got " + p);
        }
    }

    /** Whether {@code op} may take or make a container value. */
    static boolean takesContainers(String op) {
        return NAMES.contains(op);
    }
}
