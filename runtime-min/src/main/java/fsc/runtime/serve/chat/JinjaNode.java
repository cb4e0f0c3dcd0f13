package fsc.runtime.serve.chat;

import java.util.List;

/** The parsed template: statements ({@link Node}) over expressions ({@link Expr}). Immutable. */
final class JinjaNode {
    private JinjaNode() {}

    sealed interface Node {}

    record Text(String text) implements Node {}

    record Output(Expr expr) implements Node {}

    record Branch(Expr condition, List<Node> body) {}

    /** if / elif… / else: the first branch whose condition holds, else {@code otherwise}. */
    record If(List<Branch> branches, List<Node> otherwise) implements Node {}

    /** {@code for a[, b] in iterable [if filter]}, with {@code loop.*} and an else body run when nothing iterated. */
    record For(List<String> targets, Expr iterable, Expr filter, List<Node> body, List<Node> otherwise)
            implements Node {}

    /** {@code set name = value} or {@code set ns.attr = value} ({@code attr} null for a plain name). */
    record Set(String name, String attr, Expr value) implements Node {}

    sealed interface Expr {}

    record Literal(Object value) implements Expr {}

    record Var(String name) implements Expr {}

    record Attr(Expr target, String name) implements Expr {}

    record Index(Expr target, Expr index) implements Expr {}

    record Slice(Expr target, Expr start, Expr stop, Expr step) implements Expr {}

    record Call(Expr function, List<Expr> args, List<String> kwNames, List<Expr> kwValues) implements Expr {}

    record Filter(Expr target, String name, List<Expr> args) implements Expr {}

    record Test(Expr target, String name, boolean negated, List<Expr> args) implements Expr {}

    record Unary(String op, Expr operand) implements Expr {}

    record Binary(String op, Expr left, Expr right) implements Expr {}

    record Conditional(Expr then, Expr condition, Expr otherwise) implements Expr {}

    record ListLit(List<Expr> items) implements Expr {}

    record DictLit(List<Expr> keys, List<Expr> values) implements Expr {}
}
