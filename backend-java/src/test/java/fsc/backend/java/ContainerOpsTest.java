package fsc.backend.java;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.ir.DType;
import fsc.ir.Graph;
import fsc.ir.interp.HostContainer;
import fsc.ir.interp.HostTensor;
import fsc.ir.interp.Interpreter;
import fsc.ir.text.IrParser;
import fsc.passes.PassContext;
import fsc.passes.PassManager;
import fsc.passes.Pipelines;
import fsc.runtime.ElemType;
import fsc.runtime.RuntimeFailure;
import fsc.runtime.Tensor;
import fsc.runtime.TensorSequence;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sequences and optionals compiled by the Java backend against the interpreter: a sequence input
 * (elements of different shapes), insert at a run-time position, erase, length, an odd-sized split
 * along a middle axis, optionals of a tensor and of a sequence, empty and not.
 */
class ContainerOpsTest {
    @TempDir
    Path dir;

    static final String TEXT =
            """
            graph @seqs(%s: seq<f32>, %t: f32[2,5,3], %pos: i64[], %o: opt<f32[2]>) -> (%ins: seq<f32>, %n: i64[], %parts: seq<f32>, %rows: seq<f32>, %has: bool[], %got: f32[2], %wrapped: opt<seq<f32>>, %none: opt<f32[3]>) {
              %two: i64[] = const @"two" [2]
              %ins0: seq<f32> = sequence_insert(%s, %t, %pos)
              %ins: seq<f32> = sequence_erase(%ins0)
              %n: i64[] = sequence_length(%ins0)
              %parts: seq<f32> = split_to_sequence(%t, %two) {axis = 1}
              %rows: seq<f32> = split_to_sequence(%t) {axis = -1, keepdims = 0}
              %has: bool[] = optional_has_element(%o)
              %got: f32[2] = optional_get_element(%o)
              %wrapped: opt<seq<f32>> = optional(%parts)
              %none: opt<f32[3]> = optional() {dims = <3>, dtype = f32}
              return %ins, %n, %parts, %rows, %has, %got, %wrapped, %none
            }
            """;

    private static HostTensor hostSeq(List<HostTensor> elements) {
        return HostTensor.container(DType.F32, new long[0], new HostContainer(fsc.ir.Container.SEQUENCE, elements));
    }

    private static Map<String, HostTensor> hostInputs(long pos) {
        float[] t = new float[30];
        for (int i = 0; i < t.length; i++) {
            t[i] = i * 0.5f - 3;
        }
        return Map.of(
                "s",
                        hostSeq(List.of(
                                HostTensor.ofFloats(new long[] {1}, 7),
                                HostTensor.ofFloats(new long[] {2, 2}, 1, 2, 3, 4))),
                "t", HostTensor.ofFloats(new long[] {2, 5, 3}, t),
                "pos", HostTensor.ofLongs(new long[0], pos),
                "o",
                        HostTensor.container(
                                DType.F32,
                                new long[] {2},
                                new HostContainer(
                                        fsc.ir.Container.OPTIONAL,
                                        List.of(HostTensor.ofFloats(new long[] {2}, 9, -9)))));
    }

    /** The compiled model's input for a host value. */
    private static Object feed(HostTensor h) {
        if (h.held() == null) {
            return ModelHarness.toTensor(h);
        }
        List<Tensor> elements =
                h.held().elements().stream().map(ModelHarness::toTensor).toList();
        return switch (h.held().kind()) {
            case SEQUENCE -> new TensorSequence(ElemType.valueOf(h.dtype().name()), elements);
            case OPTIONAL -> Optional.ofNullable(elements.isEmpty() ? null : elements.getFirst());
            default -> throw new IllegalStateException(h.held().kind().toString());
        };
    }

    /** Flattens a value to tensors: a container becomes its element count, then its elements. */
    private static void flatten(Object v, List<HostTensor> out) {
        switch (v) {
            case HostTensor h when h.held() == null -> out.add(h);
            case HostTensor h -> {
                out.add(HostTensor.ofLongs(new long[0], h.held().elements().size()));
                h.held().elements().forEach(e -> flatten(e, out));
            }
            case Tensor t -> out.add(ModelHarness.toHost(t));
            case TensorSequence s -> {
                out.add(HostTensor.ofLongs(new long[0], s.size()));
                s.elements().forEach(e -> flatten(e, out));
            }
            case Optional<?> o -> {
                out.add(HostTensor.ofLongs(new long[0], o.isPresent() ? 1 : 0));
                o.ifPresent(e -> flatten(e, out));
            }
            default -> throw new IllegalStateException(v.toString());
        }
    }

    @Test
    void compiledContainersMatchTheInterpreter() throws Exception {
        Graph g = IrParser.parse(TEXT, "seqs.fsir");
        Graph opt = PassManager.builder()
                .build()
                .run(g, Pipelines.cpuDefault(JavaBackend::hasKernel, JavaBackend.fusionRules()), PassContext.defaults())
                .graph();
        try (ModelHarness h = ModelHarness.compile(opt, dir, 1)) {
            for (long pos : new long[] {0, 1, -1, 2}) {
                Map<String, HostTensor> in = hostInputs(pos);
                List<HostTensor> expected = new ArrayList<>();
                new Interpreter(g).run(in).values().forEach(v -> flatten(v, expected));
                Map<String, Object> feeds = new LinkedHashMap<>();
                in.forEach((k, v) -> feeds.put(k, feed(v)));
                List<HostTensor> actual = new ArrayList<>();
                h.model.runValues(feeds).values().forEach(v -> flatten(v, actual));
                assertEquals(expected.size(), actual.size(), "pos " + pos);
                for (int i = 0; i < expected.size(); i++) {
                    HostTensor e = expected.get(i);
                    HostTensor a = actual.get(i);
                    assertEquals(e.dtype(), a.dtype(), "value " + i);
                    assertTrue(java.util.Arrays.equals(e.shape(), a.shape()), "value " + i + " shape");
                    assertEquals(0.0, e.maxAbsDiff(a), "value " + i);
                }
            }
            // Counts and tensors: ins 1+2 (insert then erase the last), n 1, parts 1+3 (widths 2, 2, 1),
            // rows 1+3, has 1, got 1, wrapped 1+(1+3), none 1.
            assertEquals(20, countValues(h.model.runValues(feedsOf(hostInputs(0)))), "flattened values");
            Map<String, Object> bad = feedsOf(hostInputs(5));
            RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> h.model.runValues(bad));
            assertTrue(e.getMessage().contains("out of range"), e.getMessage());
            assertThrows(RuntimeFailure.class, () -> h.model.run(Map.of()));
        }
    }

    private static Map<String, Object> feedsOf(Map<String, HostTensor> in) {
        Map<String, Object> feeds = new LinkedHashMap<>();
        in.forEach((k, v) -> feeds.put(k, feed(v)));
        return feeds;
    }

    private static int countValues(Map<String, Object> out) {
        List<HostTensor> flat = new ArrayList<>();
        out.values().forEach(v -> flatten(v, flat));
        return flat.size();
    }
}
