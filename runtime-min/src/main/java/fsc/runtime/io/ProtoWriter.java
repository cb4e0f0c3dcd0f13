package fsc.runtime.io;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Protocol Buffers wire format, write side: just the field kinds {@link OnnxTensorFile} writes. */
final class ProtoWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    void varintField(int number, long value) {
        varint((long) number << 3 | ProtoReader.VARINT);
        varint(value);
    }

    void bytesField(int number, byte[] value) {
        varint((long) number << 3 | ProtoReader.LEN);
        varint(value.length);
        out.writeBytes(value);
    }

    void stringField(int number, String value) {
        bytesField(number, value.getBytes(StandardCharsets.UTF_8));
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void varint(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }
}
