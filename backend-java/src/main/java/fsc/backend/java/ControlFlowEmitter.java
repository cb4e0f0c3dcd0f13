package fsc.backend.java;

import com.palantir.javapoet.ArrayTypeName;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import fsc.ir.ControlFlow;
import fsc.ir.Dim;
import fsc.ir.Graph;
import fsc.ir.Node;
import fsc.ir.RegionGraph;
import fsc.ir.TensorType;
import fsc.ir.Value;
import java.util.ArrayList;
import java.util.List;
import javax.lang.model.element.Modifier;

/**
 * {@code if}, {@code loop} and {@code scan}. Each region is lifted into a graph of its own ({@link
 * RegionGraph}) and compiled as a class of its own ({@link JavaBackend#regionClasses}: its values get
 * buffers in that class's memory plan, its nodes its own methods, so no method grows with the
 * body). The node's method drives it:
 *
 * <ul>
 *   <li>{@code if}: reads the condition and invokes one branch's class, copying its results out.
 *   <li>{@code loop}: loop-carried values live in two buffers each, read from one and written to the
 *       other per iteration (double-buffered, so {@code (a, b) -> (b, a)} swaps are right); scan
 *       outputs receive one row per iteration; a scan output has {@code scan_length} rows fixed at
 *       compile time, and a loop that runs another number of iterations fails with a one-line
 *       {@code RuntimeFailure}.
 *   <li>{@code scan}: copies step {@code t} of each scan input (along its axis, in its direction)
 *       into a staging buffer, invokes the body, and copies each scan output's step into place.
 * </ul>
 *
 * All buffers are allocated once, at construction, at the symbols' upper bounds; a call allocates
 * nothing.
 */
final class ControlFlowEmitter {

    private ControlFlowEmitter() {}

    /** Whether the node's own values are ones this emitter copies (whole bytes per element). */
    static boolean supports(Node n) {
        List<Value> all = new ArrayList<>(n.inputs());
        all.addAll(n.outputs());
        return n.hasRegions()
                && all.stream()
                        .noneMatch(v -> v.dtype().isSubByte()
                                || v.dtype().isQuantizedBlock()
                                || !v.type().isTensor())
                && n.regions().stream().allMatch(ControlFlowEmitter::tensorsOnly);
    }

    /**
     * Regions pass values through staging buffers of the memory plan, which holds tensors only: a
     * region that makes or passes a sequence or optional is refused (see {@link ContainerEmitter}).
     */
    private static boolean tensorsOnly(fsc.ir.Region r) {
        return r.params().stream().allMatch(v -> v.type().isTensor())
                && r.results().stream().allMatch(v -> v.type().isTensor())
                && r.nodes().stream()
                        .allMatch(
                                m -> m.outputs().stream().allMatch(v -> v.type().isTensor())
                                        && m.regions().stream().allMatch(ControlFlowEmitter::tensorsOnly));
    }

    static CodeBlock emit(Scope s) {
        Node n = s.node();
        Emission e = new Emission(s);
        return switch (n.op()) {
            case ControlFlow.IF -> e.ifNode();
            case ControlFlow.LOOP -> e.loop();
            case ControlFlow.SCAN -> e.scan();
            default -> throw new IllegalStateException(n.where() + " is not a control-flow node");
        };
    }

    /** One node's emission: its region classes, staging fields and method body. */
    private static final class Emission {
        private final Scope s;
        private final Node n;
        private final ModelContext ctx;
        private final String base;
        private final CodeBlock.Builder b = CodeBlock.builder();
        private final List<String> regions = new ArrayList<>();
        private final String in;

        Emission(Scope s) {
            this.s = s;
            this.n = s.node();
            this.ctx = s.model();
            this.base = s.methodName();
            for (int r = 0; r < n.regions().size(); r++) {
                regions.add(regionField(r));
            }
            this.in = field(
                    ArrayTypeName.of(JavaTypes.MEMORY_SEGMENT),
                    base + "_in",
                    CodeBlock.of(
                            "new $T[$L]",
                            JavaTypes.MEMORY_SEGMENT,
                            n.regions().getFirst().params().size()));
        }

        /** Compiles region {@code r} as a class and holds one instance of it in a field. */
        private String regionField(int r) {
            JavaBackendOptions opts = ctx.options();
            String cls = opts.className() + "_" + base + "_r" + r;
            Graph lifted = RegionGraph.lift(ctx.graph(), n, r, ctx.graph().name() + "_" + base + "_r" + r, false);
            if (!lifted.constants().isEmpty()) {
                throw new IllegalStateException(n.where() + ": region " + r + " still holds constants after lowering");
            }
            ctx.addRegionFiles(JavaBackend.regionClasses(
                    lifted,
                    new JavaBackendOptions(
                            opts.packageName(), cls, opts.sourceLabel(), opts.sourceSha256(), opts.fscVersion())));
            ClassName type = ClassName.get(opts.packageName(), cls);
            String f = field(type, base + "_r" + r, CodeBlock.of("new $T(threads)", type));
            ctx.addClose(CodeBlock.builder().addStatement("$N.close()", f).build());
            return f;
        }

        private String field(com.palantir.javapoet.TypeName type, String name, CodeBlock init) {
            ctx.addField(
                    FieldSpec.builder(type, name, Modifier.PRIVATE).build(),
                    CodeBlock.builder().addStatement("this.$N = $L", name, init).build());
            return name;
        }

        /**
         * A buffer of {@code v}'s size at the symbols' bounds, made once in the model's arena. With
         * symbolic sizes it is reserved ({@code ActivationMemory}, which allocates small ones), so a
         * call below the bounds backs only what it uses.
         */
        private String staging(String name, Value v) {
            long bytes = Math.max(ArenaSlots.byteSize(v).upperBound(ctx.graph().symbols()), 1);
            CodeBlock init = ArenaSlots.byteSize(v).isFixed()
                    ? CodeBlock.of("$N.allocate($LL, 64)", ModelContext.ARENA, bytes)
                    : CodeBlock.of("$T.reserve($N, $LL)", JavaTypes.ACTIVATION_MEMORY, ModelContext.ARENA, bytes);
            return field(JavaTypes.MEMORY_SEGMENT, name, init);
        }

        private CodeBlock bytes(Value v) {
            return s.dims().of(ArenaSlots.byteSize(v));
        }

        private CodeBlock bytes(TensorType t, List<Dim> dims) {
            return CodeBlock.of("($L * $LL)", s.dims().product(dims), t.dtype().bytesFor(1));
        }

        private CodeBlock invoke(String region) {
            CodeBlock args = s.dims().arguments();
            return CodeBlock.builder()
                    .addStatement("$N.invoke($N$L)", region, in, args.isEmpty() ? "" : CodeBlock.of(", $L", args))
                    .build();
        }

        private String seg(Value v) {
            return s.segment(v, "v");
        }

        private boolean condition(Value v, String local) {
            b.addStatement("boolean $N = $N.get($N, 0L) != 0", local, seg(v), "I8");
            return true;
        }

        private void bindCaptures() {
            int first = ControlFlow.firstCapture(n);
            int firstParam = ControlFlow.firstCaptureParam(n);
            for (int i = first; i < n.inputs().size(); i++) {
                b.addStatement("$N[$L] = $N", in, firstParam + (i - first), seg(n.input(i)));
            }
        }

        CodeBlock ifNode() {
            String c = s.local("cond");
            condition(n.input(0), c);
            bindCaptures();
            for (int r = 0; r < 2; r++) {
                if (r == 0) {
                    b.beginControlFlow("if ($N)", c);
                } else {
                    b.nextControlFlow("else");
                }
                b.add(invoke(regions.get(r)));
                for (int k = 0; k < n.outputs().size(); k++) {
                    Value out = n.outputs().get(k);
                    b.addStatement(
                            "$T.copy($N.out($L), 0L, $N, 0L, $L)",
                            JavaTypes.MEMORY_SEGMENT,
                            regions.get(r),
                            k,
                            seg(out),
                            bytes(out));
                }
            }
            b.endControlFlow();
            return b.build();
        }

        CodeBlock loop() {
            int carried = ControlFlow.carried(n);
            String region = regions.getFirst();
            List<Value> params = n.regions().getFirst().params();
            int scans = n.outputs().size() - carried;
            String iter = staging(base + "_iter", params.get(0));
            String cond = staging(base + "_cond", params.get(1));
            List<String[]> states = stateBuffers(params.subList(2, 2 + carried));
            String trips = s.local("trips");
            String go = s.local("go");
            String it = s.local("it");
            b.addStatement("long $N = $N.get($N, 0L)", trips, seg(n.input(0)), "I64");
            condition(n.input(1), go);
            for (int i = 0; i < carried; i++) {
                copyAll(seg(n.input(2 + i)), states.get(i)[0], n.input(2 + i));
            }
            bindCaptures();
            b.addStatement("$N[0] = $N", in, iter).addStatement("$N[1] = $N", in, cond);
            b.addStatement("long $N = 0", it);
            b.beginControlFlow("while ($N < $N && $N)", it, trips, go);
            long length = ControlFlow.scanLength(n).orElse(0L);
            if (scans > 0) {
                b.beginControlFlow("if ($N >= $LL)", it, length)
                        .addStatement(
                                "throw new $T($S)",
                                JavaTypes.RUNTIME_FAILURE,
                                n.where() + ": the loop runs more than " + length
                                        + " iterations, the rows its scan outputs were compiled for")
                        .endControlFlow();
            }
            b.addStatement("$N.set($N, 0L, $N)", iter, "I64", it).addStatement("$N.set($N, 0L, (byte) 1)", cond, "I8");
            swapIn(states, it, 2);
            b.add(invoke(region));
            b.addStatement("$N = $N.out(0).get($N, 0L) != 0", go, region, "I8");
            copyStatesOut(states, it, region, 1, params.subList(2, 2 + carried));
            for (int j = 0; j < scans; j++) {
                Value row = n.regions().getFirst().results().get(1 + carried + j);
                Value out = n.outputs().get(carried + j);
                b.addStatement(
                        "$T.copy($N.out($L), 0L, $N, $N * $L, $L)",
                        JavaTypes.MEMORY_SEGMENT,
                        region,
                        1 + carried + j,
                        seg(out),
                        it,
                        bytes(row),
                        bytes(row));
            }
            b.addStatement("$N++", it);
            b.endControlFlow();
            if (scans > 0) {
                b.beginControlFlow("if ($N != $LL)", it, length)
                        .addStatement(
                                "throw new $T($S + $N + $S)",
                                JavaTypes.RUNTIME_FAILURE,
                                n.where() + ": the loop ran ",
                                it,
                                " iterations, but its scan outputs have " + length + " rows (fixed at compile time)")
                        .endControlFlow();
            }
            finalStates(states, it, carried, 0);
            return b.build();
        }

        CodeBlock scan() {
            int states = ControlFlow.states(n);
            int m = ControlFlow.scanInputs(n);
            String region = regions.getFirst();
            List<Value> params = n.regions().getFirst().params();
            List<Value> results = n.regions().getFirst().results();
            int k = results.size() - states;
            long[] inAxes = ControlFlow.ints(n, "scan_input_axes", m);
            long[] inDirs = ControlFlow.ints(n, "scan_input_directions", m);
            long[] outAxes = ControlFlow.ints(n, "scan_output_axes", k);
            long[] outDirs = ControlFlow.ints(n, "scan_output_directions", k);
            List<String[]> stateBufs = stateBuffers(params.subList(0, states));
            for (int i = 0; i < states; i++) {
                copyAll(seg(n.input(i)), stateBufs.get(i)[0], n.input(i));
            }
            bindCaptures();
            TensorType first = n.input(states).type();
            CodeBlock length = s.dims().of(first.dim((int) inAxes[0]));
            String t = s.local("t");
            String p = s.local("p");
            String at = s.local("at");
            List<String> slices = new ArrayList<>();
            for (int j = 0; j < m; j++) {
                String slice = staging(base + "_x" + j, params.get(states + j));
                slices.add(slice);
                b.addStatement("$N[$L] = $N", in, states + j, slice);
            }
            b.beginControlFlow("for (long $N = 0; $N < $L; $N++)", t, t, length, t);
            b.addStatement("long $N", at);
            swapIn(stateBufs, t, 0);
            for (int j = 0; j < m; j++) {
                Value x = n.input(states + j);
                strided(x, (int) inAxes[j], inDirs[j] != 0, length, t, p, at, seg(x), slices.get(j), true);
            }
            b.add(invoke(region));
            copyStatesOut(stateBufs, t, region, 0, params.subList(0, states));
            for (int j = 0; j < k; j++) {
                Value y = n.outputs().get(states + j);
                String src = s.local("row");
                b.addStatement("$T $N = $N.out($L)", JavaTypes.MEMORY_SEGMENT, src, region, states + j);
                strided(y, (int) outAxes[j], outDirs[j] != 0, length, t, p, at, seg(y), src, false);
            }
            b.endControlFlow();
            finalStates(stateBufs, CodeBlock.of("$L", length), states, 0);
            return b.build();
        }

        /**
         * Copies step {@code at} along {@code axis} of the full tensor {@code full} between {@code
         * fullSeg} and the contiguous slice buffer {@code sliceSeg}: one block of the trailing
         * dims' bytes per combination of the leading dims.
         */
        private void strided(
                Value full,
                int axis,
                boolean reverse,
                CodeBlock length,
                String t,
                String p,
                String at,
                String fullSeg,
                String sliceSeg,
                boolean gather) {
            TensorType type = full.type();
            CodeBlock pre = s.dims().product(type.dims().subList(0, axis));
            CodeBlock block = bytes(type, type.dims().subList(axis + 1, type.rank()));
            if (reverse) {
                b.addStatement("$N = $L - 1 - $N", at, length, t);
            } else {
                b.addStatement("$N = $N", at, t);
            }
            b.beginControlFlow("for (long $N = 0; $N < $L; $N++)", p, p, pre, p);
            CodeBlock fullOff = CodeBlock.of("($N * $L + $N) * $L", p, length, at, block);
            CodeBlock sliceOff = CodeBlock.of("$N * $L", p, block);
            if (gather) {
                b.addStatement(
                        "$T.copy($N, $L, $N, $L, $L)",
                        JavaTypes.MEMORY_SEGMENT,
                        fullSeg,
                        fullOff,
                        sliceSeg,
                        sliceOff,
                        block);
            } else {
                b.addStatement(
                        "$T.copy($N, $L, $N, $L, $L)",
                        JavaTypes.MEMORY_SEGMENT,
                        sliceSeg,
                        sliceOff,
                        fullSeg,
                        fullOff,
                        block);
            }
            b.endControlFlow();
        }

        /** Two buffers per state value: iteration {@code i} reads set {@code i % 2} and writes the other. */
        private List<String[]> stateBuffers(List<Value> params) {
            List<String[]> bufs = new ArrayList<>();
            for (int i = 0; i < params.size(); i++) {
                bufs.add(new String[] {
                    staging(base + "_s" + i + "a", params.get(i)), staging(base + "_s" + i + "b", params.get(i))
                });
            }
            return bufs;
        }

        private void copyAll(String from, String to, Value v) {
            b.addStatement("$T.copy($N, 0L, $N, 0L, $L)", JavaTypes.MEMORY_SEGMENT, from, to, bytes(v));
        }

        private void swapIn(List<String[]> states, String step, int firstParam) {
            for (int i = 0; i < states.size(); i++) {
                b.addStatement(
                        "$N[$L] = ($N & 1) == 0 ? $N : $N",
                        in,
                        firstParam + i,
                        step,
                        states.get(i)[0],
                        states.get(i)[1]);
            }
        }

        private void copyStatesOut(
                List<String[]> states, String step, String region, int firstResult, List<Value> types) {
            for (int i = 0; i < states.size(); i++) {
                b.addStatement(
                        "$T.copy($N.out($L), 0L, ($N & 1) == 0 ? $N : $N, 0L, $L)",
                        JavaTypes.MEMORY_SEGMENT,
                        region,
                        firstResult + i,
                        step,
                        states.get(i)[1],
                        states.get(i)[0],
                        bytes(types.get(i)));
            }
        }

        /** After {@code steps} iterations the latest states are in set {@code steps % 2}. */
        private void finalStates(List<String[]> states, Object steps, int count, int firstOutput) {
            for (int i = 0; i < count; i++) {
                Value out = n.outputs().get(firstOutput + i);
                CodeBlock src = CodeBlock.of(
                        "(($L) & 1) == 0 ? $N : $N",
                        steps instanceof String str ? CodeBlock.of("$N", str) : steps,
                        states.get(i)[0],
                        states.get(i)[1]);
                b.addStatement("$T.copy($L, 0L, $N, 0L, $L)", JavaTypes.MEMORY_SEGMENT, src, seg(out), bytes(out));
            }
        }
    }
}
