package fsc.passes;

import fsc.ir.FscException;
import java.util.Locale;

/** What the {@code quantize} pass makes of one linear layer's weight (and, for int8, its input). */
public enum Precision {
    /** Left as it is: an f32 matmul. */
    FP32,
    /** Weights int8 per output channel, activations u8 per tensor at run time: {@code matmul_int8}. */
    INT8,
    /** Weight-only Q4_1 (blocks of 32, an f16 scale and minimum each), activations f32: {@code qmatmul}. */
    INT4;

    /** The command-line spelling: {@code fp32}, {@code int8}, {@code int4}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Relative weight bytes per element (for the report's memory column): 4, 1, 20/32. */
    public double bytesPerWeight() {
        return switch (this) {
            case FP32 -> 4;
            case INT8 -> 1;
            case INT4 -> 20.0 / 32;
        };
    }

    public static Precision byName(String name) {
        for (Precision p : values()) {
            if (p.cliName().equals(name)) {
                return p;
            }
        }
        throw new FscException("unknown precision '" + name + "'; valid: fp32, int8, int4");
    }
}
