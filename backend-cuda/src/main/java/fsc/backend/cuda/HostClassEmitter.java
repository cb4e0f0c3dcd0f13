package fsc.backend.cuda;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeSpec;
import fsc.ir.Dim;
import fsc.runtime.cuda.CudaProgram;
import fsc.runtime.cuda.KernelLaunch;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * Emits the host launcher class (JavaPoet): a {@link CudaProgram} with the symbols, arena size,
 * input/output slots and, per kernel, its launch geometry as Java arithmetic over the call's symbol
 * values, the same formulas {@link Launch} evaluates in the compiler. Launches are split into
 * methods of {@link #PER_METHOD} so each stays far below HotSpot's 8,000-byte compile limit.
 */
final class HostClassEmitter {
    private HostClassEmitter() {}

    static final int PER_METHOD = 32;
    static final String CLASS = "CudaLauncher";

    private static final ClassName LAUNCH = ClassName.get(KernelLaunch.class);
    private static final ClassName SLOT = ClassName.get(CudaProgram.Slot.class);
    private static final ClassName BUFFER = ClassName.get(CudaProgram.Buffer.class);
    private static final ClassName LIST = ClassName.get(List.class);
    private static final ClassName ARRAY_LIST = ClassName.get(ArrayList.class);

    static JavaFile emit(CudaModule m, String packageName, String banner) {
        TypeSpec.Builder t = TypeSpec.classBuilder(CLASS)
                .addJavadoc(
                        "$L\n\nLaunch geometry of every kernel in model.cu, for the call's symbol values.\n", banner)
                .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
                .addSuperinterface(CudaProgram.class);
        t.addMethod(MethodSpec.methodBuilder("symbols")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(ParameterizedTypeName.get(LIST, ClassName.get(String.class)))
                .addStatement("return $T.of($L)", LIST, strings(m.symbols()))
                .build());
        t.addMethod(MethodSpec.methodBuilder("arenaBytes")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(long.class)
                .addStatement("return $LL", m.layout().arenaBytes())
                .build());
        t.addMethod(slots("inputs", m.layout().inputs()));
        t.addMethod(slots("outputs", m.layout().outputs()));
        t.addMethod(HostSignatures.inputSpecs(m));
        t.addMethod(HostSignatures.outputShape(m));
        MethodSpec.Builder all = MethodSpec.methodBuilder("launches")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(ParameterizedTypeName.get(LIST, LAUNCH))
                .addParameter(long[].class, "s")
                .addStatement(
                        "$T<$T> out = new $T<>($L)",
                        LIST,
                        LAUNCH,
                        ARRAY_LIST,
                        m.kernels().size());
        List<Kernel> ks = m.kernels();
        for (int from = 0, part = 0; from < ks.size(); from += PER_METHOD, part++) {
            String name = "launches" + part;
            MethodSpec.Builder chunk = MethodSpec.methodBuilder(name)
                    .addModifiers(Modifier.PRIVATE, Modifier.STATIC)
                    .addParameter(long[].class, "s")
                    .addParameter(ParameterizedTypeName.get(LIST, LAUNCH), "out");
            for (Kernel k : ks.subList(from, Math.min(ks.size(), from + PER_METHOD))) {
                chunk.addComment("node $L", k.node().replace('\n', ' '));
                chunk.addStatement("out.add($L)", launch(k, m.symbols()));
            }
            t.addMethod(chunk.build());
            all.addStatement("$N(s, out)", name);
        }
        t.addMethod(all.addStatement("return out").build());
        return JavaFile.builder(packageName, t.build())
                .skipJavaLangImports(true)
                .build();
    }

    private static MethodSpec slots(String name, List<DeviceLayout.Io> ios) {
        CodeBlock.Builder list = CodeBlock.builder();
        for (int i = 0; i < ios.size(); i++) {
            DeviceLayout.Io io = ios.get(i);
            list.add(i == 0 ? "" : ",\n")
                    .add(
                            "new $T($S, $T.$L, $T.$L, $LL)",
                            SLOT,
                            io.value().name(),
                            HostSignatures.ELEM_TYPE,
                            HostSignatures.elemType(io.value()),
                            BUFFER,
                            io.space().name(),
                            io.offset());
        }
        return MethodSpec.methodBuilder(name)
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(ParameterizedTypeName.get(LIST, SLOT))
                .addStatement("return $T.of($L)", LIST, list.build())
                .build();
    }

    static CodeBlock launch(Kernel k, List<String> symbols) {
        Launch l = k.launch();
        CodeBlock.Builder grid = CodeBlock.builder();
        for (int i = 0; i < 3; i++) {
            Launch.Extent e = l.grid().get(i);
            grid.add(i == 0 ? "" : ", ")
                    .add("$T.blocks($L, $LL, $LL)", LAUNCH, javaDim(e.work(), symbols), e.perBlock(), e.cap());
        }
        String shared = l.sharedBytes().isEmpty()
                ? "0"
                : "(int) ("
                        + String.join(
                                " + ",
                                l.sharedBytes().stream()
                                        .map(d -> javaDim(d, symbols))
                                        .toList()) + ")";
        return CodeBlock.of(
                "new $T($S, new long[] {$L}, new int[] {$L, $L, $L}, $L)",
                LAUNCH,
                k.name(),
                grid.build(),
                l.block().get(0),
                l.block().get(1),
                l.block().get(2),
                shared);
    }

    /**
     * A dim as Java: {@code 384L * s[0] * s[1]}, a sum as its terms joined by {@code +}; symbols by
     * their index in the sorted list.
     */
    static String javaDim(Dim d, List<String> symbols) {
        if (d.terms().isEmpty()) {
            return "0L";
        }
        List<String> terms = new ArrayList<>();
        for (Dim.Term t : d.terms()) {
            StringBuilder sb = new StringBuilder(t.coeff() + "L");
            for (String sym : t.symbols()) {
                int i = symbols.indexOf(sym);
                if (i < 0) {
                    throw new IllegalStateException(
                            "backend-cuda: symbol " + sym + " is not a graph symbol " + symbols);
                }
                sb.append(" * s[").append(i).append("]");
            }
            terms.add(sb.toString());
        }
        return String.join(" + ", terms);
    }

    private static String strings(List<String> xs) {
        return String.join(
                ", ",
                xs.stream().map(x -> "\"" + x.replace("\"", "\\\"") + "\"").toList());
    }
}
