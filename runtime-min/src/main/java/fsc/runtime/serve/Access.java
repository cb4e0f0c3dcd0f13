package fsc.runtime.serve;

import com.sun.net.httpserver.HttpExchange;

/** The key check every API and admin route passes first: open when no {@code --api-keys} were given. */
final class Access {
    private final ApiKeys keys;

    Access(ApiKeys keys) {
        this.keys = keys;
    }

    /**
     * The caller's key (null on an open server), after charging one request.
     *
     * @throws HttpIo.HttpError 401 without a valid key, 403 for admin routes without an admin key,
     *     429 with Retry-After over the key's requests/s
     */
    ApiKeys.Key admit(HttpExchange ex, boolean admin) {
        if (keys == null) {
            return null;
        }
        ApiKeys.Key k = keys.authenticate(ex.getRequestHeaders().getFirst("Authorization"));
        if (k == null) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            throw new HttpIo.HttpError(
                    401, "a valid API key is required (Authorization: Bearer KEY)", "invalid_api_key");
        }
        RequestLog.of(ex).caller = k.name();
        if (admin && !k.admin()) {
            throw new HttpIo.HttpError(403, "key '" + k.name() + "' may not use the admin routes");
        }
        throw429(keys.admitRequest(k, System.nanoTime()));
        return k;
    }

    /** Charges a prompt to the key's tokens/min (no-op on an open server). */
    void admitTokens(ApiKeys.Key k, int promptTokens) {
        if (k != null) {
            throw429(keys.admitTokens(k, promptTokens, System.nanoTime()));
        }
    }

    void charge(ApiKeys.Key k, int generated) {
        if (k != null && generated > 0) {
            keys.charge(k, generated, System.nanoTime());
        }
    }

    private static void throw429(ApiKeys.Refusal r) {
        if (r != null) {
            throw new HttpIo.HttpError(r.status(), r.message(), "rate_limit_exceeded", r.retryAfterSeconds());
        }
    }
}
