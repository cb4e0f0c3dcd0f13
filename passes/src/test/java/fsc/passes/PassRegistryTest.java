package fsc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.FscException;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class PassRegistryTest {

    @Test
    void listIsSortedWithUniqueNamesAndSummaries() {
        List<String> names = PassRegistry.names();
        assertEquals(List.copyOf(new TreeSet<>(names)), names, "sorted, no duplicates");
        for (Pass p : PassRegistry.all()) {
            assertTrue(p.name().matches("[a-z]+(-[a-z]+)*"), p.name() + " is lower kebab case");
            assertFalse(p.info().summary().isBlank(), p.name() + " has a summary");
        }
    }

    @Test
    void defaultPipelineUsesRegisteredPasses() {
        for (Pass p : Pipelines.cpuDefault()) {
            assertEquals(p.getClass(), PassRegistry.byName(p.name()).getClass());
        }
    }

    @Test
    void unknownNameListsTheValidOnes() {
        FscException e = assertThrows(FscException.class, () -> PassRegistry.byName("fuse-everything"));
        assertEquals(
                "unknown pass 'fuse-everything'; valid passes: " + String.join(", ", PassRegistry.names()),
                e.getMessage());
        assertTrue(e.getMessage().contains("valid passes: attention-layout, cse, dce, fold, "), e.getMessage());
    }

    @Test
    void parsesCommaSeparatedPipelines() {
        assertEquals(
                List.of("fold", "dce", "fold"),
                PassRegistry.parse(" fold, dce,,fold ").stream().map(Pass::name).toList());
        assertThrows(FscException.class, () -> PassRegistry.parse(" , "));
    }

    @Test
    void describesEveryPassOnOneLine() {
        String text = PassRegistry.describe();
        assertEquals(PassRegistry.all().size(), text.lines().count());
        assertTrue(text.lines().findFirst().orElseThrow().matches("attention-layout +read attention.*"), text);
    }
}
