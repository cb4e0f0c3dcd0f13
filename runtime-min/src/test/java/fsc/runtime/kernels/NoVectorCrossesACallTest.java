package fsc.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No runtime kernel passes a vector to, or gets one from, a call of another fsc method (docs/DECISIONS.md):
 * a {@code FloatVector} crossing a call C2 does not inline is boxed, and whether C2 inlines depends
 * on what else ran in the JVM, so the steady-state tests allocated per call in one JVM in three or
 * four. Steady-state tests cannot catch that reliably; the bytecode can. This reads every class of
 * runtime-min and lists each call, from a method that itself takes and returns no vector, to an
 * fsc method whose signature holds a vector. Methods that do take vectors (helpers for generated
 * code such as {@link Lanes#sum}, {@link VectorExp#exp}) and static initialisers are not kernels.
 */
class NoVectorCrossesACallTest {
    /**
     * The calls still there, each compiled by C2 inside a loop kernel that is never inlined into a
     * bigger method (too big to be), so the callee, 227 bytes and under 1.2 KB of code when it has
     * its own compile, is inlined: no refusal was seen in any {@code -XX:+LogCompilation} run. Not a
     * guarantee, hence listed; the fix is e^x written in those loops.
     */
    private static final Set<String> KNOWN = Set.of(
            "fsc/runtime/kernels/FloatMath.geluTanhInPlace -> fsc/runtime/kernels/VectorExp.tanh",
            "fsc/runtime/kernels/SiluMul.block -> fsc/runtime/kernels/FloatMath.exp");

    @Test
    void noKernelPassesAVectorToACall() throws Exception {
        Path classes = Path.of(
                Lanes.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.isDirectory(classes.resolve("fsc/runtime/quant")), "runtime-min classes at " + classes);
        Set<String> calls = new TreeSet<>();
        int scanned = 0;
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                ClassModel c = ClassFile.of().parse(Files.readAllBytes(p));
                scanned++;
                for (MethodModel m : c.methods()) {
                    if (carriesVector(m.methodTypeSymbol()) || m.methodName().equalsString("<clinit>")) {
                        continue;
                    }
                    String caller = c.thisClass().asInternalName() + "."
                            + m.methodName().stringValue();
                    m.code().ifPresent(code -> {
                        for (CodeElement e : code) {
                            if (e instanceof InvokeInstruction i
                                    && i.owner().asInternalName().startsWith("fsc/")
                                    && carriesVector(i.typeSymbol())) {
                                calls.add(caller + " -> " + i.owner().asInternalName() + "."
                                        + i.name().stringValue());
                            }
                        }
                    });
                }
            }
        }
        assertTrue(scanned > 100, "scanned only " + scanned + " classes");
        List<String> unexpected = new ArrayList<>(calls);
        unexpected.removeAll(KNOWN);
        assertEquals(List.of(), unexpected, "kernels passing a vector to a call (write it inline)");
        assertEquals(KNOWN, calls, "a listed call is gone: drop it from KNOWN");
    }

    /** Whether a signature holds a vector value ({@code *Vector}, {@code VectorMask}); shuffles are setup data. */
    private static boolean carriesVector(MethodTypeDesc t) {
        return isVector(t.returnType()) || t.parameterList().stream().anyMatch(NoVectorCrossesACallTest::isVector);
    }

    private static boolean isVector(ClassDesc c) {
        return c.isClassOrInterface()
                && c.packageName().equals("jdk.incubator.vector")
                && (c.displayName().endsWith("Vector") || c.displayName().equals("VectorMask"));
    }
}
