package fsc.ir.ops;

import fsc.ir.TensorType;
import java.util.List;

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
}
