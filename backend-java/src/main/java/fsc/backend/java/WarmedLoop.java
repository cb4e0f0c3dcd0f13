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
 * once per call, whether to run its twins: a static helper method per loop that does the
 * whole-vector part element by element with each lane's arithmetic (the same operations in the same
 * order, so the same bits, and a switch mid-model changes nothing). The twins take the first
 * {@link #TWIN_RUNS} calls, where the fallback costs most (and a one-shot process never touches the
 * Vector API here); later calls take the vector loops, which then warm up exactly as before the
 * twins existed. The tail is the same scalar code either way.
 *
 * <pre>{@code
 * boolean cold = !n8_fused_warmth.warm() && !n8_fused_warmth.sample();
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
     * Calls of a node method that take the twins; later calls take the vector loops, untimed
     * ({@code VectorWarmth.firstRuns}: a loop run once per call would get hot 32 times slower on
     * one vector run in 32, and a timed switch would trap in the first C2 code).
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

    /** The node's {@code VectorWarmth} field and the local that carries its decision through the loops. */
    WarmedLoop(Scope s) {
        this.s = s;
        this.warmth = s.model().uniqueMember(s.methodName() + "_warmth");
        s.model()
                .addStaticField(FieldSpec.builder(
                                JavaTypes.VECTOR_WARMTH, warmth, Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
                        .addJavadoc(
                                "Whether $N runs its scalar twins (its first $L calls) or its vector loops.\n",
                                s.methodName(),
                                TWIN_RUNS)
                        .initializer("$T.firstRuns($L)", JavaTypes.VECTOR_WARMTH, TWIN_RUNS)
                        .build());
        this.cold = s.local("cold");
    }

    /**
     * The node's loops (built with {@link #loop}) with the decision taken once per call before them:
     * a loop nest's inner loop runs once per row, and {@link #TWIN_RUNS} counts calls.
     */
    CodeBlock wrap(CodeBlock loops) {
        return CodeBlock.builder()
                .addStatement("boolean $N = !$N.warm() && !$N.sample()", cold, warmth, warmth)
                .add(loops)
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
