package fsc.backend.java;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.CodeAttribute;
import java.util.Map;

/**
 * Checks the compiled classes against HotSpot's {@code HugeMethodLimit}: a method with more than
 * 8,000 bytes of bytecode is never JIT-compiled, so a generated kernel that large would run
 * interpreted, hundreds of times slower. The emitter splits long statement lists to stay far below;
 * this check turns a regression into a compile-time error instead of a silent slowdown.
 */
final class BytecodeLimits {
    private BytecodeLimits() {}

    /** HotSpot's {@code -XX:HugeMethodLimit} default. */
    static final int HUGE_METHOD_LIMIT = 8000;

    static void check(Map<String, byte[]> classes) {
        for (Map.Entry<String, byte[]> e : classes.entrySet()) {
            ClassModel cm = ClassFile.of().parse(e.getValue());
            for (MethodModel m : cm.methods()) {
                m.code().ifPresent(code -> {
                    int length = ((CodeAttribute) code).codeLength();
                    if (length > HUGE_METHOD_LIMIT) {
                        throw new IllegalStateException("generated method " + e.getKey() + " "
                                + m.methodName().stringValue() + " has " + length + " bytes of bytecode, over the "
                                + HUGE_METHOD_LIMIT + "-byte JIT limit (backend-java must split it)");
                    }
                });
            }
        }
    }
}
