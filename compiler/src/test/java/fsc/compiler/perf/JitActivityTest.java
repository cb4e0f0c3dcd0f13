package fsc.compiler.perf;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JitActivityTest {
    @Test
    void readsTheCompilerQueueForTheTimedCodeOnly() {
        assertFalse(
                JitActivity.hasWork("Current compiles: \n\nC1 compile queue:\nEmpty\n\nC2 compile queue:\nEmpty\n"));
        // A JDK method compiling is not the model's warm-up.
        assertFalse(JitActivity.hasWork(
                "Current compiles: \nC2 CompilerThread0  1783       4       java.lang.String::startsWith (123 bytes)\n"
                        + "\nC1 compile queue:\nEmpty\n\nC2 compile queue:\n"
                        + "1743       4       java.util.ArrayList::add (25 bytes)\n"));
        assertTrue(JitActivity.hasWork("Current compiles: \nC2 CompilerThread0  1790   %   4       "
                + "fsc.generated.m.Model::n12_matmul @ 40 (310 bytes)\n\nC1 compile queue:\nEmpty\n"));
        assertTrue(JitActivity.hasWork("Current compiles: \n\nC2 compile queue:\n"
                + "1801       4       jdk.incubator.vector.FloatVector::fma (20 bytes)\n"));
    }

    @Test
    void answersOnThisJvm() {
        JitActivity jit = new JitActivity();
        jit.busy(); // whatever it says, it must not throw
    }
}
