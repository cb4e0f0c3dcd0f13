package fsc.runtime.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import fsc.runtime.RuntimeFailure;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --api-keys}: 401 without a valid key, 429 + Retry-After over a limit, classes, admin, no key in logs. */
class ApiKeysTest {
    private static final String ALICE = "sk-alice-5b0e9f1c2d";
    private static final String BOB = "sk-bob-77aa01c3e9f2";
    private static final String NIGHTLY = "sk-nightly-0c1d2e3f";
    private static final String OPS = "sk-ops-9f8e7d6c5b4a";

    private static ApiKeys keys() {
        return ApiKeys.parse(
                List.of(
                        "# name key requests/s tokens/min class [admin]",
                        "alice   " + ALICE + "   2    -      interactive",
                        "bob     " + BOB + "     -    10     interactive",
                        "nightly " + NIGHTLY + " -    -      batch",
                        "ops     " + OPS + "     -    -      interactive admin"),
                "keys.txt");
    }

    @Test
    void theFileIsCheckedLineByLine() {
        assertThrows(RuntimeFailure.class, () -> ApiKeys.parse(List.of("a k 1 1"), "f"));
        RuntimeFailure e = assertThrows(RuntimeFailure.class, () -> ApiKeys.parse(List.of("a k 0 1 interactive"), "f"));
        assertTrue(e.getMessage().startsWith("f:1: "), e.getMessage());
        assertThrows(RuntimeFailure.class, () -> ApiKeys.parse(List.of("a k 1 1 urgent"), "f"));
        assertThrows(RuntimeFailure.class, () -> ApiKeys.parse(List.of("a k 1 1 batch", "b k 1 1 batch"), "f"));
        assertThrows(RuntimeFailure.class, () -> ApiKeys.parse(List.of("# only a comment"), "f"));
        ApiKeys k = keys();
        assertNull(k.authenticate(null));
        assertNull(k.authenticate("Basic " + ALICE));
        assertNull(k.authenticate("Bearer " + ALICE + "x"));
        assertEquals("alice", k.authenticate("Bearer " + ALICE).name());
    }

    @Test
    void aBucketRefusesWithTheWaitUntilItRefills() {
        ApiKeys k = keys();
        ApiKeys.Key alice = k.authenticate("Bearer " + ALICE);
        long t = 1_000_000_000L;
        assertNull(k.admitRequest(alice, t));
        assertNull(k.admitRequest(alice, t));
        ApiKeys.Refusal r = k.admitRequest(alice, t);
        assertNotNull(r);
        assertEquals(429, r.status());
        assertEquals(1, r.retryAfterSeconds());
        assertNull(k.admitRequest(alice, t + 500_000_000L), "half a second refills one request at 2/s");
        ApiKeys.Key bob = k.authenticate("Bearer " + BOB);
        assertNull(k.admitTokens(bob, 8, t));
        k.charge(bob, 8, t); // 16 of 10 used: 6 in debt
        r = k.admitTokens(bob, 4, t);
        assertNotNull(r);
        assertEquals(60, r.retryAfterSeconds(), "10 tokens a minute: 10 needed back, 1 every 6 s");
    }

    @Test
    void theServerRefusesMissingKeysLimitsRatesAndNeverLogsAKey() throws Exception {
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        ModelLoader loader = (id, path, tok) -> HttpFixture.newGenerator(id, SchedulerConfig.defaults(4, 128, 64));
        var options = new ServeServer.Options(keys(), loader, log::add, 1000);
        try (HttpFixture f = new HttpFixture(SchedulerConfig.defaults(4, 128, 64), 0, options)) {
            String body = "{\"prompt\":\"hello\",\"max_tokens\":4}";
            var r = f.send("POST", "/v1/completions", body, null);
            assertEquals(401, r.status());
            assertTrue(r.body().contains("invalid_api_key"), r.body());
            assertEquals(
                    401, f.send("POST", "/v1/completions", body, "sk-wrong").status());
            assertEquals(401, f.send("GET", "/v1/models", null, null).status());
            assertEquals(200, f.send("GET", "/metrics", null, null).status(), "scrapers need no key");
            assertEquals(200, f.send("POST", "/v1/completions", body, ALICE).status());
            assertEquals(200, f.send("POST", "/v1/completions", body, ALICE).status());
            r = f.send("POST", "/v1/completions", body, ALICE);
            assertEquals(429, r.status(), "a third request within the second");
            assertNotNull(r.retryAfter());
            assertTrue(r.body().contains("requests/s"), r.body());
            // bob: 10 tokens a minute; a 5-token prompt and 4 generated leave 1.
            assertEquals(200, f.send("POST", "/v1/completions", body, BOB).status());
            r = f.send("POST", "/v1/completions", body, BOB);
            assertEquals(429, r.status());
            assertTrue(r.body().contains("tokens/min"), r.body());
            // nightly is a batch key: its requests run as batch even when they ask for interactive.
            assertEquals(200, f.send("POST", "/v1/completions", body, NIGHTLY).status());
            assertEquals(1, f.metrics.acceptedCount(Priority.BATCH));
            // admin routes need an admin key
            String load = "{\"id\":\"x\",\"path\":\"/m/x.jar\"}";
            assertEquals(403, f.send("POST", "/admin/models", load, NIGHTLY).status());
            assertEquals(201, f.send("POST", "/admin/models", load, OPS).status());
        }
        String all = String.join("\n", log);
        for (String secret : List.of(ALICE, BOB, NIGHTLY, OPS, "sk-wrong")) {
            assertFalse(all.contains(secret), "a key reached the access log");
        }
        assertTrue(all.contains("caller=alice"), all);
        assertTrue(all.contains("status=401"), all);
        assertTrue(all.contains("status=429"), all);
    }
}
