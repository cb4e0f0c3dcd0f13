package fsc.runtime.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopMatcherTest {
    @Test
    void textThatMightStartAStopIsHeldBackUntilItCannot() {
        StopMatcher m = new StopMatcher(List.of("END", "\n\n"));
        assertEquals("abc", m.push("abcE"));
        assertEquals("", m.push("N"));
        assertEquals("ENx", m.push("x"), "'ENx' can no longer become 'END'");
        assertEquals("y", m.push("y\n"));
        assertEquals("", m.push("\nz"));
        assertTrue(m.stopped());
        assertEquals("", m.push("more"));
        assertEquals("", m.flush());
    }

    @Test
    void aStopSpanningTokensCutsAtItsStartAndTheEarliestStopWins() {
        StopMatcher m = new StopMatcher(List.of("cd", "b"));
        assertEquals("a", m.push("abcd"));
        assertTrue(m.stopped());
        StopMatcher n = new StopMatcher(List.of("xyz"));
        assertEquals("", n.push("x"));
        assertEquals("", n.push("y"));
        assertEquals("", n.push("z tail"));
        assertTrue(n.stopped());
        StopMatcher none = new StopMatcher(List.of("qq"));
        assertEquals("", none.push("q"));
        assertFalse(none.stopped());
        assertEquals("q", none.flush(), "held text is released when the generation ends");
    }
}
