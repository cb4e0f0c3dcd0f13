package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import fsc.ir.Dim;
import java.util.ArrayList;
import java.util.List;

/**
 * A strided loop nest over an iteration space shared by several operands (the output and the inputs
 * of an element-wise op, a copy, a reduction). Each operand walks the space with its own element
 * strides; a stride of 0 is a broadcast. Before emitting, dimensions of size 1 are dropped and
 * adjacent dimensions that every operand walks contiguously are merged (the "coalescing" step of
 * TVM's and numpy's iterators), so a same-shape add becomes one flat loop, a bias {@code [N]} over
 * {@code [M,N]} becomes rows × a contiguous row, and a mask {@code [B,1,1,S]} over {@code [B,H,S,S]}
 * becomes {@code [B, H*S, S]} with the mask's middle stride 0. The innermost dimension is left to an
 * {@link InnerBody}, which vectorises it when every operand's inner stride is 0 or 1.
 */
final class LoopNest {
    private final List<Dim> dims;
    private final List<List<Dim>> strides;

    /** The body of the innermost dimension, given its trip count and each operand's offset variable. */
    interface InnerBody {
        CodeBlock emit(CodeBlock count, List<String> offsets);
    }

    private LoopNest(List<Dim> dims, List<List<Dim>> strides) {
        this.dims = dims;
        this.strides = strides;
    }

    /** {@code strides.get(k).get(d)} is operand k's element stride along iteration dimension d. */
    static LoopNest of(List<Dim> dims, List<List<Dim>> strides) {
        for (List<Dim> s : strides) {
            if (s.size() != dims.size()) {
                throw new IllegalStateException("stride rank " + s.size() + " vs iteration rank " + dims.size());
            }
        }
        List<Dim> ds = new ArrayList<>();
        List<List<Dim>> ss = new ArrayList<>();
        for (int k = 0; k < strides.size(); k++) {
            ss.add(new ArrayList<>());
        }
        for (int d = 0; d < dims.size(); d++) {
            if (DimCode.isOne(dims.get(d))) {
                continue;
            }
            int last = ds.size() - 1;
            if (last >= 0 && mergeable(ss, last, strides, d, dims.get(d))) {
                ds.set(last, ds.get(last).times(dims.get(d)));
                for (int k = 0; k < strides.size(); k++) {
                    ss.get(k).set(last, strides.get(k).get(d));
                }
            } else {
                ds.add(dims.get(d));
                for (int k = 0; k < strides.size(); k++) {
                    ss.get(k).add(strides.get(k).get(d));
                }
            }
        }
        if (ds.isEmpty()) {
            ds.add(Dim.of(1));
            for (List<Dim> s : ss) {
                s.add(Dim.of(0));
            }
        }
        return new LoopNest(List.copyOf(ds), ss.stream().map(List::copyOf).toList());
    }

    private static boolean mergeable(List<List<Dim>> merged, int last, List<List<Dim>> strides, int d, Dim size) {
        for (int k = 0; k < strides.size(); k++) {
            Dim outer = merged.get(k).get(last);
            Dim inner = strides.get(k).get(d);
            if (!outer.equals(DimCode.times(inner, size))) {
                return false;
            }
        }
        return true;
    }

    int rank() {
        return dims.size();
    }

    Dim dim(int d) {
        return dims.get(d);
    }

    Dim stride(int operand, int d) {
        return strides.get(operand).get(d);
    }

    /** This nest without its innermost dimension (no further coalescing), for bodies that walk two dimensions. */
    LoopNest outer() {
        if (dims.size() < 2) {
            throw new IllegalStateException("a nest of rank " + dims.size() + " has no outer nest");
        }
        return new LoopNest(
                dims.subList(0, dims.size() - 1),
                strides.stream().map(s -> s.subList(0, s.size() - 1)).toList());
    }

    Dim innerCount() {
        return dims.get(dims.size() - 1);
    }

    Dim innerStride(int operand) {
        List<Dim> s = strides.get(operand);
        return s.get(s.size() - 1);
    }

    /** True when every operand's inner stride is 0 or 1, so the inner loop can use whole vectors. */
    boolean innerUnitOrBroadcast() {
        for (int k = 0; k < strides.size(); k++) {
            Dim s = innerStride(k);
            if (!DimCode.isZero(s) && !DimCode.isOne(s)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The nest: one {@code for} per outer dimension, each operand's offset accumulated per level
     * (never recomputed from a flat index), then {@code body} for the innermost dimension. Offsets are
     * named after the operands' buffers ({@code names}): {@code yOff}, then {@code yOff1} one level in.
     */
    CodeBlock emit(Scope scope, List<String> names, List<CodeBlock> bases, InnerBody body) {
        DimCode dc = scope.dims();
        CodeBlock.Builder b = CodeBlock.builder();
        List<String> offsets = new ArrayList<>();
        for (int k = 0; k < strides.size(); k++) {
            String o = scope.local(names.get(k) + "Off");
            b.addStatement("long $N = $L", o, bases.get(k));
            offsets.add(o);
        }
        int outer = dims.size() - 1;
        for (int d = 0; d < outer; d++) {
            String i = scope.local("i" + d);
            b.beginControlFlow("for (long $N = 0; $N < $L; $N++)", i, i, dc.of(dims.get(d)), i);
            List<String> next = new ArrayList<>();
            for (int k = 0; k < strides.size(); k++) {
                Dim s = strides.get(k).get(d);
                if (DimCode.isZero(s)) {
                    next.add(offsets.get(k));
                    continue;
                }
                String o = scope.local(names.get(k) + "Off" + (d + 1));
                b.addStatement("long $N = $N + $L", o, offsets.get(k), Code.scaled(dc, i, s));
                next.add(o);
            }
            offsets = next;
        }
        b.add(body.emit(dc.of(innerCount()), offsets));
        for (int d = 0; d < outer; d++) {
            b.endControlFlow();
        }
        return b.build();
    }
}
