package fsc.runtime.cuda;

/** One kernel launch of a model call: the kernel's name and the geometry for the call's symbol values. */
public record KernelLaunch(String kernel, long[] grid, int[] block, int sharedBytes) {

    /** {@code ceil(work / perBlock)} blocks, at least 1 and at most {@code cap} (as the emitter decided). */
    public static long blocks(long work, long perBlock, long cap) {
        long b = (work + perBlock - 1) / perBlock;
        return Math.max(1, Math.min(b, cap));
    }
}
