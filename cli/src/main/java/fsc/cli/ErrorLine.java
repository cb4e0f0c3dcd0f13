package fsc.cli;

import fsc.ir.FscException;
import fsc.runtime.RuntimeFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;

/**
 * The one shape of every error the CLI prints: {@code fsc: error: <what went wrong>} on one line.
 * Used by {@link Main} for exceptions from any command and for picocli's usage errors, so no command
 * prints its own.
 */
final class ErrorLine {
    static final String PREFIX = "fsc: error: ";

    private ErrorLine() {}

    /**
     * The message of a user error ({@link FscException}, {@link RuntimeFailure}, I/O failures), or
     * null when {@code t} is a broken invariant (an internal error).
     */
    static String userMessage(Throwable t) {
        if (t instanceof UncheckedIOException u && u.getCause() != null) {
            return userMessage(u.getCause());
        }
        String m;
        if (t instanceof FscException fe) {
            m = fe.oneLine();
        } else if (t instanceof RuntimeFailure rf) {
            m = String.valueOf(rf.getMessage());
        } else if (t instanceof FileSystemException fse) {
            m = fse.getFile() + ": " + reason(fse);
        } else if (t instanceof IOException io) {
            m = String.valueOf(io.getMessage());
        } else if (t instanceof OutOfMemoryError) {
            m = "out of memory (raise -Xmx through FSC_JAVA_OPTS, or lower the batch/sequence bounds)";
        } else {
            return null;
        }
        return oneLine(withReasons(m, t));
    }

    /**
     * Replaces the JDK's message of each file-system exception in {@code t}'s causes by its reason:
     * a message built as {@code "cannot read " + file + ": " + e.getMessage()} reads
     * {@code cannot read X: X} for a missing file, since the JDK's message there is the path alone.
     */
    static String withReasons(String message, Throwable t) {
        String m = message;
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c instanceof FileSystemException fse && fse.getMessage() != null) {
                m = m.replace(": " + fse.getMessage(), ": " + reason(fse));
            }
        }
        return m;
    }

    /** What the operating system said, in words: "no such file or directory", "permission denied". */
    static String reason(FileSystemException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NotDirectoryException) {
            return "not a directory";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "a file of that name already exists";
        }
        if (e instanceof DirectoryNotEmptyException) {
            return "directory not empty";
        }
        if (e.getReason() != null && !e.getReason().isBlank()) {
            String r = e.getReason().strip();
            return r.substring(0, 1).toLowerCase(Locale.ROOT) + r.substring(1);
        }
        return e.getClass().getSimpleName();
    }

    /**
     * A picocli usage error as one line: {@code compile: unknown option '--targt' (did you mean
     * '--target'?); see 'fsc compile --help'}.
     */
    static String usage(CommandLine.ParameterException ex) {
        CommandLine cl = ex.getCommandLine();
        CommandLine.Model.CommandSpec spec = cl.getCommandSpec();
        String where = spec.qualifiedName();
        String what;
        if (ex instanceof CommandLine.UnmatchedArgumentException u
                && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().get(0);
            String name = arg.startsWith("-") && arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            String suggestion;
            if (name.startsWith("-")) {
                what = "unknown option '" + name + "'";
                suggestion = Suggest.closest(name, optionNames(spec));
            } else if (!spec.subcommands().isEmpty()) {
                what = "unknown command '" + name + "'";
                suggestion = Suggest.closest(name, commandNames(spec));
            } else {
                what = "unexpected argument '" + name + "'";
                suggestion = null;
            }
            if (suggestion != null) {
                what += " (did you mean '" + suggestion + "'?)";
            }
        } else {
            String m = oneLine(ex.getMessage());
            what = m.isEmpty() ? "bad arguments" : m.substring(0, 1).toLowerCase(Locale.ROOT) + m.substring(1);
        }
        String command = where.startsWith("fsc ") ? where.substring(4) + ": " : "";
        return PREFIX + command + what + "; see '" + where + " --help'";
    }

    private static List<String> optionNames(CommandLine.Model.CommandSpec spec) {
        List<String> names = new ArrayList<>();
        for (CommandLine.Model.OptionSpec o : spec.options()) {
            names.addAll(List.of(o.names()));
        }
        return names;
    }

    private static List<String> commandNames(CommandLine.Model.CommandSpec spec) {
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : spec.subcommands().entrySet()) {
            names.add(e.getKey());
        }
        return names;
    }

    /**
     * {@code s} on one printable line: line breaks become spaces, and every other control
     * character, lone surrogate or unassigned code point becomes an escape ({@code \\x00},
     * {@code \\u{d800}}). A message often echoes bytes of a bad input; a NUL or an escape sequence
     * there would garble the terminal or make line tools treat stderr as binary.
     */
    static String oneLine(String s) {
        return s == null ? "" : printable(s.replaceAll("\\s*\\R\\s*", " ").strip());
    }

    static String printable(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int n = Character.charCount(cp);
            boolean bad = cp != ' '
                    && (Character.isISOControl(cp)
                            || Character.getType(cp) == Character.SURROGATE
                            || Character.getType(cp) == Character.UNASSIGNED
                            || Character.getType(cp) == Character.PRIVATE_USE
                            || cp == '\uFFFD');
            if (bad && b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (b != null) {
                if (!bad) {
                    b.appendCodePoint(cp);
                } else if (cp < 0x100) {
                    b.append(String.format(Locale.ROOT, "\\x%02x", cp));
                } else {
                    b.append(String.format(Locale.ROOT, "\\u{%x}", cp));
                }
            }
            i += n;
        }
        return b == null ? s : b.toString();
    }
}
