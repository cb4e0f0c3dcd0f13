package fsc.backend.java;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeSpec;
import java.util.List;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

/** javac in process: class bytes in memory; failures carry the diagnostics and numbered source lines. */
class InMemoryJavacTest {
    private static JavaFile file(String statement) {
        TypeSpec t = TypeSpec.classBuilder("Probe")
                .addMethod(MethodSpec.methodBuilder("f").addStatement(statement).build())
                .build();
        return JavaFile.builder("fsc.generated.probe", t).build();
    }

    @Test
    void compilesToClassBytesInMemory() {
        SortedMap<String, byte[]> classes =
                InMemoryJavac.compile(List.of(file("int x = 1")), JavaBackend.runtimeLocation());
        assertTrue(
                classes.containsKey("fsc/generated/probe/Probe.class"),
                classes.keySet().toString());
    }

    @Test
    void errorsCarryDiagnosticsAndNumberedSource() {
        JavacFailure f = assertThrows(
                JavacFailure.class,
                () -> InMemoryJavac.compile(List.of(file("int x = undefinedName")), JavaBackend.runtimeLocation()));
        String m = f.getMessage();
        assertTrue(m.contains("fsc/generated/probe/Probe.java:5: cannot find symbol"), m);
        assertTrue(m.contains(">     5 |     int x = undefinedName;"), m);
        assertTrue(m.contains("      4 |   void f() {"), m);
    }
}
