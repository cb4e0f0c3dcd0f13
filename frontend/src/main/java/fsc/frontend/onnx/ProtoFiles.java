package fsc.frontend.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import fsc.ir.FscException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Reads protobuf files (models, tensor {@code .pb} files) by mapping them and parsing with aliasing,
 * so {@code bytes} fields such as {@code raw_data} stay views into the mapping: a 90 MB model's
 * weights are never copied onto the heap.
 */
final class ProtoFiles {
    private ProtoFiles() {}

    /** Protobuf's own cap on a message; larger models must keep their weights in external data. */
    private static final long MAX_MESSAGE_BYTES = Integer.MAX_VALUE;

    /** A parsed message and the mapping its byte fields point into. */
    record Parsed<T>(T message, ByteBuffer bytes) {
        /** sha256 of the file's bytes, lower-case hex, for provenance metadata. */
        String sha256() {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                md.update(bytes.duplicate());
                return HexFormat.of().formatHex(md.digest());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK lacks SHA-256", e);
            }
        }
    }

    /**
     * Maps {@code file} and parses it with {@code parser}. Malformed bytes give one-line errors
     * {@code FILE: not a valid ONNX WHAT: ...} in plain words.
     */
    static <T> Parsed<T> parse(Path file, Parser<T> parser, String what) {
        ByteBuffer bytes = map(file);
        try {
            // Wrapping the mapping as an (immutable) ByteString is what lets protobuf alias into it;
            // a CodedInputStream over a plain ByteBuffer copies every bytes field.
            CodedInputStream in =
                    UnsafeByteOperations.unsafeWrap(bytes.duplicate()).newCodedInput();
            in.enableAliasing(true);
            in.setSizeLimit(Integer.MAX_VALUE);
            T message = parser.parseFrom(in);
            return new Parsed<>(message, bytes);
        } catch (InvalidProtocolBufferException e) {
            // Protobuf's own wording ("invalid wire type", "misreported its own length") means
            // nothing to a user who passed the wrong file: say what is wrong in plain words and
            // keep the parser's message as the cause (--verbose prints it).
            throw new FscException(
                    file.getFileName() + ": not a valid ONNX " + what
                            + ": its bytes do not parse as one (a truncated file, or another format)",
                    null,
                    e);
        }
    }

    private static ByteBuffer map(Path file) {
        if (java.nio.file.Files.isDirectory(file)) {
            // Mapping a directory fails with ENODEV, "No such device": say what is actually wrong.
            throw new FscException("cannot read " + file + ": is a directory, not a model file");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > MAX_MESSAGE_BYTES) {
                throw new FscException(file.getFileName() + ": " + size
                        + " bytes is over protobuf's 2 GiB limit; store the weights as ONNX external data");
            }
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            return m;
        } catch (NoSuchFileException e) {
            throw new FscException(file + ": no such file");
        } catch (IOException e) {
            throw new FscException("cannot read " + file + ": " + oneLine(String.valueOf(e.getMessage())), null, e);
        }
    }

    static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
