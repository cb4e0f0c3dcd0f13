package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.ParameterSpec;
import com.palantir.javapoet.TypeName;
import fsc.ir.Dim;
import fsc.ir.FloorDiv;
import fsc.ir.FscException;
import fsc.ir.ops.ExtentOps;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Spells dimensions as Java {@code long} expressions. Every graph symbol ({@code B}, {@code S}) is a
 * {@code long} parameter of the run stages and node methods, so a dimension such as {@code 12*S} becomes
 * {@code 12L * S}; fixed dimensions are literals the JIT treats as constants.
 */
final class DimCode {
    private final SortedMap<String, String> params = new TreeMap<>();
    /** Extent symbols (set by a node at run time, {@link ExtentOps}) → the instance field holding the value. */
    private final SortedMap<String, String> extents = new TreeMap<>();

    DimCode(Iterable<String> symbols) {
        this(symbols, java.util.Set.of());
    }

    /** Symbols in {@code extentSymbols} are read from fields the defining node writes, not passed as parameters. */
    DimCode(Iterable<String> symbols, java.util.Set<String> extentSymbols) {
        for (String s : symbols) {
            String id = javaIdentifier(s);
            if (params.containsValue(id) || extents.containsValue("ext_" + id)) {
                throw new FscException("symbols '" + s + "' and another one both map to Java name '" + id + "'");
            }
            if (extentSymbols.contains(s)) {
                extents.put(s, "ext_" + id);
            } else {
                params.put(s, id);
            }
        }
    }

    /**
     * The dims of {@code g}: its input symbols as parameters, its extent symbols ({@link ExtentOps})
     * as fields, and no symbol that only a string value's dims use. A string op's extent symbol
     * (see {@code StringOps}) sizes only string values, which carry their shape in their run-time tensor,
     * so it is no parameter of the generated code (and no input binds it).
     */
    static DimCode forGraph(fsc.ir.Graph g) {
        java.util.Set<String> used = new java.util.TreeSet<>();
        java.util.function.Consumer<fsc.ir.Value> add = v -> {
            if (!v.dtype().isString()) {
                v.type().dims().forEach(d -> used.addAll(d.symbols()));
            }
        };
        g.inputs().forEach(add);
        g.nodes().forEach(n -> n.outputs().forEach(add));
        g.constants().forEach(c -> add.accept(c.value()));
        List<String> keep = new ArrayList<>();
        for (String s : g.symbols().keySet()) {
            boolean extentOnly = !used.contains(s)
                    && g.nodes().stream().anyMatch(n -> n.outputs().stream()
                            .anyMatch(o -> o.dtype().isString()
                                    && o.type().dims().stream()
                                            .anyMatch(d -> d.symbols().contains(s))));
            if (!extentOnly) {
                keep.add(s);
            }
        }
        return new DimCode(keep, ExtentOps.symbols(g));
    }

    /** Extent symbol → the name of the {@code long} field holding its current value, sorted by symbol. */
    SortedMap<String, String> extents() {
        return Collections.unmodifiableSortedMap(extents);
    }

    /** {@code this.ext_n = value;}: the statement a node emits once it knows its extent. */
    CodeBlock assignExtent(String symbol, CodeBlock value) {
        String f = extents.get(symbol);
        if (f == null) {
            throw new IllegalStateException("symbol " + symbol + " is not an extent symbol");
        }
        return CodeBlock.of("this.$N = $L;\n", f, value);
    }

    private static String javaIdentifier(String symbol) {
        StringBuilder b = new StringBuilder();
        for (char c : symbol.toCharArray()) {
            b.append(Character.isJavaIdentifierPart(c) ? c : '_');
        }
        if (b.isEmpty() || !Character.isJavaIdentifierStart(b.charAt(0))) {
            b.insert(0, "sym_");
        }
        return b.toString();
    }

    /** Symbol → Java parameter name, sorted by symbol. */
    SortedMap<String, String> symbols() {
        return Collections.unmodifiableSortedMap(params);
    }

    String param(String symbol) {
        String p = params.get(symbol);
        if (p == null) {
            throw new IllegalStateException("symbol " + symbol + " is not a graph symbol");
        }
        return p;
    }

    List<ParameterSpec> parameters() {
        List<ParameterSpec> out = new ArrayList<>();
        for (String p : params.values()) {
            out.add(ParameterSpec.builder(TypeName.LONG, p).build());
        }
        return out;
    }

    /** The symbol parameters as call arguments: {@code B, S}. */
    CodeBlock arguments() {
        return CodeBlock.join(
                params.values().stream().map(p -> CodeBlock.of("$N", p)).toList(), ", ");
    }

    /**
     * A {@code long} expression for {@code d}: {@code 12L * S} for a monomial, a parenthesised sum
     * such as {@code (P + S - 1L)} for a sum, so it can stand as a factor or a loop bound anywhere.
     */
    CodeBlock of(Dim d) {
        if (d.isMonomial()) {
            return term(
                    d.terms().isEmpty() ? new Dim.Term(0, List.of()) : d.terms().getFirst());
        }
        CodeBlock.Builder b = CodeBlock.builder().add("(");
        for (int i = 0; i < d.terms().size(); i++) {
            Dim.Term t = d.terms().get(i);
            if (i == 0) {
                b.add("$L", term(t));
            } else {
                b.add(t.coeff() < 0 ? " - $L" : " + $L", term(new Dim.Term(Math.abs(t.coeff()), t.symbols())));
            }
        }
        return b.add(")").build();
    }

    private CodeBlock term(Dim.Term t) {
        List<CodeBlock> factors = new ArrayList<>();
        if (t.coeff() != 1 || t.symbols().isEmpty()) {
            factors.add(CodeBlock.of("$LL", t.coeff()));
        }
        for (String s : t.symbols()) {
            if (FloorDiv.isAtom(s)) {
                // A strided window's size: computed from the symbols where it is used (a few ALU ops).
                FloorDiv a = FloorDiv.parse(s);
                factors.add(CodeBlock.of("$T.floorDiv($L, $LL)", Math.class, of(a.inner()), a.divisor()));
                continue;
            }
            String f = extents.get(s);
            factors.add(CodeBlock.of("$N", f != null ? f : param(s)));
        }
        return CodeBlock.join(factors, " * ");
    }

    /** A {@code long} expression for the product of {@code dims}. */
    CodeBlock product(List<Dim> dims) {
        return of(Dim.product(dims));
    }

    /** Row-major element strides of a contiguous tensor with {@code dims}. */
    static List<Dim> contiguousStrides(List<Dim> dims) {
        Dim[] strides = new Dim[dims.size()];
        Dim s = Dim.of(1);
        for (int i = dims.size() - 1; i >= 0; i--) {
            strides[i] = s;
            s = times(s, dims.get(i));
        }
        return List.of(strides);
    }

    /** Product that keeps zero as the plain {@code 0} so broadcast strides compare equal. */
    static Dim times(Dim a, Dim b) {
        return a.times(b);
    }

    static boolean isOne(Dim d) {
        return d.isFixed() && d.value() == 1;
    }

    static boolean isZero(Dim d) {
        return d.terms().isEmpty();
    }
}
