package fsc.ir.ops;

import fsc.ir.TensorType;
import java.util.List;
import java.util.Set;

/**
 * The definition of one IR op: its name, how many operands it takes, and its shape rule. Reference
 * semantics live in the interpreter ({@code fsc.ir.interp}); one definition per op, registered in
 * {@link Ops}.
 */
public interface OpDef {
    /** Lower snake case name, e.g. {@code reduce_mean}. */
    String name();

    /** Fewest operands. */
    int minInputs();

    /** Most operands, or -1 when variadic. */
    int maxInputs();

    /** Output types from the operand types, attributes and known integer contents; {@code ctx.fail} on bad input. */
    List<TensorType> infer(InferContext ctx);

    /** What passes and backends may assume about this op (see {@link OpTrait}); empty by default. */
    default Set<OpTrait> traits() {
        return Set.of();
    }

    /**
     * The attributes this op takes, with their defaults: the one place a default is written. An op
     * without attributes returns {@link AttrSchema#NONE}.
     */
    AttrSchema attrSchema();
}
