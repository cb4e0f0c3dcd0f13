package fsc.runtime;

/**
 * Where a model jar keeps its weights, shared by the backend's jar packer (writer) and
 * {@link WeightsFile} (reader). Weights are one STORED (uncompressed) entry whose data starts at a
 * file offset that is a multiple of {@link #ALIGNMENT}, so the mapped segment is 64-byte aligned and
 * vector loads from it never straddle cache lines.
 *
 * <p>The packer aligns the data by giving the entry's local header an extra field of padding,
 * {@link #alignmentExtra}: the same trick as Android's {@code zipalign}, whose extra-field id
 * {@code 0xD935} we reuse.
 */
public final class JarLayout {
    /** The weights entry: every constant of the model, laid out by the backend. */
    public static final String WEIGHTS_ENTRY = "fsc/weights.bin";

    /** Required alignment of the weights data in the jar file, in bytes. */
    public static final int ALIGNMENT = 64;

    /** Extra-field header id of the padding field (Android zipalign's "alignment" id). */
    public static final int ALIGNMENT_EXTRA_ID = 0xD935;

    /** Size of a ZIP local file header before the name (APPNOTE.TXT 4.3.7). */
    public static final int LOCAL_HEADER_FIXED_BYTES = 30;

    private JarLayout() {}

    /**
     * The extra field to give an entry whose local header will start at {@code localHeaderOffset}
     * with a UTF-8 name of {@code nameBytes} bytes, so that its data starts at a multiple of {@link
     * #ALIGNMENT}: id {@link #ALIGNMENT_EXTRA_ID}, a little-endian length, then zero bytes. Pass it
     * to {@code ZipEntry.setExtra} before {@code putNextEntry} (with the stream position counted by
     * the caller).
     */
    public static byte[] alignmentExtra(long localHeaderOffset, int nameBytes) {
        long unpadded = localHeaderOffset + LOCAL_HEADER_FIXED_BYTES + nameBytes + 4; // 4: extra header
        int pad = (int) ((ALIGNMENT - unpadded % ALIGNMENT) % ALIGNMENT);
        byte[] extra = new byte[4 + pad];
        extra[0] = (byte) ALIGNMENT_EXTRA_ID;
        extra[1] = (byte) (ALIGNMENT_EXTRA_ID >>> 8);
        extra[2] = (byte) pad;
        extra[3] = (byte) (pad >>> 8);
        return extra;
    }
}
