package fsc.tests.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Seeded byte- and text-level mutations, the kinds that broke real model parsers: truncation, flipped
 * bits, random bytes, "huge" integers written over counts and lengths (0xFFFFFFFF, 2^31, 2^63, -1 as
 * u64, as u32/u64 little-endian and as protobuf varints), spliced and deleted ranges, and for text
 * formats numbers replaced by extreme values and control bytes inserted. Same seed, same mutant.
 */
final class Mutator {
    /** A mutated file and what was done to it (for the report). */
    record Mutant(byte[] bytes, String what) {}

    private static final long[] HUGE = {
        0xFFFFFFFFL, 0x7FFFFFFFL, 0x80000000L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, 1L << 40, 0L, 255L
    };
    private static final String[] HUGE_TEXT = {
        "0",
        "-1",
        "4294967295",
        "9223372036854775807",
        "18446744073709551615",
        "99999999999999999999",
        "2147483648",
        "1e308",
        "inf",
        "nan",
        "-0",
        "0x7fffffffffffffff",
        "0xffffffffffffffff"
    };
    private static final Pattern NUMBER = Pattern.compile("-?(0x[0-9a-fA-F]+|[0-9]+(\\.[0-9]+)?(e-?[0-9]+)?)");

    private Mutator() {}

    static Mutant binary(byte[] in, SplittableRandom r) {
        int op = r.nextInt(7);
        return switch (op) {
            case 0 -> truncate(in, r);
            case 1 -> flipBits(in, r);
            case 2 -> randomBytes(in, r);
            case 3 -> hugeInteger(in, r, in.length);
            case 4 -> hugeInteger(in, r, Math.min(in.length, 512)); // where headers and counts live
            case 5 -> splice(in, r);
            default -> delete(in, r);
        };
    }

    static Mutant text(byte[] in, SplittableRandom r) {
        int op = r.nextInt(6);
        if (op < 2) {
            return binary(in, r);
        }
        String s = new String(in, StandardCharsets.UTF_8);
        return switch (op) {
            case 2 -> hugeNumber(s, r);
            case 3 -> dropOrDuplicateLine(s, r);
            case 4 -> insertControl(in, r);
            default -> {
                TextMutant first = hugeNumberText(s, r);
                TextMutant second = hugeNumberText(first.text(), r);
                yield new Mutant(second.text().getBytes(StandardCharsets.UTF_8), first.what() + "; " + second.what());
            }
        };
    }

    private static Mutant truncate(byte[] in, SplittableRandom r) {
        int n = in.length == 0 ? 0 : r.nextInt(in.length);
        return new Mutant(Arrays.copyOf(in, n), "truncated to " + n + " bytes");
    }

    private static Mutant flipBits(byte[] in, SplittableRandom r) {
        byte[] b = in.clone();
        int flips = 1 + r.nextInt(8);
        StringBuilder what = new StringBuilder("flipped bits at");
        for (int i = 0; i < flips && b.length > 0; i++) {
            int at = r.nextInt(b.length);
            b[at] ^= (byte) (1 << r.nextInt(8));
            what.append(' ').append(at);
        }
        return new Mutant(b, what.toString());
    }

    private static Mutant randomBytes(byte[] in, SplittableRandom r) {
        byte[] b = in.clone();
        if (b.length == 0) {
            return new Mutant(b, "empty");
        }
        int at = r.nextInt(b.length);
        int n = Math.min(b.length - at, 1 + r.nextInt(16));
        for (int i = 0; i < n; i++) {
            b[at + i] = (byte) r.nextInt(256);
        }
        return new Mutant(b, n + " random bytes at " + at);
    }

    private static Mutant hugeInteger(byte[] in, SplittableRandom r, int within) {
        byte[] b = in.clone();
        long v = HUGE[r.nextInt(HUGE.length)];
        int form = r.nextInt(3);
        byte[] enc =
                switch (form) {
                    case 0 ->
                        ByteBuffer.allocate(4)
                                .order(ByteOrder.LITTLE_ENDIAN)
                                .putInt((int) v)
                                .array();
                    case 1 ->
                        ByteBuffer.allocate(8)
                                .order(ByteOrder.LITTLE_ENDIAN)
                                .putLong(v)
                                .array();
                    default -> varint(v);
                };
        if (b.length < enc.length) {
            return new Mutant(enc, "replaced by " + Long.toUnsignedString(v));
        }
        int at = r.nextInt(Math.max(1, Math.min(within, b.length - enc.length + 1)));
        if (form < 2 && r.nextBoolean()) {
            at &= ~(enc.length - 1); // counts and lengths sit on their natural alignment in GGUF and .fsw
        }
        System.arraycopy(enc, 0, b, at, enc.length);
        String kind = form == 0 ? "u32" : form == 1 ? "u64" : "varint";
        return new Mutant(b, kind + " " + Long.toUnsignedString(v) + " at " + at);
    }

    private static Mutant splice(byte[] in, SplittableRandom r) {
        if (in.length < 2) {
            return truncate(in, r);
        }
        int from = r.nextInt(in.length);
        int n = 1 + r.nextInt(Math.min(in.length - from, 64));
        int to = r.nextInt(in.length);
        byte[] b = new byte[in.length + n];
        System.arraycopy(in, 0, b, 0, to);
        System.arraycopy(in, from, b, to, n);
        System.arraycopy(in, to, b, to + n, in.length - to);
        return new Mutant(b, "spliced " + n + " bytes from " + from + " into " + to);
    }

    private static Mutant delete(byte[] in, SplittableRandom r) {
        if (in.length < 2) {
            return truncate(in, r);
        }
        int at = r.nextInt(in.length);
        int n = 1 + r.nextInt(Math.min(in.length - at, 64));
        byte[] b = new byte[in.length - n];
        System.arraycopy(in, 0, b, 0, at);
        System.arraycopy(in, at + n, b, at, in.length - at - n);
        return new Mutant(b, "deleted " + n + " bytes at " + at);
    }

    private record TextMutant(String text, String what) {}

    private static Mutant hugeNumber(String s, SplittableRandom r) {
        TextMutant t = hugeNumberText(s, r);
        return new Mutant(t.text().getBytes(StandardCharsets.UTF_8), t.what());
    }

    private static TextMutant hugeNumberText(String s, SplittableRandom r) {
        Matcher m = NUMBER.matcher(s);
        int count = 0;
        while (m.find()) {
            count++;
        }
        if (count == 0) {
            return new TextMutant(s, "no number to change");
        }
        int pick = r.nextInt(count);
        m.reset();
        for (int i = 0; i <= pick; i++) {
            m.find();
        }
        String v = HUGE_TEXT[r.nextInt(HUGE_TEXT.length)];
        return new TextMutant(
                s.substring(0, m.start()) + v + s.substring(m.end()),
                "number '" + m.group() + "' at char " + m.start() + " -> " + v);
    }

    private static Mutant dropOrDuplicateLine(String s, SplittableRandom r) {
        String[] lines = s.split("\n", -1);
        int i = r.nextInt(lines.length);
        StringBuilder b = new StringBuilder();
        boolean drop = r.nextBoolean();
        for (int k = 0; k < lines.length; k++) {
            if (k != i || !drop) {
                b.append(lines[k]).append('\n');
            }
            if (k == i && !drop) {
                b.append(lines[k]).append('\n');
            }
        }
        return new Mutant(
                b.toString().getBytes(StandardCharsets.UTF_8), (drop ? "dropped" : "duplicated") + " line " + (i + 1));
    }

    private static Mutant insertControl(byte[] in, SplittableRandom r) {
        byte[] ctl = {0, 0x1b, '[', '2', 'J', (byte) 0xff, (byte) 0xc3, 0x07};
        int n = 1 + r.nextInt(ctl.length);
        int at = in.length == 0 ? 0 : r.nextInt(in.length);
        byte[] b = new byte[in.length + n];
        System.arraycopy(in, 0, b, 0, at);
        System.arraycopy(ctl, 0, b, at, n);
        System.arraycopy(in, at, b, at + n, in.length - at);
        return new Mutant(b, n + " control/invalid UTF-8 bytes at " + at);
    }

    static byte[] varint(long v) {
        byte[] out = new byte[10];
        int n = 0;
        while ((v & ~0x7FL) != 0) {
            out[n++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out[n++] = (byte) v;
        return Arrays.copyOf(out, n);
    }
}
