package fsc.backend.java;

import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.NameAllocator;
import fsc.ir.Node;
import fsc.ir.Value;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * One node method being generated: collision-free local names (a fresh {@link NameAllocator} that
 * already holds the class's fields and the symbol parameters) and the locals that name each operand's
 * buffer, declared once at the top of the method.
 */
final class Scope {
    private final ModelContext model;
    private final Node node;
    private final String method;
    private final NameAllocator names = new NameAllocator();
    private final CodeBlock.Builder prologue = CodeBlock.builder();
    private final Map<Value, String> segments = new IdentityHashMap<>();

    Scope(ModelContext model, Node node, String method) {
        this.model = model;
        this.node = node;
        this.method = method;
        for (String f : ModelContext.RESERVED) {
            names.newName(f, f);
        }
        for (String p : model.dims().symbols().values()) {
            names.newName(p, "sym:" + p);
            names.newName(model.symbolField(p), "field:" + p);
        }
        for (String f : model.dims().extents().values()) {
            names.newName(f, "extent:" + f);
        }
    }

    /** The name of the method this scope generates. */
    String methodName() {
        return method;
    }

    /** A scope for a helper method of the same node, named {@code <node method>_<suffix>}. */
    Scope helper(String suffix) {
        Scope h = new Scope(model, node, method + "_" + suffix);
        for (String p : java.util.List.of("from", "to", "p")) {
            h.names.newName(p, "param:" + p);
        }
        return h;
    }

    /** {@code long S = sym_S;} for each symbol: helpers called through a body field have no symbol parameters. */
    CodeBlock symbolsFromFields() {
        CodeBlock.Builder b = CodeBlock.builder();
        for (String p : model.dims().symbols().values()) {
            b.addStatement("long $N = $N", p, model.symbolField(p));
        }
        return b.build();
    }

    ModelContext model() {
        return model;
    }

    Node node() {
        return node;
    }

    DimCode dims() {
        return model.dims();
    }

    /** A fresh local variable name based on {@code hint}. */
    String local(String hint) {
        return names.newName(hint, new Object());
    }

    /** The local holding {@code v}'s buffer, declared in the prologue on first use. */
    String segment(Value v, String hint) {
        String s = segments.get(v);
        if (s == null) {
            s = local(hint);
            prologue.addStatement("$T $N = $L", JavaTypes.MEMORY_SEGMENT, s, model.buffer(v));
            segments.put(v, s);
        }
        return s;
    }

    CodeBlock prologue() {
        return prologue.build();
    }
}
