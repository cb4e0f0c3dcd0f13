package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import java.util.List;
import java.util.function.Function;
import javax.lang.model.element.Modifier;

/**
 * An element-wise vector loop with a scalar twin for a fresh JVM's first calls (docs/EDGE.md §2).
 * Until C2 compiles the node method, every Vector API op in it runs the API's Java fallback, hundreds
 * of times slower than the plain float loop the interpreter runs and C1 compiles at once. So the loop
 * asks its own {@code VectorWarmth} (a static field per loop: JIT state is per method) whether the
 * vector code runs compiled yet; while it does not, a static helper method does the whole-vector part
 * element by element with each lane's arithmetic ({@code lanes}: the same operations in the same
 * order, so the same bits, and a switch mid-model changes nothing), and one run in 32 takes the
 * vector loop, timed, so C2 sees it get hot. The tail is the same scalar code either way.
 *
 * <pre>{@code
 * long bound = FS.loopBound(n);
 * long i = 0;
 * if (!n3_fused_warmth.warm() && !n3_fused_warmth.sample()) {
 *     n3_fused_cold(y, in1, yOff, in1Off, bound);   // for (long i = 0; i < bound; i++) { lanes }
 *     i = bound;
 * } else {
 *     long start = n3_fused_warmth.warm() ? 0L : System.nanoTime();
 *     for (; i < bound; i += FS.length()) { vector }
 *     if (start != 0L) n3_fused_warmth.timed(System.nanoTime() - start, bound);
 * }
 * for (; i < n; i++) { tail }
 * }</pre>
 *
 * The twin is a method of its own so the node method's vector loop keeps the shape and size it had
 * (what C2 inlines into it, and so whether a vector crosses a call, depends on the caller's size).
 */
final class WarmedLoop {
    /**
     * Nanoseconds per element between the two forms of an element-wise loop: compiled vector code
     * takes well under one (a tanh about 1 with the clock read), the Java fallback tens to thousands.
     */
    static final double WARM_NS_PER_ELEMENT = 5;

    private WarmedLoop() {}

    /**
     * The loop over {@code [0, count)}. {@code vector}, {@code lanes} and {@code tail} get the
     * induction variable's name; {@code lanes} may read only the {@code segments} and the long
     * {@code offsets} named (they become the twin's parameters, under the same names).
     * {@code hoisted} (vectors the loop reads, built once) runs before the vector loop only: the
     * twin never touches the Vector API.
     */
    static CodeBlock emit(
            Scope s,
            CodeBlock count,
            CodeBlock hoisted,
            Function<String, CodeBlock> vector,
            Function<String, CodeBlock> lanes,
            Function<String, CodeBlock> tail,
            List<String> segments,
            List<String> offsets) {
        String warmth = s.model().uniqueMember(s.methodName() + "_warmth");
        s.model()
                .addStaticField(FieldSpec.builder(
                                JavaTypes.VECTOR_WARMTH, warmth, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                        .addJavadoc(
                                "Whether $N's vector loop runs compiled yet; until then its scalar twin runs.\n",
                                s.methodName())
                        .initializer("new $T($L)", JavaTypes.VECTOR_WARMTH, WARM_NS_PER_ELEMENT)
                        .build());
        // An operand read twice (x * x over one value) names one buffer twice: one parameter each.
        segments = List.copyOf(new java.util.LinkedHashSet<>(segments));
        offsets = List.copyOf(new java.util.LinkedHashSet<>(offsets));
        String i = s.local("i");
        String n = s.local("n");
        String bound = s.local("bound");
        String start = s.local("start");
        String cold = coldTwin(s, lanes, segments, offsets, i, bound);
        CodeBlock args = CodeBlock.join(
                java.util.stream.Stream.concat(
                                java.util.stream.Stream.concat(segments.stream(), offsets.stream()),
                                java.util.stream.Stream.of(bound))
                        .map(a -> CodeBlock.of("$N", a))
                        .toList(),
                ", ");
        return CodeBlock.builder()
                .addStatement("long $N = $L", n, count)
                .addStatement("long $N = $N.loopBound($N)", bound, ModelContext.SPECIES, n)
                .addStatement("long $N = 0", i)
                .beginControlFlow("if (!$N.warm() && !$N.sample())", warmth, warmth)
                .addStatement("$N($L)", cold, args)
                .addStatement("$N = $N", i, bound)
                .nextControlFlow("else")
                .addStatement("long $N = $N.warm() ? 0L : $T.nanoTime()", start, warmth, System.class)
                .add(hoisted)
                .beginControlFlow("for (; $N < $N; $N += $N.length())", i, bound, i, ModelContext.SPECIES)
                .add(vector.apply(i))
                .endControlFlow()
                .beginControlFlow("if ($N != 0L)", start)
                .addStatement("$N.timed($T.nanoTime() - $N, $N)", warmth, System.class, start, bound)
                .endControlFlow()
                .endControlFlow()
                .beginControlFlow("for (; $N < $N; $N++)", i, n, i)
                .add(tail.apply(i))
                .endControlFlow()
                .build();
    }

    /** The static method that runs {@code lanes} for every element below the bound; returns its name. */
    private static String coldTwin(
            Scope s,
            Function<String, CodeBlock> lanes,
            List<String> segments,
            List<String> offsets,
            String i,
            String bound) {
        String name = s.model().uniqueMember(s.methodName() + "_cold");
        MethodSpec.Builder m = MethodSpec.methodBuilder(name)
                .addJavadoc(
                        "$N's vector loop as float arithmetic per element, for a cold JVM: the same bits.\n",
                        s.methodName())
                .addModifiers(Modifier.PRIVATE, Modifier.STATIC);
        for (String seg : segments) {
            m.addParameter(JavaTypes.MEMORY_SEGMENT, seg);
        }
        for (String off : offsets) {
            m.addParameter(TypeName.LONG, off);
        }
        m.addParameter(TypeName.LONG, bound);
        m.beginControlFlow("for (long $N = 0; $N < $N; $N++)", i, i, bound, i)
                .addCode(lanes.apply(i))
                .endControlFlow();
        s.model().addMethod(m.build());
        return name;
    }
}
