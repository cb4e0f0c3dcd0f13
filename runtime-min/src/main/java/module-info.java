/** Everything a compiled fsc model needs at run time. JDK only, so jlink can build an edge image. */
module fsc.runtime {
    requires jdk.incubator.vector;

    exports fsc.runtime;
    exports fsc.runtime.io;
    exports fsc.runtime.kernels;
}
