package fsc.runtime.serve.chat;

import fsc.runtime.serve.chat.JinjaLexer.Segment;
import fsc.runtime.serve.chat.JinjaLexer.Token;
import fsc.runtime.serve.chat.JinjaLexer.TokenKind;
import fsc.runtime.serve.chat.JinjaNode.Attr;
import fsc.runtime.serve.chat.JinjaNode.Binary;
import fsc.runtime.serve.chat.JinjaNode.Branch;
import fsc.runtime.serve.chat.JinjaNode.Call;
import fsc.runtime.serve.chat.JinjaNode.Conditional;
import fsc.runtime.serve.chat.JinjaNode.DictLit;
import fsc.runtime.serve.chat.JinjaNode.Expr;
import fsc.runtime.serve.chat.JinjaNode.Filter;
import fsc.runtime.serve.chat.JinjaNode.For;
import fsc.runtime.serve.chat.JinjaNode.If;
import fsc.runtime.serve.chat.JinjaNode.Index;
import fsc.runtime.serve.chat.JinjaNode.ListLit;
import fsc.runtime.serve.chat.JinjaNode.Literal;
import fsc.runtime.serve.chat.JinjaNode.Node;
import fsc.runtime.serve.chat.JinjaNode.Output;
import fsc.runtime.serve.chat.JinjaNode.Set;
import fsc.runtime.serve.chat.JinjaNode.Slice;
import fsc.runtime.serve.chat.JinjaNode.Test;
import fsc.runtime.serve.chat.JinjaNode.Text;
import fsc.runtime.serve.chat.JinjaNode.Unary;
import fsc.runtime.serve.chat.JinjaNode.Var;
import java.util.ArrayList;
import java.util.List;

/**
 * Recursive descent over the lexer's segments, with Jinja2's operator precedence (lowest first):
 * conditional {@code a if c else b}, {@code or}, {@code and}, {@code not}, comparisons and {@code
 * in}, {@code + -}, {@code ~}, {@code * / // %}, unary minus, then postfix (attribute, subscript,
 * slice, call) followed by filters {@code |f(…)} and tests {@code is [not] t}.
 */
final class JinjaParser {
    private final List<Segment> segments;
    private int seg;
    private List<Token> toks;
    private int pos;

    private JinjaParser(List<Segment> segments) {
        this.segments = segments;
    }

    static List<Node> parse(String template) {
        JinjaParser p = new JinjaParser(JinjaLexer.lex(template));
        List<Node> body = p.block(List.of());
        if (p.seg < p.segments.size()) {
            throw new TemplateException(
                    "unexpected '{% " + p.segments.get(p.seg).text().strip() + " %}'");
        }
        return body;
    }

    /** Nodes up to (not consuming) a statement whose keyword is in {@code ends}; the end of input when empty. */
    private List<Node> block(List<String> ends) {
        List<Node> out = new ArrayList<>();
        while (seg < segments.size()) {
            Segment s = segments.get(seg);
            switch (s.kind()) {
                case TEXT -> {
                    out.add(new Text(s.text()));
                    seg++;
                }
                case EXPR -> {
                    begin(s);
                    out.add(new Output(expression()));
                    finish(s);
                    seg++;
                }
                case STMT -> {
                    String kw =
                            s.tokens().isEmpty() ? "" : s.tokens().getFirst().text();
                    if (ends.contains(kw)) {
                        return out;
                    }
                    out.add(statement(s, kw));
                }
            }
        }
        if (!ends.isEmpty()) {
            throw new TemplateException("missing '{% " + ends.getLast() + " %}'");
        }
        return out;
    }

    private Node statement(Segment s, String kw) {
        begin(s);
        pos = 1;
        switch (kw) {
            case "if" -> {
                List<Branch> branches = new ArrayList<>();
                Expr cond = expression();
                finish(s);
                seg++;
                while (true) {
                    List<Node> body = block(List.of("elif", "else", "endif"));
                    branches.add(new Branch(cond, body));
                    Segment end = segments.get(seg);
                    String k = end.tokens().getFirst().text();
                    begin(end);
                    pos = 1;
                    if (k.equals("elif")) {
                        cond = expression();
                        finish(end);
                        seg++;
                        continue;
                    }
                    finish(end);
                    seg++;
                    List<Node> otherwise = List.of();
                    if (k.equals("else")) {
                        otherwise = block(List.of("endif"));
                        seg++;
                    }
                    return new If(branches, otherwise);
                }
            }
            case "for" -> {
                List<String> targets = new ArrayList<>();
                targets.add(name());
                while (accept(",")) {
                    targets.add(name());
                }
                expectName("in");
                Expr iterable = orExpr();
                Expr filter = acceptName("if") ? orExpr() : null;
                finish(s);
                seg++;
                List<Node> body = block(List.of("else", "endfor"));
                List<Node> otherwise = List.of();
                if (segments.get(seg).tokens().getFirst().text().equals("else")) {
                    seg++;
                    otherwise = block(List.of("endfor"));
                }
                seg++;
                return new For(targets, iterable, filter, body, otherwise);
            }
            case "set" -> {
                String target = name();
                String attr = accept(".") ? name() : null;
                expect("=");
                Expr value = expression();
                finish(s);
                seg++;
                return new Set(target, attr, value);
            }
            case "generation" -> { // a marker some templates wrap assistant turns in; renders its body
                seg++;
                List<Node> body = block(List.of("endgeneration"));
                seg++;
                return new If(List.of(new Branch(new Literal(true), body)), List.of());
            }
            default ->
                throw new TemplateException("the statement '{% " + s.text().strip() + " %}' is not supported");
        }
    }

    private void begin(Segment s) {
        toks = s.tokens();
        pos = 0;
    }

    private void finish(Segment s) {
        if (pos != toks.size()) {
            throw new TemplateException(
                    "unexpected '" + toks.get(pos).text() + "' in '" + s.text().strip() + "'");
        }
    }

    private Token peek() {
        return pos < toks.size() ? toks.get(pos) : null;
    }

    private boolean at(String op) {
        Token t = peek();
        return t != null && t.kind() == TokenKind.OP && t.text().equals(op);
    }

    private boolean atName(String n) {
        Token t = peek();
        return t != null && t.kind() == TokenKind.NAME && t.text().equals(n);
    }

    private boolean accept(String op) {
        if (at(op)) {
            pos++;
            return true;
        }
        return false;
    }

    private boolean acceptName(String n) {
        if (atName(n)) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(String op) {
        if (!accept(op)) {
            throw new TemplateException("expected '" + op + "'" + where());
        }
    }

    private void expectName(String n) {
        if (!acceptName(n)) {
            throw new TemplateException("expected '" + n + "'" + where());
        }
    }

    private String name() {
        Token t = peek();
        if (t == null || t.kind() != TokenKind.NAME) {
            throw new TemplateException("expected a name" + where());
        }
        pos++;
        return t.text();
    }

    private String where() {
        Token t = peek();
        return t == null ? " at the end of a tag" : " before '" + t.text() + "'";
    }

    Expr expression() {
        Expr e = orExpr();
        if (acceptName("if")) {
            Expr cond = orExpr();
            Expr otherwise = acceptName("else") ? expression() : new Literal(JinjaValues.UNDEFINED);
            return new Conditional(e, cond, otherwise);
        }
        return e;
    }

    private Expr orExpr() {
        Expr e = andExpr();
        while (acceptName("or")) {
            e = new Binary("or", e, andExpr());
        }
        return e;
    }

    private Expr andExpr() {
        Expr e = notExpr();
        while (acceptName("and")) {
            e = new Binary("and", e, notExpr());
        }
        return e;
    }

    private Expr notExpr() {
        if (acceptName("not")) {
            return new Unary("not", notExpr());
        }
        return compare();
    }

    private Expr compare() {
        Expr e = add();
        while (true) {
            Token t = peek();
            if (t == null) {
                return e;
            }
            if (t.kind() == TokenKind.OP
                    && List.of("==", "!=", "<", ">", "<=", ">=").contains(t.text())) {
                pos++;
                e = new Binary(t.text(), e, add());
            } else if (atName("in")) {
                pos++;
                e = new Binary("in", e, add());
            } else if (atName("not")
                    && pos + 1 < toks.size()
                    && toks.get(pos + 1).text().equals("in")) {
                pos += 2;
                e = new Unary("not", new Binary("in", e, add()));
            } else {
                return e;
            }
        }
    }

    private Expr add() {
        Expr e = concat();
        while (at("+") || at("-")) {
            String op = toks.get(pos++).text();
            e = new Binary(op, e, concat());
        }
        return e;
    }

    private Expr concat() {
        Expr e = mul();
        while (accept("~")) {
            e = new Binary("~", e, mul());
        }
        return e;
    }

    private Expr mul() {
        Expr e = unary();
        while (at("*") || at("/") || at("//") || at("%")) {
            String op = toks.get(pos++).text();
            e = new Binary(op, e, unary());
        }
        return e;
    }

    private Expr unary() {
        if (accept("-")) {
            return new Unary("-", unary());
        }
        if (accept("+")) {
            return unary();
        }
        return filtered(postfix(primary()));
    }

    private Expr filtered(Expr e) {
        while (true) {
            if (accept("|")) {
                String f = name();
                List<Expr> args = new ArrayList<>();
                if (accept("(")) {
                    args = arguments(null, null);
                }
                e = postfix(new Filter(e, f, args));
            } else if (acceptName("is")) {
                boolean negated = acceptName("not");
                String t = name();
                List<Expr> args = new ArrayList<>();
                if (accept("(")) {
                    args = arguments(null, null);
                } else if (peek() != null && (peek().kind() == TokenKind.STRING || peek().kind() == TokenKind.INT)) {
                    args.add(primary()); // "is divisibleby 3", "is equalto 'x'"
                }
                e = new Test(e, t, negated, args);
            } else {
                return e;
            }
        }
    }

    private Expr postfix(Expr e) {
        while (true) {
            if (accept(".")) {
                e = new Attr(e, name());
            } else if (accept("[")) {
                Expr start = at(":") ? null : expression();
                if (accept(":")) {
                    Expr stop = at("]") || at(":") ? null : expression();
                    Expr step = accept(":") && !at("]") ? expression() : null;
                    expect("]");
                    e = new Slice(e, start, stop, step);
                } else {
                    expect("]");
                    e = new Index(e, start);
                }
            } else if (accept("(")) {
                List<String> names = new ArrayList<>();
                List<Expr> values = new ArrayList<>();
                List<Expr> args = arguments(names, values);
                e = new Call(e, args, names, values);
            } else {
                return e;
            }
        }
    }

    /** Arguments up to ')': positional ones returned, keyword ones added to names/values (refused when null). */
    private List<Expr> arguments(List<String> names, List<Expr> values) {
        List<Expr> args = new ArrayList<>();
        while (!accept(")")) {
            Token t = peek();
            if (t != null
                    && t.kind() == TokenKind.NAME
                    && pos + 1 < toks.size()
                    && toks.get(pos + 1).text().equals("=")
                    && toks.get(pos + 1).kind() == TokenKind.OP) {
                pos += 2;
                Expr v = expression();
                if (names != null) {
                    names.add(t.text());
                    values.add(v);
                } // keyword arguments of filters (tojson(indent=2)) are accepted and ignored
            } else {
                args.add(expression());
            }
            if (!accept(",")) {
                expect(")");
                break;
            }
        }
        return args;
    }

    private Expr primary() {
        Token t = peek();
        if (t == null) {
            throw new TemplateException("expected a value at the end of a tag");
        }
        pos++;
        switch (t.kind()) {
            case STRING -> {
                StringBuilder b = new StringBuilder(t.text());
                while (peek() != null && peek().kind() == TokenKind.STRING) { // adjacent literals join
                    b.append(toks.get(pos++).text());
                }
                return new Literal(b.toString());
            }
            case INT -> {
                return new Literal(Long.parseLong(t.text()));
            }
            case FLOAT -> {
                return new Literal(Double.parseDouble(t.text()));
            }
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Literal(true);
                    case "false", "False" -> new Literal(false);
                    case "none", "None" -> new Literal(null);
                    default -> new Var(t.text());
                };
            }
            case OP -> {
                switch (t.text()) {
                    case "(" -> {
                        Expr e = expression();
                        if (accept(",")) { // a tuple: treated as a list
                            List<Expr> items = new ArrayList<>(List.of(e));
                            while (!at(")")) {
                                items.add(expression());
                                if (!accept(",")) {
                                    break;
                                }
                            }
                            expect(")");
                            return new ListLit(items);
                        }
                        expect(")");
                        return e;
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!accept("]")) {
                            items.add(expression());
                            if (!accept(",")) {
                                expect("]");
                                break;
                            }
                        }
                        return new ListLit(items);
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!accept("}")) {
                            keys.add(expression());
                            expect(":");
                            values.add(expression());
                            if (!accept(",")) {
                                expect("}");
                                break;
                            }
                        }
                        return new DictLit(keys, values);
                    }
                    default -> throw new TemplateException("unexpected '" + t.text() + "'");
                }
            }
        }
        throw new IllegalStateException("token kind " + t.kind());
    }
}
