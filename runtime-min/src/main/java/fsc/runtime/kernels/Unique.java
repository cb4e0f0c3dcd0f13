package fsc.runtime.kernels;

import fsc.runtime.ElemType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ONNX Unique over slices {@code x[o, k, i]} ({@code outer × len × inner}; without an axis, outer and
 * inner are 1 and every element is a slice). The slice indices are sorted stably by value
 * (lexicographic over a slice's elements), so equal slices form runs whose first index is the first
 * occurrence; "sorted" keeps the runs in value order, otherwise they are reordered by first occurrence.
 * O(len log len) comparisons; scratch is allocated once for the largest {@code len}.
 */
public final class Unique {
    private final int[] order;
    private final int[] tmp;
    private final int[] groupOf;
    private final int[] first;
    private final int[] count;
    private final int[] rankOf;
    private final IndexSort.Order bySlice = this::compareSlices;
    private final IndexSort.Order byFirst = this::compareFirsts;

    private MemorySegment x;
    private ElemType type;
    private long len;
    private long outer;
    private long inner;

    /** @param maxLen the most slices a call will have (the bound of the axis or element count) */
    public Unique(long maxLen) {
        int m = Math.toIntExact(Math.max(1, maxLen));
        order = new int[m];
        tmp = new int[m];
        groupOf = new int[m];
        first = new int[m];
        count = new int[m];
        rankOf = new int[m];
    }

    /**
     * @param y values: x with its axis of length u (or {@code [u]})
     * @param indices i64[u], first occurrences; {@code inverse} i64[len]; {@code counts} i64[u]
     * @return u, the number of distinct slices
     */
    public long run(
            MemorySegment x,
            ElemType type,
            long outer,
            long len,
            long inner,
            boolean sorted,
            MemorySegment y,
            MemorySegment indices,
            MemorySegment inverse,
            MemorySegment counts) {
        this.x = x;
        this.type = type;
        this.len = len;
        this.outer = outer;
        this.inner = inner;
        int n = Math.toIntExact(len);
        if (n > order.length) {
            throw new IllegalStateException("unique: " + n + " slices exceed the compiled bound " + order.length);
        }
        for (int k = 0; k < n; k++) {
            order[k] = k;
        }
        IndexSort.sort(order, n, tmp, bySlice);
        int u = 0;
        for (int r = 0; r < n; r++) {
            int k = order[r];
            if (r == 0 || compareSlices(order[r - 1], k) != 0) {
                first[u] = k;
                count[u] = 0;
                u++;
            }
            groupOf[k] = u - 1;
            count[u - 1]++;
        }
        // groups[r] = the group in output position r, reusing 'order' (its sorted contents are used up).
        int[] groups = order;
        for (int g = 0; g < u; g++) {
            groups[g] = g;
        }
        if (!sorted) {
            IndexSort.sort(groups, u, tmp, byFirst);
        }
        long bytes = inner * type.byteSize();
        for (int r = 0; r < u; r++) {
            int g = groups[r];
            rankOf[g] = r;
            for (long o = 0; o < outer; o++) {
                MemorySegment.copy(
                        x,
                        ((o * len + first[g]) * inner) * type.byteSize(),
                        y,
                        ((o * u + r) * inner) * type.byteSize(),
                        bytes);
            }
            indices.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r, first[g]);
            counts.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, r, count[g]);
        }
        for (int k = 0; k < n; k++) {
            inverse.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, k, rankOf[groupOf[k]]);
        }
        this.x = null;
        return u;
    }

    private int compareSlices(int a, int b) {
        boolean wide = Elements.isWideInteger(type);
        for (long o = 0; o < outer; o++) {
            long pa = (o * len + a) * inner;
            long pb = (o * len + b) * inner;
            for (long i = 0; i < inner; i++) {
                int c = wide
                        ? (type == ElemType.U64
                                ? Long.compareUnsigned(Elements.getLong(x, pa + i), Elements.getLong(x, pb + i))
                                : Long.compare(Elements.getLong(x, pa + i), Elements.getLong(x, pb + i)))
                        : compare(Elements.get(x, type, pa + i), Elements.get(x, type, pb + i));
                if (c != 0) {
                    return c;
                }
            }
        }
        return 0;
    }

    private int compareFirsts(int a, int b) {
        return Integer.compare(first[a], first[b]);
    }

    /** Numeric order in which -0.0 equals 0.0 (as NumPy's unique), NaNs last and equal to each other. */
    private static int compare(double p, double q) {
        if (p < q) {
            return -1;
        }
        if (p > q) {
            return 1;
        }
        return Boolean.compare(Double.isNaN(p), Double.isNaN(q));
    }
}
