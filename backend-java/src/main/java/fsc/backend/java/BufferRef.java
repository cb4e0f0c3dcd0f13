package fsc.backend.java;

/** Where a value's bytes live in the generated class: always at offset 0 of the buffer named here. */
sealed interface BufferRef {
    /** A graph input, {@code inBuf[index]}, set at the start of each call. */
    record Input(int index) implements BufferRef {}

    /** A constant, {@code constBuf[index]}: a slice of the mapped {@code fsc/weights.bin}. */
    record Const(int index) implements BufferRef {}

    /** A reusable activation slot, {@code slotBuf[index]}, grown on demand and kept across calls. */
    record Slot(int index) implements BufferRef {}

    /** A graph output's own buffer, {@code outBuf[index]}, allocated per call and handed to the caller. */
    record Output(int index) implements BufferRef {}
}
