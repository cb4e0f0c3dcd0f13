package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.TypeName;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import javax.lang.model.element.Modifier;

/**
 * An element-wise vector loop with a scalar twin for a fresh JVM's first calls (docs/EDGE.md §2).
 * Until C2 compiles the node method, every Vector API op in it runs the API's Java fallback, hundreds
 * of times slower than the plain float loop the interpreter runs and C1 compiles at once. So the node
 * method asks its own {@code VectorWarmth} (a static field per node method: JIT state is per method),
 * once per call, whether its vector code runs compiled yet; while it does not, a static helper method
 * per loop does the whole-vector part element by element with each lane's arithmetic (the same
 * operations in the same order, so the same bits, and a switch mid-model changes nothing), for the
 * first {@link #TWIN_RUNS} calls; later calls take the vector loops, timed, so C2 sees them get hot,
 * until one call is fast. The tail is the same scalar code either way.
 *
 * <pre>{@code
 * boolean cold = !n8_fused_warmth.warm() && !n8_fused_warmth.sample();
 * long start = cold || n8_fused_warmth.warm() ? 0L : System.nanoTime();
 * ... loop nest, whose inner loop is:
 *     long bound = FS.loopBound(n);
 *     long i = 0;
 *     if (cold) {
 *         n8_fused_cold(in0, in1, y, in0Off, in1Off, yOff, bound);
 *         i = bound;
 *     } else {
 *         for (; i < bound; i += FS.length()) { vector }
 *     }
 *     for (; i < n; i++) { tail }
 * if (start != 0L) n8_fused_warmth.timed(System.nanoTime() - start, elements);
 * }</pre>
 *
 * The twin works on {@code TwinChunks} rows: each streamed operand is copied in a chunk at a time,
 * a broadcast one is read once, and the lane code runs on array elements (a segment access per
 * element is a VarHandle call chain in the interpreter, nearly as slow as the fallback). It is a
 * method of its own so the node method's vector loop keeps the shape and size it had (what C2
 * inlines into it, and so whether a vector crosses a call, depends on the caller's size).
 */
final class WarmedLoop {
    /**
     * Nanoseconds per element between the two forms of an element-wise loop: compiled vector code
     * takes well under one (a tanh about 1 with the clock read), the Java fallback tens to thousands.
     */
    static final double WARM_NS_PER_ELEMENT = 5;

    /**
     * Runs (model calls, for a node's loop) that may take the twin; from then on the vector loop
     * runs every time until it is compiled ({@code VectorWarmth(double, int)}): a loop that runs
     * once per call would get hot 32 times slower on one vector run in 32, and stay on its twin
     * through hundreds of calls.
     */
    static final int TWIN_RUNS = 8;

    static final com.palantir.javapoet.ClassName TWIN_CHUNKS =
            com.palantir.javapoet.ClassName.get("fsc.runtime.kernels", "TwinChunks");

    /**
     * One f32 operand of the loop: {@code segment} from element {@code offset} (a long local, or
     * null for 0) on, streamed (element i at offset + i) or broadcast (the element at offset).
     */
    record Operand(String segment, String offset, boolean broadcast) {
        /** The element index of {@code i} (a streamed operand) or of the one element (a broadcast one). */
        CodeBlock at(CodeBlock i) {
            if (broadcast) {
                return offset == null ? CodeBlock.of("0L") : CodeBlock.of("$N", offset);
            }
            return offset == null ? i : CodeBlock.of("$N + $L", offset, i);
        }
    }

    /** One lane's arithmetic: statements into {@code b}, returning the float result's expression. */
    interface Lane {
        CodeBlock apply(List<CodeBlock> operands, CodeBlock.Builder b);
    }

    private final Scope s;
    private final String warmth;
    private final String cold;
    private final String start;

    /** The node's {@code VectorWarmth} field and the locals that carry its decision through the loops. */
    WarmedLoop(Scope s) {
        this.s = s;
        this.warmth = s.model().uniqueMember(s.methodName() + "_warmth");
        s.model()
                .addStaticField(FieldSpec.builder(
                                JavaTypes.VECTOR_WARMTH, warmth, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                        .addJavadoc(
                                "Whether $N's vector loops run compiled yet; until then their scalar twins run.\n",
                                s.methodName())
                        .initializer("new $T($L, $L)", JavaTypes.VECTOR_WARMTH, WARM_NS_PER_ELEMENT, TWIN_RUNS)
                        .build());
        this.cold = s.local("cold");
        this.start = s.local("start");
    }

    /**
     * The node's loops (built with {@link #loop}) with the decision taken once per call before them
     * and the vector run timed over all of them ({@code elements} in all): a loop nest's inner loop
     * runs once per row, and a run must be a whole call for {@link #TWIN_RUNS} to count calls.
     */
    CodeBlock wrap(CodeBlock loops, CodeBlock elements) {
        return CodeBlock.builder()
                .addStatement("boolean $N = !$N.warm() && !$N.sample()", cold, warmth, warmth)
                .addStatement("long $N = $N || $N.warm() ? 0L : $T.nanoTime()", start, cold, warmth, System.class)
                .add(loops)
                .beginControlFlow("if ($N != 0L)", start)
                .addStatement("$N.timed($T.nanoTime() - $N, $L)", warmth, System.class, start, elements)
                .endControlFlow()
                .build();
    }

    /**
     * One loop over {@code [0, count)}, inside {@link #wrap}. {@code vector} and {@code tail} get the
     * induction variable's name; {@code lane} gets each of {@code inputs}' values (float
     * expressions, in order) for the twin, which writes its result to {@code output}.
     * {@code hoisted} (vectors the loop reads, built once) runs before the vector loop only: the
     * twin never touches the Vector API.
     */
    CodeBlock loop(
            CodeBlock count,
            CodeBlock hoisted,
            Function<String, CodeBlock> vector,
            Function<String, CodeBlock> tail,
            List<Operand> inputs,
            Operand output,
            Lane lane) {
        String i = s.local("i");
        String n = s.local("n");
        String bound = s.local("bound");
        List<Operand> all = new ArrayList<>(inputs);
        all.add(output);
        // An operand read twice (x * x over one value) names one buffer twice: one parameter each.
        Set<String> segments = new LinkedHashSet<>();
        Set<String> offsets = new LinkedHashSet<>();
        for (Operand o : all) {
            segments.add(o.segment());
            if (o.offset() != null) {
                offsets.add(o.offset());
            }
        }
        String twin = coldTwin(s, inputs, output, lane, segments, offsets, bound);
        List<CodeBlock> args = new ArrayList<>();
        for (String a : segments) {
            args.add(CodeBlock.of("$N", a));
        }
        for (String a : offsets) {
            args.add(CodeBlock.of("$N", a));
        }
        args.add(CodeBlock.of("$N", bound));
        return CodeBlock.builder()
                .addStatement("long $N = $L", n, count)
                .addStatement("long $N = $N.loopBound($N)", bound, ModelContext.SPECIES, n)
                .addStatement("long $N = 0", i)
                .beginControlFlow("if ($N)", cold)
                .addStatement("$N($L)", twin, CodeBlock.join(args, ", "))
                .addStatement("$N = $N", i, bound)
                .nextControlFlow("else")
                .add(hoisted)
                .beginControlFlow("for (; $N < $N; $N += $N.length())", i, bound, i, ModelContext.SPECIES)
                .add(vector.apply(i))
                .endControlFlow()
                .endControlFlow()
                .beginControlFlow("for (; $N < $N; $N++)", i, n, i)
                .add(tail.apply(i))
                .endControlFlow()
                .build();
    }

    /** The static method that runs {@code lane} for every element below the bound; returns its name. */
    private static String coldTwin(
            Scope s,
            List<Operand> inputs,
            Operand output,
            Lane lane,
            Set<String> segments,
            Set<String> offsets,
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
        String rows = s.local("rows");
        String c = s.local("c");
        String len = s.local("len");
        String j = s.local("j");
        CodeBlock.Builder decls = CodeBlock.builder();
        CodeBlock.Builder copyIn = CodeBlock.builder();
        List<CodeBlock> values = new ArrayList<>();
        int row = 0;
        for (Operand o : inputs) {
            if (o.broadcast()) {
                String v = s.local("b");
                decls.addStatement("float $N = $L", v, Code.get(o.segment(), "F32", o.at(null)));
                values.add(CodeBlock.of("$N", v));
            } else {
                String r = s.local("r");
                decls.addStatement("float[] $N = $N[$L]", r, rows, row++);
                copyIn.addStatement(
                        "$T.copy($N, $N, ($L) * 4L, $N, 0, $N)",
                        JavaTypes.MEMORY_SEGMENT,
                        o.segment(),
                        "F32",
                        o.at(CodeBlock.of("$N", c)),
                        r,
                        len);
                values.add(CodeBlock.of("$N[$N]", r, j));
            }
        }
        String ry = s.local("ry");
        decls.addStatement("float[] $N = $N[$L]", ry, rows, row++);
        CodeBlock.Builder body = CodeBlock.builder();
        CodeBlock result = lane.apply(values, body);
        body.addStatement("$N[$N] = $L", ry, j, result);
        m.addStatement("float[][] $N = $T.rows($L)", rows, TWIN_CHUNKS, row)
                .addCode(decls.build())
                .addCode(CodeBlock.builder()
                        .beginControlFlow("for (long $N = 0; $N < $N; $N += $T.CHUNK)", c, c, bound, c, TWIN_CHUNKS)
                        .addStatement(
                                "int $N = (int) $T.min($T.CHUNK, $N - $N)", len, Math.class, TWIN_CHUNKS, bound, c)
                        .add(copyIn.build())
                        .beginControlFlow("for (int $N = 0; $N < $N; $N++)", j, j, len, j)
                        .add(body.build())
                        .endControlFlow()
                        .addStatement(
                                "$T.copy($N, 0, $N, $N, ($L) * 4L, $N)",
                                JavaTypes.MEMORY_SEGMENT,
                                ry,
                                output.segment(),
                                "F32",
                                output.at(CodeBlock.of("$N", c)),
                                len)
                        .endControlFlow()
                        .build());
        s.model().addMethod(m.build());
        return name;
    }
}
