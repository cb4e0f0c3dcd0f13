package fsc.ir.text;

import fsc.ir.Graph;
import fsc.ir.Weights;
import fsc.ir.text.parser.FsirLexer;
import fsc.ir.text.parser.FsirParser;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;

/**
 * Reads {@code .fsir} text (grammar {@code Fsir.g4}, documented in {@code docs/IR.md}) back into the
 * exact graph {@link IrPrinter} printed: {@code print(parse(print(g))) == print(g)}. Constants name
 * weights in {@code weights} (the side file written next to dumps); hand-written files may give small
 * constants inline instead. Every error, syntactic or semantic, is one {@link fsc.ir.FscException}
 * line starting {@code sourceName:LINE:COL:}; the graph is verified before it is returned.
 */
public final class IrParser {
    private IrParser() {}

    public static Graph parse(String text, String sourceName, Weights weights) {
        FsirLexer lexer = new FsirLexer(CharStreams.fromString(text, sourceName));
        lexer.removeErrorListeners();
        lexer.addErrorListener(SyntaxErrors.lexerListener(sourceName));
        FsirParser parser = new FsirParser(new CommonTokenStream(lexer));
        parser.removeErrorListeners();
        parser.setErrorHandler(SyntaxErrors.strategy(sourceName));
        FsirParser.FileContext file = parser.file();
        return new GraphReader(sourceName, weights).read(file.graph());
    }

    /** A file without constants, or whose constants are all inline. */
    public static Graph parse(String text, String sourceName) {
        return parse(text, sourceName, Weights.empty());
    }
}
