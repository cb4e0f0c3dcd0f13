package fsc.ir.ops;

import fsc.ir.Attr;
import fsc.ir.DType;

/**
 * One attribute an op declares: its name, its kind and its default. A {@code null} default means the
 * attribute has no single default value: either it is required (the op's rule fails without it, e.g.
 * {@code cast}'s {@code to}), or absent means "not given" and the op's rule fills it from the operands
 * (a reduction's {@code axes}, a window's {@code strides} per rank, {@code attention}'s {@code scale}).
 */
public record AttrSpec(String name, Kind kind, Attr dflt) {

    /** The attribute kinds, with the {@link Attr} records each accepts. */
    public enum Kind {
        INT("an integer"),
        /** A number: an {@link Attr.Int} is accepted too, as ONNX writes {@code alpha=1}. */
        FLOAT("a number"),
        STR("a string"),
        INTS("a list of integers"),
        FLOATS("a list of numbers"),
        STRS("a list of strings"),
        /** Dimensions that may be symbolic ({@link Attr.Dims}); plain integers ({@link Attr.Ints}) too. */
        DIMS("a list of dimensions"),
        TYPE("an element type");

        private final String noun;

        Kind(String noun) {
            this.noun = noun;
        }

        public String noun() {
            return noun;
        }

        public boolean accepts(Attr a) {
            return switch (this) {
                case INT -> a instanceof Attr.Int;
                case FLOAT -> a instanceof Attr.Float || a instanceof Attr.Int;
                case STR -> a instanceof Attr.Str;
                case INTS -> a instanceof Attr.Ints;
                case FLOATS -> a instanceof Attr.Floats;
                case STRS -> a instanceof Attr.Strs;
                case DIMS -> a instanceof Attr.Dims || a instanceof Attr.Ints;
                case TYPE -> a instanceof Attr.Type;
            };
        }
    }

    public AttrSpec {
        if (dflt != null && !kind.accepts(dflt)) {
            throw new IllegalArgumentException("attribute '" + name + "': default " + dflt + " is not " + kind.noun());
        }
    }

    /** {@code name: kind = default}, or {@code name: kind} without a default; the schema's printed form. */
    @Override
    public String toString() {
        return name + ": " + kind.name().toLowerCase(java.util.Locale.ROOT) + (dflt == null ? "" : " = " + dflt);
    }

    static AttrSpec integer(String name, long dflt) {
        return new AttrSpec(name, Kind.INT, new Attr.Int(dflt));
    }

    /** An integer without a default: required, or filled by the op's rule. */
    static AttrSpec integer(String name) {
        return new AttrSpec(name, Kind.INT, null);
    }

    static AttrSpec number(String name, double dflt) {
        return new AttrSpec(name, Kind.FLOAT, new Attr.Float(dflt));
    }

    /** A number without a default: absent means "not given" (e.g. {@code clip}'s bounds). */
    static AttrSpec number(String name) {
        return new AttrSpec(name, Kind.FLOAT, null);
    }

    static AttrSpec string(String name, String dflt) {
        return new AttrSpec(name, Kind.STR, new Attr.Str(dflt));
    }

    /** A string without a default: required. */
    static AttrSpec string(String name) {
        return new AttrSpec(name, Kind.STR, null);
    }

    /** An integer list with no default: absent means the op's rule for "not given". */
    static AttrSpec ints(String name) {
        return new AttrSpec(name, Kind.INTS, null);
    }

    /** A number list with no default. */
    static AttrSpec floats(String name) {
        return new AttrSpec(name, Kind.FLOATS, null);
    }

    /** A string list with no default. */
    static AttrSpec strings(String name) {
        return new AttrSpec(name, Kind.STRS, null);
    }

    /** A dimension list (symbolic or not) with no default: a folded operand such as a target shape. */
    static AttrSpec dims(String name) {
        return new AttrSpec(name, Kind.DIMS, null);
    }

    /** An element type without a default: required. */
    static AttrSpec type(String name) {
        return new AttrSpec(name, Kind.TYPE, null);
    }

    static AttrSpec type(String name, DType dflt) {
        return new AttrSpec(name, Kind.TYPE, new Attr.Type(dflt));
    }
}
