package fsc.runtime.kernels;

/**
 * Stable merge sort of an {@code int[]} of indices under a caller's order, with caller-owned scratch:
 * the data-dependent kernels (Unique, NonMaxSuppression) sort index lists on every call and must not
 * allocate in steady state, which {@code Arrays.sort(Integer[], Comparator)} would.
 */
final class IndexSort {
    private IndexSort() {}

    /** An order on indices; implemented by a kernel's method reference, bound once. */
    interface Order {
        int compare(int a, int b);
    }

    /** Sorts {@code a[0..n)} stably; {@code tmp} has at least n entries. */
    static void sort(int[] a, int n, int[] tmp, Order order) {
        for (int width = 1; width < n; width *= 2) {
            for (int lo = 0; lo < n - width; lo += 2 * width) {
                int mid = lo + width;
                int hi = Math.min(lo + 2 * width, n);
                int i = lo;
                int j = mid;
                int k = lo;
                while (i < mid && j < hi) {
                    tmp[k++] = order.compare(a[j], a[i]) < 0 ? a[j++] : a[i++];
                }
                while (i < mid) {
                    tmp[k++] = a[i++];
                }
                while (j < hi) {
                    tmp[k++] = a[j++];
                }
                System.arraycopy(tmp, lo, a, lo, hi - lo);
            }
        }
    }
}
