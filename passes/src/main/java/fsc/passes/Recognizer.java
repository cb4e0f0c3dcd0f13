package fsc.passes;

import fsc.ir.Node;
import java.util.List;

/**
 * One decomposed pattern that {@link RecognizePass} turns into a high-level op. A recognizer is
 * anchored at the pattern's last node and walks up through its operands' definitions.
 */
interface Recognizer {
    /** The high-level op it produces, for the pass's report. */
    String produces();

    /** The nodes to put in place of {@code anchor} (the last one defines the anchor's outputs), or null. */
    List<Node> match(Node anchor, PatternGraph g);
}
