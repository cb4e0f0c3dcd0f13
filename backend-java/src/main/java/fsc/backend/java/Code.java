package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import fsc.ir.Dim;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Small code shapes every emitter uses: element access, strided indices, the vector loop with its tail. */
final class Code {
    private Code() {}

    /** Element index {@code off + i * stride}, simplified for strides 0 and 1. */
    static CodeBlock index(DimCode dc, String off, Dim stride, String i) {
        if (DimCode.isZero(stride)) {
            return CodeBlock.of("$N", off);
        }
        if (DimCode.isOne(stride)) {
            return CodeBlock.of("$N + $N", off, i);
        }
        return CodeBlock.of("$N + $N * $L", off, i, dc.of(stride));
    }

    /** {@code i * stride}, or just {@code i} for a unit stride. */
    static CodeBlock scaled(DimCode dc, String i, Dim stride) {
        return DimCode.isOne(stride) ? CodeBlock.of("$N", i) : CodeBlock.of("$N * $L", i, dc.of(stride));
    }

    static CodeBlock get(String seg, String layout, CodeBlock index) {
        return CodeBlock.of("$N.getAtIndex($N, $L)", seg, layout, index);
    }

    static CodeBlock set(String seg, String layout, CodeBlock index, CodeBlock value) {
        return CodeBlock.of("$N.setAtIndex($N, $L, $L)", seg, layout, index, value);
    }

    /** A float vector loaded at element index {@code index} (little-endian, any alignment). */
    static CodeBlock load(String seg, CodeBlock index) {
        return CodeBlock.of(
                "$T.fromMemorySegment($N, $N, ($L) * 4L, $N)",
                JavaTypes.FLOAT_VECTOR,
                ModelContext.SPECIES,
                seg,
                index,
                ModelContext.ORDER);
    }

    static CodeBlock store(CodeBlock vector, String seg, CodeBlock index) {
        return CodeBlock.of("$L.intoMemorySegment($N, ($L) * 4L, $N)", vector, seg, index, ModelContext.ORDER);
    }

    static CodeBlock broadcast(CodeBlock scalar) {
        return CodeBlock.of("$T.broadcast($N, $L)", JavaTypes.FLOAT_VECTOR, ModelContext.SPECIES, scalar);
    }

    /**
     * {@code for} over whole vectors of the species, then a scalar tail, sharing one induction
     * variable: {@code vector} and {@code scalar} get its name.
     */
    static CodeBlock vectorLoop(
            Scope s, CodeBlock count, Function<String, CodeBlock> vector, Function<String, CodeBlock> scalar) {
        String i = s.local("i");
        String n = s.local("n");
        String bound = s.local("bound");
        return CodeBlock.builder()
                .addStatement("long $N = $L", n, count)
                .addStatement("long $N = $N.loopBound($N)", bound, ModelContext.SPECIES, n)
                .addStatement("long $N = 0", i)
                .beginControlFlow("for (; $N < $N; $N += $N.length())", i, bound, i, ModelContext.SPECIES)
                .add(vector.apply(i))
                .endControlFlow()
                .beginControlFlow("for (; $N < $N; $N++)", i, n, i)
                .add(scalar.apply(i))
                .endControlFlow()
                .build();
    }

    /** A plain counted loop {@code for (long i = 0; i < count; i++)}. */
    static CodeBlock scalarLoop(Scope s, CodeBlock count, Function<String, CodeBlock> body) {
        String i = s.local("i");
        return CodeBlock.builder()
                .beginControlFlow("for (long $N = 0; $N < $L; $N++)", i, i, count, i)
                .add(body.apply(i))
                .endControlFlow()
                .build();
    }

    /** Element strides of an input of {@code in} dims broadcast (numpy rules) to {@code out} dims. */
    static List<Dim> broadcastStrides(List<Dim> in, List<Dim> out) {
        List<Dim> contiguous = DimCode.contiguousStrides(in);
        List<Dim> strides = new ArrayList<>();
        int lead = out.size() - in.size();
        for (int d = 0; d < out.size(); d++) {
            int k = d - lead;
            if (k < 0 || (DimCode.isOne(in.get(k)) && !DimCode.isOne(out.get(d)))) {
                strides.add(Dim.of(0));
            } else {
                strides.add(contiguous.get(k));
            }
        }
        return strides;
    }

    /** Normalises a possibly negative axis against {@code rank}. */
    static int axis(long axis, int rank) {
        return (int) (axis < 0 ? axis + rank : axis);
    }
}
