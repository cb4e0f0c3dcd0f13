package fsc.compiler;

/**
 * Where the driver reports what it is doing. The CLI prints steps with timestamps on stderr; tests
 * pass {@link #SILENT}. Reports (the {@code --check-passes} table) are printed even when steps are not.
 */
public interface CompileProgress {
    CompileProgress SILENT = new CompileProgress() {
        @Override
        public void step(String message) {}

        @Override
        public void report(String text) {}
    };

    /** One line saying what the driver does next or just did. */
    void step(String message);

    /** A block of text the user asked for (a check report), shown whether or not steps are. */
    void report(String text);
}
