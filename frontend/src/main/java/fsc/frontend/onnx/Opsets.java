package fsc.frontend.onnx;

import fsc.frontend.onnx.proto.Onnx.ModelProto;
import fsc.frontend.onnx.proto.Onnx.OperatorSetIdProto;
import fsc.ir.FscException;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The operator sets a model imports, by domain. The standard domain is spelled {@code ""} or
 * {@code "ai.onnx"} in files; here it is always {@link #DEFAULT_DOMAIN}. A node binds to the version
 * imported for its domain.
 */
record Opsets(SortedMap<String, Long> versions) {
    static final String DEFAULT_DOMAIN = "ai.onnx";

    Opsets {
        versions = Collections.unmodifiableSortedMap(new TreeMap<>(versions));
    }

    static Opsets of(ModelProto model, String file) {
        TreeMap<String, Long> v = new TreeMap<>();
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            String domain = normalize(o.getDomain());
            // The spec forbids duplicates; a file that has them gets the newest, as ONNX Runtime does.
            v.merge(domain, o.getVersion(), Math::max);
        }
        if (v.isEmpty()) {
            throw new FscException(file + ": the model imports no operator set (opset_import is empty)");
        }
        return new Opsets(v);
    }

    static String normalize(String domain) {
        return domain.isEmpty() ? DEFAULT_DOMAIN : domain;
    }

    /** The imported version of {@code domain} (normalised), or 0 when the model does not import it. */
    long version(String domain) {
        return versions.getOrDefault(normalize(domain), 0L);
    }

    /** The standard opset, 0 when the model imports only other domains. */
    long standard() {
        return version(DEFAULT_DOMAIN);
    }
}
