package fsc.ir.ops;

import fsc.ir.Attr;

/**
 * One attribute an op declares: its name, its kind and its default ({@code null} when an absent
 * attribute means "not given", e.g. a reduction's {@code axes}, rather than a value).
 */
public record AttrSpec(String name, Kind kind, Attr dflt) {

    /** The attribute kinds, with the {@link Attr} records each accepts. */
    public enum Kind {
        INT("an integer"),
        /** A number: an {@link Attr.Int} is accepted too, as ONNX writes {@code alpha=1}. */
        FLOAT("a number"),
        STR("a string"),
        INTS("a list of integers");

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
            };
        }
    }

    public AttrSpec {
        if (dflt != null && !kind.accepts(dflt)) {
            throw new IllegalArgumentException("attribute '" + name + "': default " + dflt + " is not " + kind.noun());
        }
    }

    static AttrSpec integer(String name, long dflt) {
        return new AttrSpec(name, Kind.INT, new Attr.Int(dflt));
    }

    static AttrSpec number(String name, double dflt) {
        return new AttrSpec(name, Kind.FLOAT, new Attr.Float(dflt));
    }

    static AttrSpec string(String name, String dflt) {
        return new AttrSpec(name, Kind.STR, new Attr.Str(dflt));
    }

    /** An integer list with no default: absent means the op's rule for "not given". */
    static AttrSpec ints(String name) {
        return new AttrSpec(name, Kind.INTS, null);
    }
}
