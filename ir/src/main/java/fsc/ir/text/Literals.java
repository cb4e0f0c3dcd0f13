package fsc.ir.text;

import fsc.ir.Attr;
import fsc.ir.DType;
import fsc.ir.Dim;
import fsc.ir.FloorDiv;
import fsc.ir.FscException;
import fsc.ir.TensorType;
import fsc.ir.WeightData;
import fsc.ir.interp.HostTensor;
import fsc.ir.text.parser.FsirParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;

/**
 * Reads the leaves of a {@code .fsir} parse tree (types, dims, attributes, strings, inline
 * constant data) into IR values, failing with located messages. Every symbol a type or attribute
 * uses must have a bound in the graph's {@code symbols}.
 */
final class Literals {
    private final String source;
    private final Map<String, Long> symbols;

    Literals(String source, Map<String, Long> symbols) {
        this.source = source;
        this.symbols = symbols;
    }

    FscException fail(Token at, String message) {
        return new FscException(source + ":" + at.getLine() + ":" + (at.getCharPositionInLine() + 1) + ": " + message);
    }

    FscException fail(ParserRuleContext at, String message) {
        return fail(at.getStart(), message);
    }

    /**
     * A value's type: {@code f32[B,384]}, or a container ({@code seq<f32>}, {@code opt<f32[4]>},
     * {@code opt<seq<f32>>}; see {@link fsc.ir.Container}).
     */
    TensorType type(FsirParser.TypeContext type) {
        return switch (type) {
            case FsirParser.TensorTypeContext t -> tensorType(t);
            case FsirParser.ContainerTypeContext c -> containerType(c);
            case FsirParser.ElementTypeContext e ->
                throw fail(
                        e,
                        "'" + e.getText() + "' needs dims, e.g. " + e.getText()
                                + "[] (a bare dtype only names a sequence's elements: seq<" + e.getText() + ">)");
            default -> throw new IllegalStateException("unknown type form " + type.getText());
        };
    }

    private TensorType containerType(FsirParser.ContainerTypeContext c) {
        String kind = c.ident().getText();
        switch (kind) {
            case "seq" -> {
                if (!(c.type() instanceof FsirParser.ElementTypeContext e)) {
                    throw fail(c, "a sequence is written seq<DTYPE> (its elements' shapes are known at run time)");
                }
                return TensorType.sequence(dtype(e, e.ident().getText()));
            }
            case "opt" -> {
                if (c.type() instanceof FsirParser.ElementTypeContext
                        || c.type() instanceof FsirParser.ContainerTypeContext inner
                                && !inner.ident().getText().equals("seq")) {
                    throw fail(c, "an optional is written opt<DTYPE[DIMS]> or opt<seq<DTYPE>>");
                }
                return TensorType.optional(type(c.type()));
            }
            default -> throw fail(c, "unknown container '" + kind + "' (seq or opt)");
        }
    }

    private DType dtype(ParserRuleContext at, String name) {
        try {
            return DType.fromIrName(name);
        } catch (IllegalArgumentException e) {
            throw fail(at, "unknown dtype '" + name + "'");
        }
    }

    private TensorType tensorType(FsirParser.TensorTypeContext t) {
        String name = t.ident(0).getText();
        DType dtype = dtype(t, name);
        List<Dim> dims = new ArrayList<>();
        for (FsirParser.DimContext d : t.dim()) {
            dims.add(dim(d));
        }
        String layout = t.ident().size() > 1 ? t.ident(1).getText() : "";
        try {
            return new TensorType(dtype, dims, layout);
        } catch (IllegalArgumentException e) {
            throw fail(t, e.getMessage());
        }
    }

    /** A dim as written: terms joined by {@code +} and {@code -}, the first one optionally negated. */
    Dim dim(FsirParser.DimContext d) {
        List<Dim.Term> terms = new ArrayList<>();
        for (int i = 0; i < d.dimTerm().size(); i++) {
            boolean negative =
                    i == 0 ? d.sign != null : d.dimOp.get(i - 1).getText().equals("-");
            terms.add(term(d.dimTerm(i), negative));
        }
        return new Dim(terms);
    }

    private Dim.Term term(FsirParser.DimTermContext d, boolean negative) {
        long coeff;
        List<FsirParser.DimFactorContext> syms;
        if (d instanceof FsirParser.FixedOrScaledContext f) {
            coeff = parseLong(f.INT().getSymbol(), negative);
            syms = f.dimFactor();
        } else {
            coeff = negative ? -1 : 1;
            syms = ((FsirParser.SymbolicContext) d).dimFactor();
        }
        List<String> names = new ArrayList<>();
        for (FsirParser.DimFactorContext f : syms) {
            if (f instanceof FsirParser.FloorFactorContext fl) {
                long divisor = parseLong(fl.INT().getSymbol(), false);
                if (divisor < 2) {
                    throw fail(fl.INT().getSymbol(), "a floor division needs a divisor of at least 2");
                }
                names.add(new FloorDiv(dim(fl.dim()), divisor).symbol());
                continue;
            }
            FsirParser.IdentContext s = ((FsirParser.NamedFactorContext) f).ident();
            if (!symbols.containsKey(s.getText())) {
                throw fail(s, "symbol " + s.getText() + " has no bound (declare it in symbols {...})");
            }
            names.add(s.getText());
        }
        return new Dim.Term(coeff, names);
    }

    /** The most elements an inline constant may have (4 MiB of f32). */
    static final long MAX_INLINE_ELEMENTS = 1 << 20;

    long parseLong(Token digits, boolean negative) {
        try {
            return Long.parseLong((negative ? "-" : "") + digits.getText());
        } catch (NumberFormatException e) {
            throw fail(digits, "integer " + digits.getText() + " is out of range");
        }
    }

    Attr attr(FsirParser.AttrContext a) {
        return switch (a) {
            case FsirParser.NumberAttrContext n -> number(n.number(), true);
            case FsirParser.StringAttrContext s ->
                new Attr.Str(string(s.STRING().getSymbol()));
            case FsirParser.EmptyFloatsAttrContext e -> new Attr.Floats(List.of());
            case FsirParser.StringsAttrContext l ->
                new Attr.Strs(
                        l.STRING().stream().map(t -> string(t.getSymbol())).toList());
            case FsirParser.DimsAttrContext d -> {
                List<Dim> dims = new ArrayList<>();
                for (FsirParser.DimContext s : d.dim()) {
                    dims.add(dim(s));
                }
                yield new Attr.Dims(dims);
            }
            case FsirParser.ListAttrContext l -> list(l);
            default ->
                throw new IllegalStateException(
                        "unhandled attribute form " + a.getClass().getSimpleName());
        };
    }

    private Attr list(FsirParser.ListAttrContext l) {
        List<Attr> items = l.number().stream().map(n -> number(n, false)).toList();
        if (items.stream().allMatch(i -> i instanceof Attr.Int)) {
            return new Attr.Ints(items.stream().map(i -> ((Attr.Int) i).value()).toList());
        }
        if (items.stream().allMatch(i -> i instanceof Attr.Float)) {
            return new Attr.Floats(
                    items.stream().map(i -> ((Attr.Float) i).value()).toList());
        }
        throw fail(l, "a list attribute holds either integers or floats (write 1.0 for a float)");
    }

    /** An Int, a Float (with '.', an exponent, nan or inf) or, when {@code typeAllowed}, a dtype. */
    private Attr number(FsirParser.NumberContext n, boolean typeAllowed) {
        boolean negative = n.getChildCount() > 1;
        if (n.INT() != null) {
            return new Attr.Int(parseLong(n.INT().getSymbol(), negative));
        }
        if (n.FLOAT() != null) {
            double v = Double.parseDouble(n.FLOAT().getText());
            return new Attr.Float(negative ? -v : v);
        }
        String word = n.ident().getText();
        switch (word) {
            case "nan" -> {
                return new Attr.Float(Double.NaN);
            }
            case "inf" -> {
                return new Attr.Float(negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
            }
            default -> {
                if (typeAllowed && !negative) {
                    try {
                        return new Attr.Type(DType.fromIrName(word));
                    } catch (IllegalArgumentException e) {
                        throw fail(n, "expected a number, string, dtype, [list] or <dims>, found '" + word + "'");
                    }
                }
                throw fail(n, "expected a number, found '" + word + "'");
            }
        }
    }

    /** The contents of a quoted string, escapes resolved. */
    String string(Token t) {
        String s = t.getText();
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> b.append(e);
            }
        }
        return b.toString();
    }

    /**
     * Inline contents of a hand-written constant: every element, one element for all, or uniform
     * noise in [-1, 1) (integers in [0, 4)) from a seed.
     */
    WeightData data(FsirParser.ConstDataContext d, TensorType type) {
        if (!type.isStatic() || !type.isRowMajor() || type.dtype().isQuantizedBlock()) {
            throw fail(d, "inline data needs a row-major, fixed-size, unquantized type, not " + type);
        }
        long[] shape = type.evaluate(Map.of());
        long elements = 1;
        try {
            for (long n : shape) {
                elements = Math.multiplyExact(elements, n);
            }
        } catch (ArithmeticException e) {
            throw fail(d, "inline data of " + type + " overflows a 64-bit element count");
        }
        if (elements > MAX_INLINE_ELEMENTS) {
            // Inline data is for small hand-written constants; it is materialised on the heap, so a
            // one-line file must not be able to ask for gigabytes.
            throw fail(
                    d,
                    "inline data of " + type + " has " + elements + " elements; at most " + MAX_INLINE_ELEMENTS
                            + " may be inline (larger weights belong in weights.fsw)");
        }
        HostTensor t;
        if (d instanceof FsirParser.RandomDataContext r) {
            t = HostTensor.random(
                    type.dtype(), shape, new Random(parseLong(r.INT().getSymbol(), false)));
        } else {
            List<FsirParser.NumberContext> items = ((FsirParser.DenseDataContext) d).number();
            long count = elements;
            if (items.size() != 1 && items.size() != count) {
                throw fail(d, type + " has " + count + " elements, the data lists " + items.size());
            }
            t = HostTensor.zeros(type.dtype(), shape);
            for (long i = 0; i < count; i++) {
                FsirParser.NumberContext item = items.get(items.size() == 1 ? 0 : (int) i);
                Attr v = number(item, false);
                if (type.dtype().isFloat()) {
                    t.setDouble(i, v instanceof Attr.Int n ? n.value() : ((Attr.Float) v).value());
                } else if (v instanceof Attr.Int n) {
                    t.setLong(i, n.value());
                } else {
                    throw fail(item, type.dtype().irName() + " data must be integers");
                }
            }
        }
        return t.toWeight();
    }
}
