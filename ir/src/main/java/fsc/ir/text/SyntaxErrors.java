package fsc.ir.text;

import fsc.ir.FscException;
import fsc.ir.text.parser.FsirParser;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * Turns the first syntax error into one located line, {@code file.fsir:LINE:COL: expected X,
 * found Y}, thrown as an {@link FscException}. ANTLR's default strategy would report and recover;
 * a compiler input with one mistake is better served by stopping at it with a precise message.
 * Columns are 1-based, like compilers print them.
 */
final class SyntaxErrors {
    private SyntaxErrors() {}

    /** Lexer errors (a character no token starts with). */
    static BaseErrorListener lexerListener(String source) {
        return new BaseErrorListener() {
            @Override
            public void syntaxError(
                    Recognizer<?, ?> recognizer,
                    Object offendingSymbol,
                    int line,
                    int charPositionInLine,
                    String msg,
                    RecognitionException e) {
                String text = msg.replaceFirst("^token recognition error at: ", "");
                throw new FscException(
                        source + ":" + line + ":" + (charPositionInLine + 1) + ": unexpected text " + text);
            }
        };
    }

    /** The parser's strategy: every error path throws at the first offending token. */
    static DefaultErrorStrategy strategy(String source) {
        return new DefaultErrorStrategy() {
            @Override
            public void reportError(Parser p, RecognitionException e) {
                IntervalSet expected = e.getExpectedTokens();
                throw fail(
                        source,
                        p,
                        e.getOffendingToken() != null ? e.getOffendingToken() : p.getCurrentToken(),
                        expected);
            }

            @Override
            public Token recoverInline(Parser p) {
                throw fail(source, p, p.getCurrentToken(), p.getExpectedTokens());
            }

            @Override
            public void recover(Parser p, RecognitionException e) {
                throw fail(source, p, p.getCurrentToken(), p.getExpectedTokens());
            }

            @Override
            protected void reportUnwantedToken(Parser p) {
                throw fail(source, p, p.getCurrentToken(), p.getExpectedTokens());
            }

            @Override
            protected void reportMissingToken(Parser p) {
                throw fail(source, p, p.getCurrentToken(), p.getExpectedTokens());
            }

            @Override
            public void sync(Parser p) {
                try {
                    super.sync(p);
                } catch (InputMismatchException e) {
                    throw fail(source, p, p.getCurrentToken(), p.getExpectedTokens());
                }
            }
        };
    }

    private static FscException fail(String source, Parser p, Token found, IntervalSet expected) {
        return new FscException(source + ":" + found.getLine() + ":" + (found.getCharPositionInLine() + 1)
                + ": expected " + describe(expected) + ", found " + describe(found));
    }

    private static String describe(Token t) {
        if (t.getType() == Token.EOF) {
            return "end of file";
        }
        return "'" + t.getText() + "'";
    }

    /** The expected tokens in words, sorted so the message is deterministic; identifiers once. */
    private static String describe(IntervalSet expected) {
        TreeSet<String> words = new TreeSet<>();
        boolean ident = false;
        for (int type : expected.toList()) {
            String w = word(type);
            if (type == FsirParser.IDENT) {
                ident = true;
            } else if (w != null) {
                words.add(w);
            }
        }
        List<String> parts = new ArrayList<>();
        if (ident) {
            // Keywords are also identifiers where an identifier fits: say "a name" once.
            words.removeIf(w -> w.matches("'[a-z]+'"));
            parts.add("a name");
        }
        parts.addAll(words);
        if (parts.isEmpty()) {
            return "something else";
        }
        if (parts.size() == 1) {
            return parts.getFirst();
        }
        return String.join(", ", parts.subList(0, parts.size() - 1)) + " or " + parts.getLast();
    }

    private static String word(int type) {
        return switch (type) {
            case Token.EOF -> "end of file";
            case FsirParser.GLOBAL -> "a name after '@'";
            case FsirParser.VALUE -> "a value (%name)";
            case FsirParser.HEX -> "a hex number (0x...)";
            case FsirParser.FLOAT -> "a float";
            case FsirParser.INT -> "an integer";
            case FsirParser.IDENT -> "a name";
            case FsirParser.STRING -> "a string";
            default -> FsirParser.VOCABULARY.getLiteralName(type);
        };
    }
}
