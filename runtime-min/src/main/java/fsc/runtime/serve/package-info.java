/**
 * The serving runtime: a deterministic continuous-batching {@link fsc.runtime.serve.Scheduler}
 * (chunked prefill under a per-step token budget, priority classes, latency budgets, admission
 * control, preemption, prefix sharing over a reference-counted {@link fsc.runtime.serve.KvPool}),
 * the {@link fsc.runtime.serve.ServeEngine} thread that drives a compiled decoder with it, and the
 * HTTP server ({@link fsc.runtime.serve.ServeServer}) with Prometheus {@link
 * fsc.runtime.serve.Metrics}. See docs/SERVING.md.
 */
package fsc.runtime.serve;
