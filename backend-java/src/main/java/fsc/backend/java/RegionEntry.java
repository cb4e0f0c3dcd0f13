package fsc.backend.java;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import fsc.ir.Graph;
import fsc.ir.Value;
import javax.lang.model.element.Modifier;

/**
 * The entry points of a control-flow region's class, called by the enclosing node's method once per
 * branch taken or iteration: {@code invoke(in, symbols...)} points the class's inputs at the caller's
 * buffers (no copy, no allocation) and runs the region's nodes; {@code out(k)} is the buffer holding
 * result {@code k} until the next invoke.
 */
final class RegionEntry {
    private RegionEntry() {}

    static MethodSpec invoke(Graph region, ModelContext ctx, CodeBlock stages) {
        MethodSpec.Builder m = MethodSpec.methodBuilder("invoke")
                .addJavadoc("Runs the region on {@code in} (one buffer per parameter) under the caller's symbols.\n")
                .addModifiers(Modifier.PUBLIC)
                .addParameter(ArrayTypeName.of(JavaTypes.MEMORY_SEGMENT), "in")
                .addParameters(ctx.dims().parameters());
        m.addStatement(
                "$T.arraycopy(in, 0, $N, 0, $L)",
                System.class,
                ModelContext.IN_BUF,
                region.inputs().size());
        for (String p : ctx.dims().symbols().values()) {
            m.addStatement("$N = $N", ctx.symbolField(p), p);
        }
        return m.addCode(stages).build();
    }

    static MethodSpec out(Graph region, ModelContext ctx) {
        MethodSpec.Builder m = MethodSpec.methodBuilder("out")
                .addJavadoc("The buffer of result {@code k} of the last invoke (its leading bytes).\n")
                .addModifiers(Modifier.PUBLIC)
                .returns(JavaTypes.MEMORY_SEGMENT)
                .addParameter(TypeName.INT, "k");
        m.beginControlFlow("return switch (k)");
        for (int k = 0; k < region.outputs().size(); k++) {
            Value root = ctx.plan().rootOf(region.outputs().get(k));
            m.addStatement("case $L -> $L", k, ctx.buffer(root));
        }
        m.addStatement("default -> throw new $T($S + k)", IllegalArgumentException.class, "no region result ");
        m.addCode("$<};\n");
        return m.build();
    }
}
