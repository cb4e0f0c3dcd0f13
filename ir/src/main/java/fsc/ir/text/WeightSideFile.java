package fsc.ir.text;

import fsc.ir.DType;
import fsc.ir.FscException;
import fsc.ir.WeightData;
import fsc.ir.Weights;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * The weights a {@code .fsir} dump names ({@code const @"name"}), stored once next to the dumps as
 * {@code weights.fsw} so any dump can be compiled again. Little-endian:
 *
 * <pre>
 * magic    8 bytes  "FSCWGT01"
 * count    u32      number of entries, sorted by name
 * reserved u32      0
 * entry*   u16 name length, name (UTF-8), u8 dtype length, dtype ir name (ASCII),
 *          u8 rank, rank x u64 dims, u64 data offset (from the file start), u64 data bytes
 * data     each entry's bytes at its offset, every offset a multiple of 64
 * </pre>
 *
 * Reading maps the file once and hands out slices of the mapping: nothing is copied onto the heap.
 * Writing is deterministic (sorted names, zero padding), so the same weights give the same bytes.
 */
public final class WeightSideFile {
    /** The file name the dump directory uses. */
    public static final String NAME = "weights.fsw";

    static final int ALIGNMENT = 64;
    private static final byte[] MAGIC = "FSCWGT01".getBytes(StandardCharsets.US_ASCII);
    /** An entry with an empty name, an empty dtype and rank 0: u16 + u8 + u8 + offset + bytes. */
    private static final int MIN_ENTRY_BYTES = 2 + 1 + 1 + 8 + 8;

    private WeightSideFile() {}

    public static void write(Path file, Weights weights) throws IOException {
        List<byte[]> entries = new ArrayList<>();
        long headerBytes = MAGIC.length + 8;
        for (var e : weights.byName().entrySet()) {
            // Offsets are patched below, once the index size is known.
            byte[] entry = indexEntry(e.getKey(), e.getValue(), 0);
            entries.add(entry);
            headerBytes += entry.length;
        }
        long offset = align(headerBytes);
        ByteBuffer header = ByteBuffer.allocate(Math.toIntExact(offset)).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).putInt(weights.byName().size()).putInt(0);
        List<Long> offsets = new ArrayList<>();
        for (var e : weights.byName().entrySet()) {
            offsets.add(offset);
            header.put(indexEntry(e.getKey(), e.getValue(), offset));
            offset = align(offset + e.getValue().view().remaining());
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            header.flip();
            writeFully(ch, header);
            int i = 0;
            for (WeightData w : weights.byName().values()) {
                ch.position(offsets.get(i++));
                writeFully(ch, w.view());
            }
            // Pad the last entry so every file ends on the alignment.
            if (ch.size() < offset) {
                ch.position(ch.size());
                writeFully(ch, ByteBuffer.allocate(Math.toIntExact(offset - ch.size())));
            }
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static byte[] indexEntry(String name, WeightData w, long offset) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] d = w.dtype().irName().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(
                        2 + n.length + 1 + d.length + 1 + 8 * w.dims().size() + 16)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) n.length).put(n).put((byte) d.length).put(d).put((byte)
                w.dims().size());
        w.dims().forEach(b::putLong);
        b.putLong(offset).putLong(w.view().remaining());
        return b.array();
    }

    private static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /**
     * Maps {@code file} and returns its weights as views of the mapping: the index is read through
     * one mapping of the file's start, each weight through its own mapping, so files past 2 GiB work.
     */
    public static Weights read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MappedByteBuffer index = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, Integer.MAX_VALUE));
            index.order(ByteOrder.LITTLE_ENDIAN);
            return readIndex(file, ch, size, index);
        } catch (IOException e) {
            throw new FscException("cannot read weights side file " + file + ": " + e.getMessage(), null, e);
        } catch (BufferUnderflowException e) {
            throw new FscException(file + ": truncated weights side file index");
        }
    }

    private static Weights readIndex(Path file, FileChannel ch, long size, ByteBuffer index) throws IOException {
        byte[] magic = new byte[MAGIC.length];
        index.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new FscException(file + ": not an fsc weights side file (bad magic at byte offset 0)");
        }
        long count = Integer.toUnsignedLong(index.getInt());
        index.getInt();
        // Every entry takes at least MIN_ENTRY_BYTES of index, so a count the file cannot hold is
        // refused before the loop rather than after reading count entries of garbage.
        if (count > (size - index.position()) / MIN_ENTRY_BYTES) {
            throw new FscException(file + ": the index claims " + count + " weights (byte offset " + MAGIC.length
                    + "), more than a " + size + "-byte file can hold");
        }
        TreeMap<String, WeightData> byName = new TreeMap<>();
        for (long i = 0; i < count; i++) {
            int at = index.position();
            byte[] name = new byte[Short.toUnsignedInt(index.getShort())];
            index.get(name);
            byte[] dtype = new byte[Byte.toUnsignedInt(index.get())];
            index.get(dtype);
            int rank = Byte.toUnsignedInt(index.get());
            List<Long> dims = new ArrayList<>();
            for (int r = 0; r < rank; r++) {
                dims.add(index.getLong());
            }
            long offset = index.getLong();
            long bytes = index.getLong();
            String n = new String(name, StandardCharsets.UTF_8);
            // "bytes > size - offset", not "offset + bytes > size": the sum of two huge values wraps.
            if (offset < 0 || bytes < 0 || offset > size || bytes > size - offset) {
                throw new FscException(
                        file + ": weight '" + n + "' (index at byte offset " + at + ") points past the end");
            }
            if (bytes > Integer.MAX_VALUE) {
                throw new FscException(file + ": weight '" + n + "' (index at byte offset " + at + ") is " + bytes
                        + " bytes; one weight may hold at most 2 GiB");
            }
            if (byName.containsKey(n)) {
                throw new FscException(file + ": weight '" + n + "' (index at byte offset " + at + ") is listed twice");
            }
            ByteBuffer data = ch.map(FileChannel.MapMode.READ_ONLY, offset, bytes);
            try {
                DType t = DType.fromIrName(new String(dtype, StandardCharsets.US_ASCII));
                for (long d : dims) {
                    if (d < 0) {
                        throw new IllegalArgumentException("negative dimension " + d + " in " + dims);
                    }
                }
                byName.put(n, new WeightData(t, dims, data));
            } catch (ArithmeticException e) {
                throw new FscException(file + ": weight '" + n + "' (index at byte offset " + at + "): dims " + dims
                        + " overflow a 64-bit element count");
            } catch (IllegalArgumentException e) {
                throw new FscException(
                        file + ": weight '" + n + "' (index at byte offset " + at + "): " + e.getMessage());
            }
        }
        return new Weights(byName);
    }

    /** Reads {@value #NAME} next to {@code fsir}, with a clear error when it is missing. */
    public static Weights nextTo(Path fsir) {
        Path side = fsir.toAbsolutePath().resolveSibling(NAME);
        if (!Files.exists(side)) {
            throw new FscException(
                    fsir + ": the weights side file " + side + " is missing",
                    "IR dumps are read with the " + NAME + " that --dump-ir writes into the same directory");
        }
        if (!Files.isRegularFile(side)) {
            // A FIFO would block the open and a device read without end.
            throw new FscException(fsir + ": the weights side file " + side + " is not a regular file");
        }
        return read(side);
    }
}
