/** Everything a compiled fsc model needs at run time. JDK only, so jlink can build an edge image. */
module fsc.runtime {
    requires jdk.incubator.vector;
    requires jdk.httpserver;
    // Optional: thread CPU time and allocation counters, for benchmarks and allocation checks.
    // An edge image built without it still runs models.
    requires static jdk.management;

    exports fsc.runtime;
    exports fsc.runtime.cuda;
    exports fsc.runtime.io;
    exports fsc.runtime.json;
    exports fsc.runtime.kernels;
    exports fsc.runtime.llm;
    exports fsc.runtime.perf;
    exports fsc.runtime.quant;
    exports fsc.runtime.serve;
    exports fsc.runtime.text;
}
