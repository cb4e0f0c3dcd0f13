package fsc.cli.edge;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A POSIX ustar archive writer (IEEE 1003.1-1988, as {@code tar --format=ustar}): enough for an OCI
 * image layer (directories, regular files, symbolic links), with fixed owner 0:0 and mtime so the
 * same input gives the same bytes. Names longer than 100 bytes are split into the 155-byte prefix
 * field at a '/'.
 */
final class TarWriter implements AutoCloseable {
    private static final int BLOCK = 512;
    /** A fixed modification time (2026-01-01T00:00:00Z, the build's outputTimestamp) for reproducible layers. */
    static final long MTIME = 1767225600L;

    private final OutputStream out;

    TarWriter(OutputStream out) {
        this.out = out;
    }

    void directory(String name, int mode) throws IOException {
        header(name.endsWith("/") ? name : name + "/", mode, 0, '5', "");
    }

    void file(String name, int mode, byte[] data) throws IOException {
        header(name, mode, data.length, '0', "");
        out.write(data);
        pad(data.length);
    }

    void symlink(String name, String target) throws IOException {
        header(name, 0777, 0, '2', target);
    }

    private void header(String name, int mode, long size, char type, String link) throws IOException {
        byte[] h = new byte[BLOCK];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        String prefix = "";
        if (n.length > 100) {
            int cut = name.lastIndexOf('/', Math.min(name.length() - 2, 155));
            prefix = name.substring(0, cut);
            name = name.substring(cut + 1);
            n = name.getBytes(StandardCharsets.UTF_8);
            if (n.length > 100 || prefix.getBytes(StandardCharsets.UTF_8).length > 155) {
                throw new IOException("path too long for a ustar header: " + prefix + "/" + name);
            }
        }
        put(h, 0, 100, n);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size);
        octal(h, 136, 12, MTIME);
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = (byte) type;
        put(h, 157, 100, link.getBytes(StandardCharsets.UTF_8));
        put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        put(h, 345, 155, prefix.getBytes(StandardCharsets.UTF_8));
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xFF;
        }
        octal(h, 148, 7, sum);
        out.write(h);
    }

    private static void put(byte[] h, int at, int len, byte[] v) throws IOException {
        if (v.length > len) {
            throw new IOException("tar field too long: " + new String(v, StandardCharsets.UTF_8));
        }
        System.arraycopy(v, 0, h, at, v.length);
    }

    /** {@code len - 1} octal digits and a NUL, as ustar's numeric fields. */
    private static void octal(byte[] h, int at, int len, long v) {
        String s = Long.toOctalString(v);
        String padded = "0".repeat(Math.max(0, len - 1 - s.length())) + s;
        byte[] b = padded.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, len - 1);
        h[at + len - 1] = 0;
    }

    private void pad(long size) throws IOException {
        int rest = (int) (size % BLOCK);
        if (rest != 0) {
            out.write(new byte[BLOCK - rest]);
        }
    }

    /** The end of the archive: two zero blocks. */
    @Override
    public void close() throws IOException {
        out.write(new byte[2 * BLOCK]);
        out.flush();
    }
}
