package fsc.backend.java;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import javax.lang.model.element.Modifier;

/**
 * The optional per-node timer of a generated model ({@code fsc profile}). Each node call in {@code
 * run} is bracketed by {@code NodeProfile.start(profile)} / {@code NodeProfile.stop(profile, slot)};
 * the field is null unless a tool calls {@code profileWith}, and both calls then reduce to one null
 * test the JIT inlines. The brackets are static calls on a field, not a local, so the chunked stage
 * methods stay straight lists of statements (about 20 extra bytes of bytecode per node).
 */
final class ProfileHook {
    static final ClassName NODE_PROFILE = ClassName.get("fsc.runtime.perf", "NodeProfile");
    static final ClassName PROFILED_MODEL = ClassName.get("fsc.runtime.perf", "ProfiledModel");
    static final String FIELD = "profile";

    private ProfileHook() {}

    /** The call of node method {@code name} for profiling slot {@code slot}. */
    static CodeBlock call(int slot, String name, CodeBlock args) {
        return CodeBlock.builder()
                // this.profile: a graph symbol named "profile" becomes a parameter of the stage method.
                .addStatement("$T.start(this.$N)", NODE_PROFILE, FIELD)
                .addStatement("$N($L)", name, args)
                .addStatement("$T.stop(this.$N, $L)", NODE_PROFILE, FIELD, slot)
                .build();
    }

    /** Makes {@code t} a {@code ProfiledModel} with {@code slots} slots. */
    static void addTo(TypeSpec.Builder t, int slots) {
        t.addSuperinterface(PROFILED_MODEL);
        t.addField(FieldSpec.builder(NODE_PROFILE, FIELD, Modifier.PRIVATE)
                .addJavadoc("Per-node timer, null unless profiling (fsc profile).\n")
                .build());
        t.addMethod(MethodSpec.methodBuilder("profileSlots")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC)
                .returns(TypeName.INT)
                .addStatement("return $L", slots)
                .build());
        t.addMethod(MethodSpec.methodBuilder("profileWith")
                .addAnnotation(Override.class)
                .addModifiers(Modifier.PUBLIC, Modifier.SYNCHRONIZED)
                .addParameter(NODE_PROFILE, "p")
                .beginControlFlow("if (p != null && p.slots() != $L)", slots)
                .addStatement(
                        "throw new $T(\"this model has $L profiling slots, the profile has \" + p.slots())",
                        IllegalArgumentException.class,
                        slots)
                .endControlFlow()
                .addStatement("this.$N = p", FIELD)
                .build());
    }
}
