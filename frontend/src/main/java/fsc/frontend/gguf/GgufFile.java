package fsc.frontend.gguf;

import fsc.ir.FscException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF model file, mapped once and read in place. The header is parsed and validated when the file
 * is opened ({@link GgufHeaderReader}); tensor data is handed out as zero-copy slices of the mapping,
 * valid until the arena that owns the mapping is closed.
 *
 * <p>Field names follow the GGUF spec: {@code version}, {@code tensor_count} ({@link #tensors}),
 * {@code metadata_kv} ({@link #metadata}), {@code general.alignment}, and the data section that
 * starts at the first aligned offset after the tensor infos.
 */
public final class GgufFile implements AutoCloseable {
    private final Path path;
    private final Arena ownedArena;
    private final MemorySegment mapping;
    private final GgufHeaderReader.Header header;
    private final Map<String, GgufTensorInfo> byName;

    private GgufFile(Path path, Arena ownedArena, MemorySegment mapping, GgufHeaderReader.Header header) {
        this.path = path;
        this.ownedArena = ownedArena;
        this.mapping = mapping;
        this.header = header;
        Map<String, GgufTensorInfo> names = new LinkedHashMap<>();
        for (GgufTensorInfo t : header.tensors()) {
            names.put(t.name(), t);
        }
        this.byName = names;
    }

    /** Opens and validates {@code path}; {@link #close} releases the mapping. */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try {
            return open(path, arena, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Opens {@code path} with its mapping owned by {@code arena}: tensor slices stay valid for the
     * arena's lifetime, and {@link #close} does nothing. For callers that keep weights mapped after
     * parsing, such as a compiled model that serves from the file.
     */
    public static GgufFile open(Path path, Arena arena) {
        return open(path, arena, null);
    }

    private static GgufFile open(Path path, Arena arena, Arena owned) {
        String label = String.valueOf(path.getFileName());
        MemorySegment mapping;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (NoSuchFileException e) {
            throw new FscException(label + ": file not found (" + path.toAbsolutePath() + ")", null, e);
        } catch (IOException e) {
            throw new FscException(label + ": cannot read (" + e + ")", null, e);
        }
        GgufHeaderReader.Header header = GgufHeaderReader.read(new GgufCursor(mapping, label), label);
        return new GgufFile(path, owned, mapping, header);
    }

    public Path path() {
        return path;
    }

    /** The file name, used to prefix error messages. */
    public String label() {
        return String.valueOf(path.getFileName());
    }

    /** GGUF format version: 2 or 3. */
    public int version() {
        return header.version();
    }

    public GgufMetadata metadata() {
        return header.metadata();
    }

    /** Tensor infos in file order. */
    public List<GgufTensorInfo> tensors() {
        return header.tensors();
    }

    public Optional<GgufTensorInfo> findTensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo t = byName.get(name);
        if (t == null) {
            throw new FscException(label() + ": tensor '" + name + "' is missing");
        }
        return t;
    }

    /** {@code general.alignment}, or 32 when the file does not set it. */
    public long alignment() {
        return header.alignment();
    }

    /** Absolute byte offset of the data section. */
    public long dataOffset() {
        return header.dataOffset();
    }

    /** The whole mapped file. */
    public MemorySegment mapping() {
        return mapping;
    }

    /** The bytes of one tensor, a read-only view into the mapping (bounds were checked on open). */
    public MemorySegment tensorData(GgufTensorInfo t) {
        return mapping.asSlice(header.dataOffset() + t.offset(), t.byteSize());
    }

    public MemorySegment tensorData(String name) {
        return tensorData(tensor(name));
    }

    @Override
    public void close() {
        if (ownedArena != null) {
            ownedArena.close();
        }
    }
}
