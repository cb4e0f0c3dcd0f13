package fsc.runtime.serve;

/**
 * Limits on connections, applied to the JDK HTTP server, whose settings are JVM-wide system
 * properties read once when its first server is created. {@link #install} sets each one the
 * operator has not set with {@code -D}: a slowloris client (headers or a body trickled a byte at a
 * time) or a connection that never sends a request is closed after {@link #REQUEST_SECONDS};
 * idle connections wait in the server's selector, not on threads, so they cannot starve the
 * handlers; past {@link #MAX_CONNECTIONS} the server stops accepting until some close.
 */
final class ConnectionLimits {
    /** Headers and body of one request must arrive within this (the JDK's maxReqTime). */
    static final int REQUEST_SECONDS = 10;

    /** Header lines and bytes the {@link RequestGuard} accepts; above, 431 with a JSON body. */
    static final int MAX_HEADERS = 64;

    static final int MAX_HEADER_BYTES = 16 * 1024;

    /** Beyond this the JDK server drops the connection while reading headers (no answer). */
    static final int HARD_HEADER_BYTES = 64 * 1024;

    static final int HARD_HEADERS = 128;

    static final int MAX_CONNECTIONS = 2048;

    private ConnectionLimits() {}

    static synchronized void install() {
        setIfAbsent("sun.net.httpserver.maxReqTime", Integer.toString(REQUEST_SECONDS));
        setIfAbsent("sun.net.httpserver.maxReqHeaderSize", Integer.toString(HARD_HEADER_BYTES));
        setIfAbsent("sun.net.httpserver.maxReqHeaders", Integer.toString(HARD_HEADERS));
        setIfAbsent("jdk.httpserver.maxConnections", Integer.toString(MAX_CONNECTIONS));
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
