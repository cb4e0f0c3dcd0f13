package fsc.backend.java;

/** Where a value's bytes live in the generated class: always at offset 0 of the buffer named here. */
sealed interface BufferRef {
    /** A graph input, {@code inBuf[index]}, set at the start of each call. */
    record Input(int index) implements BufferRef {}

    /** A constant, {@code constBuf[index]}: a slice of the mapped {@code fsc/weights.bin}. */
    record Const(int index) implements BufferRef {}

    /**
     * An activation, {@code slotBuf[index]}: a slice of the model's one arena at a planned offset
     * (see {@link ArenaSlots}), cut once when the instance is built. Graph outputs live here too.
     */
    record Slot(int index) implements BufferRef {}
}
