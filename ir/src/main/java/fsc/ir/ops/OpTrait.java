package fsc.ir.ops;

/**
 * Facts about an op that passes and backends ask by trait instead of keeping their own list of op
 * names. Declared once, on the op's {@link OpDef}; a backend's narrower list (the ops it can fuse, the
 * ops it runs in f32) must be a subset of the ops with the matching trait, which tests check.
 */
public enum OpTrait {
    /**
     * Output element i is a function of element i of each operand (after broadcasting) and of the
     * attributes only: no neighbours, no reduction, no data-dependent addressing.
     */
    ELEMENTWISE,
    /** An {@link #ELEMENTWISE} op of two operands with numpy broadcasting (arithmetic, comparison, logic, bits). */
    BINARY,
    /** An {@link #ELEMENTWISE} op of one operand that keeps its shape (math, rounding, activations, not). */
    UNARY_MAP
}
