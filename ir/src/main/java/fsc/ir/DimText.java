package fsc.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads a {@link Dim} back from its {@code toString} form ({@code 2*H+floor((W+3)/4)-1}), which is
 * how a {@link FloorDiv} atom keeps its inner dim inside a term's symbol string. Symbols are any run
 * of characters other than the operators, parentheses and digits that start a number.
 */
final class DimText {
    private final String s;
    private int pos;

    DimText(String s) {
        this.s = s;
    }

    static Dim parse(String text) {
        DimText r = new DimText(text);
        Dim d = r.dim();
        r.end();
        return d;
    }

    void end() {
        if (pos != s.length()) {
            throw error("unexpected '" + s.charAt(pos) + "'");
        }
    }

    Dim dim() {
        List<Dim.Term> terms = new ArrayList<>();
        boolean negative = eat('-');
        terms.add(term(negative));
        while (pos < s.length() && (peek('+') || peek('-'))) {
            negative = s.charAt(pos++) == '-';
            terms.add(term(negative));
        }
        return new Dim(terms);
    }

    private Dim.Term term(boolean negative) {
        long coeff = 1;
        List<String> syms = new ArrayList<>();
        if (pos < s.length() && Character.isDigit(s.charAt(pos))) {
            coeff = number();
        } else {
            syms.add(factor());
        }
        while (eat('*')) {
            syms.add(factor());
        }
        return new Dim.Term(negative ? -coeff : coeff, syms);
    }

    private String factor() {
        if (s.startsWith("floor((", pos)) {
            return atom().symbol();
        }
        int start = pos;
        while (pos < s.length() && "+-*/()".indexOf(s.charAt(pos)) < 0) {
            pos++;
        }
        if (start == pos) {
            throw error("expected a symbol");
        }
        return s.substring(start, pos);
    }

    FloorDiv atom() {
        if (!s.startsWith("floor((", pos)) {
            throw error("expected floor((");
        }
        pos += "floor((".length();
        Dim inner = dim();
        expect(')');
        expect('/');
        long divisor = number();
        expect(')');
        return new FloorDiv(inner, divisor);
    }

    private long number() {
        int start = pos;
        while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
            pos++;
        }
        if (start == pos) {
            throw error("expected a number");
        }
        return Long.parseLong(s.substring(start, pos));
    }

    private boolean peek(char c) {
        return pos < s.length() && s.charAt(pos) == c;
    }

    private boolean eat(char c) {
        if (peek(c)) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!eat(c)) {
            throw error("expected '" + c + "'");
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("dim \"" + s + "\" at " + pos + ": " + what);
    }
}
