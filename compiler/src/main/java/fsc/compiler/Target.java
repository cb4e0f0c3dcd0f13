package fsc.compiler;

import fsc.ir.FscException;

/** {@code --target}: which code generator(s) a jar carries. */
public enum Target {
    /** Java Vector API code only. */
    JAVA("java"),
    /** CUDA kernels; the jar refuses to run where there is no GPU. */
    CUDA("cuda"),
    /** CUDA kernels, with the Java code as the fallback where there is no GPU. */
    CUDA_JAVA("cuda,java");

    public final String cliName;

    Target(String cliName) {
        this.cliName = cliName;
    }

    public boolean cuda() {
        return this != JAVA;
    }

    public static Target byName(String name) {
        for (Target t : values()) {
            if (t.cliName.equals(name)) {
                return t;
            }
        }
        throw new FscException("unknown --target '" + name + "'", "use java, cuda or cuda,java");
    }
}
