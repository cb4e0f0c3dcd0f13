package fsc.cli;

import picocli.CommandLine;

/** Version shown by {@code fsc --version} and in generated-code banners. */
public final class Version implements CommandLine.IVersionProvider {
    public static final String VERSION = "0.1.0";

    @Override
    public String[] getVersion() {
        return new String[] {"fsc " + VERSION + " (Java " + Runtime.version() + ")"};
    }
}
