package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.StringStringEntryProto;
import fsc.frontend.onnx.proto.Onnx.TensorProto;
import fsc.ir.FscException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Tensor bytes stored beside the model ({@code external_data}: {@code location}, {@code offset},
 * {@code length}). The location must stay inside the model's folder: a model file is untrusted
 * input, and {@code ../../etc/passwd} or a symlink pointing out must not turn it into a file reader.
 * The rule (the four layers ONNX 1.21 documents): a relative path only; resolved against the model's
 * folder and checked to stay inside it, before and after following symlinks; a regular file (no
 * devices, pipes or folders); one hard link only. The region is mapped, never read onto the heap.
 */
final class ExternalData {
    private ExternalData() {}

    /**
     * Maps the bytes of {@code t}, which must be {@code expectedBytes} long.
     *
     * @param where e.g. {@code model.onnx: initializer 'w'}
     * @param baseDir the folder of the file holding {@code t}
     */
    static ByteBuffer map(TensorProto t, Path baseDir, long expectedBytes, String where) {
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = number(e.getValue(), "offset", where);
                case "length" -> length = number(e.getValue(), "length", where);
                default -> {
                    // "checksum" and future keys do not change where the bytes are.
                }
            }
        }
        if (location == null || location.isEmpty()) {
            throw new FscException(where + ": external data without a 'location'");
        }
        Path file = resolve(location, baseDir, where);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = ch.size();
            long len = length < 0 ? expectedBytes : length;
            if (len != expectedBytes) {
                throw new FscException(where + ": external data '" + location + "' has length " + len + ", but the"
                        + " tensor needs " + expectedBytes + " bytes");
            }
            if (offset > size || len > size - offset) {
                throw new FscException(where + ": external data file '" + location + "' is " + size
                        + " bytes, too short for " + len + " bytes at offset " + offset);
            }
            if (len > Integer.MAX_VALUE) {
                throw new FscException(where + ": " + len + " bytes of external data exceed the 2 GiB a single"
                        + " tensor mapping may hold");
            }
            return ch.map(FileChannel.MapMode.READ_ONLY, offset, len);
        } catch (IOException e) {
            throw new FscException(where + ": cannot read external data file '" + location + "': "
                    + ProtoFiles.oneLine(String.valueOf(e.getMessage())));
        }
    }

    /** The file named by {@code location}, checked to lie inside {@code baseDir} after resolving symlinks. */
    static Path resolve(String location, Path baseDir, String where) {
        Path rel;
        try {
            rel = Path.of(location);
        } catch (InvalidPathException e) {
            throw new FscException(where + ": external data location '" + location + "' is not a valid path");
        }
        if (rel.isAbsolute() || location.startsWith("/") || location.startsWith("\\")) {
            throw new FscException(where + ": external data location '" + location
                    + "' is absolute; it must be relative to the model's folder");
        }
        Path base;
        try {
            base = baseDir.toRealPath();
        } catch (IOException e) {
            throw new FscException(where + ": cannot resolve the model's folder " + baseDir);
        }
        Path target = base.resolve(rel).normalize();
        if (!target.startsWith(base)) {
            throw new FscException(
                    where + ": external data location '" + location + "' points outside the model's folder");
        }
        Path real;
        try {
            real = target.toRealPath();
        } catch (NoSuchFileException e) {
            throw new FscException(where + ": external data file '" + location + "' does not exist in " + base);
        } catch (IOException e) {
            throw new FscException(where + ": cannot resolve external data file '" + location + "'");
        }
        if (!real.startsWith(base)) {
            throw new FscException(where + ": external data location '" + location
                    + "' is a link to a file outside the model's folder");
        }
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new FscException(where + ": cannot read external data file '" + location + "'");
        }
        if (!attrs.isRegularFile()) {
            // A device (/dev/zero reads forever), a FIFO (blocks the open) or a folder.
            throw new FscException(where + ": external data location '" + location
                    + "' is not a regular file (a device, pipe or folder)");
        }
        int links = hardLinks(real);
        if (links > 1) {
            // A hard link looks like a plain file inside the folder but may share its inode with any
            // file on the same file system (ONNX 1.21 refuses these for the same reason).
            throw new FscException(where + ": external data file '" + location + "' has " + links
                    + " hard links; it may be a link to a file outside the model's folder, so it is refused"
                    + " (copy it instead)");
        }
        return real;
    }

    /** The file's hard-link count, or 1 where the file system does not report one. */
    private static int hardLinks(Path file) {
        try {
            return ((Number) Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS)).intValue();
        } catch (UnsupportedOperationException | IllegalArgumentException | IOException e) {
            return 1;
        }
    }

    private static long number(String text, String key, String where) {
        try {
            long v = Long.parseLong(text.strip());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new FscException(where + ": external data " + key + " '" + text + "' is not a non-negative integer");
        }
    }
}
