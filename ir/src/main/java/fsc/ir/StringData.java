package fsc.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The byte form of a string tensor in weights and test data: per element, its UTF-8 length as a
 * little-endian u32, then the bytes. ONNX stores strings as byte strings; fsc reads them as UTF-8
 * (malformed sequences become U+FFFD), as ONNX Runtime's std::string ops treat them as UTF-8 text.
 * The runtime decodes the same form ({@code fsc.runtime.StringTensors}); the two are pinned by a test.
 */
public final class StringData {
    private StringData() {}

    public static ByteBuffer encode(List<String> values) {
        List<byte[]> bytes = new ArrayList<>(values.size());
        long total = 0;
        for (String v : values) {
            byte[] b = v.getBytes(StandardCharsets.UTF_8);
            bytes.add(b);
            total += 4 + b.length;
        }
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(total)).order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] b : bytes) {
            out.putInt(b.length).put(b);
        }
        return out.flip();
    }

    public static List<String> decode(ByteBuffer data) {
        ByteBuffer in = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        List<String> out = new ArrayList<>();
        while (in.hasRemaining()) {
            byte[] b = new byte[length(in)];
            in.get(b);
            out.add(new String(b, StandardCharsets.UTF_8));
        }
        return out;
    }

    /** How many strings {@code data} holds; a truncated element is an error. */
    public static long count(ByteBuffer data) {
        ByteBuffer in = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long n = 0;
        while (in.hasRemaining()) {
            int len = length(in);
            in.position(in.position() + len);
            n++;
        }
        return n;
    }

    private static int length(ByteBuffer in) {
        if (in.remaining() < 4) {
            throw new IllegalArgumentException("string data ends inside an element's length");
        }
        int len = in.getInt();
        if (len < 0 || len > in.remaining()) {
            throw new IllegalArgumentException(
                    "string data: element of " + Integer.toUnsignedString(len) + " bytes, " + in.remaining() + " left");
        }
        return len;
    }
}
