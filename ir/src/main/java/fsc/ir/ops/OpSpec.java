package fsc.ir.ops;

import fsc.ir.TensorType;
import java.util.List;

/** An op definition built from a name, an arity and a shape rule; the op families are tables of these. */
record OpSpec(String name, int minInputs, int maxInputs, Rule rule) implements OpDef {

    /** A shape rule. */
    @FunctionalInterface
    interface Rule {
        List<TensorType> infer(InferContext ctx);
    }

    @Override
    public List<TensorType> infer(InferContext ctx) {
        return rule.infer(ctx);
    }

    static OpSpec fixed(String name, int inputs, Rule rule) {
        return new OpSpec(name, inputs, inputs, rule);
    }
}
