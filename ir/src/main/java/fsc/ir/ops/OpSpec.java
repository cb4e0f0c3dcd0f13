package fsc.ir.ops;

import fsc.ir.TensorType;
import java.util.List;
import java.util.Set;

/** An op definition built from a name, an arity, a shape rule and its traits; the op families are tables of these. */
record OpSpec(String name, int minInputs, int maxInputs, Rule rule, Set<OpTrait> traits, AttrSchema schema)
        implements OpDef {

    OpSpec {
        traits = Set.copyOf(traits);
        java.util.Objects.requireNonNull(schema, "schema");
    }

    /** A definition that takes no attributes until {@link #attrs} declares them. */
    OpSpec(String name, int minInputs, int maxInputs, Rule rule) {
        this(name, minInputs, maxInputs, rule, Set.of(), AttrSchema.NONE);
    }

    @Override
    public AttrSchema attrSchema() {
        return schema;
    }

    /** This definition with its attributes declared: every attribute it takes, with its default. */
    OpSpec attrs(AttrSpec... specs) {
        return new OpSpec(name, minInputs, maxInputs, rule, traits, AttrSchema.of(specs));
    }

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

    /** This definition with {@code more} traits added. */
    OpSpec with(OpTrait... more) {
        java.util.EnumSet<OpTrait> all = java.util.EnumSet.noneOf(OpTrait.class);
        all.addAll(traits);
        all.addAll(List.of(more));
        return new OpSpec(name, minInputs, maxInputs, rule, all, schema);
    }
}
