package fsc.tests.llm;

import fsc.compiler.CompileDriver;
import fsc.compiler.CompileProgress;
import fsc.compiler.CompileSettings;
import fsc.frontend.gguf.arch.DecoderNumerics;
import fsc.frontend.gguf.arch.DecoderOptions;
import fsc.ir.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Compiles each GGUF test model once per test JVM (small context, so the suite stays fast). */
final class CompiledDecoders {
    private static final Map<String, Path> JARS = new HashMap<>();

    private CompiledDecoders() {}

    static synchronized Path jar(String file) {
        return jar(GgufReferences.model(file));
    }

    static synchronized Path jar(Path gguf) {
        return jar(gguf, DecoderNumerics.F32, DType.F32);
    }

    /** {@code file} compiled with {@code numerics} (llama.cpp numerics bring their f16 KV cache). */
    static synchronized Path jar(String file, DecoderNumerics numerics) {
        return jar(GgufReferences.model(file), numerics, numerics == DecoderNumerics.LLAMA_CPP ? DType.F16 : DType.F32);
    }

    /** {@code file} compiled with {@code numerics} and a KV cache of {@code kvType}. */
    static synchronized Path jar(String file, DecoderNumerics numerics, DType kvType) {
        return jar(GgufReferences.model(file), numerics, kvType);
    }

    private static Path jar(Path gguf, DecoderNumerics numerics, DType kvType) {
        return JARS.computeIfAbsent(gguf + "@" + numerics.cliName() + "/" + kvType, f -> {
            try {
                Path dir = Files.createTempDirectory("fsc-llm");
                Path jar = dir.resolve(gguf.getFileName().toString().replace(".gguf", ".jar"));
                DecoderOptions options = new DecoderOptions(256, 64, 4, 16)
                        .withNumerics(numerics)
                        .withKvType(kvType);
                CompileDriver.compile(
                        CompileSettings.builder(gguf, jar).decoder(options).build(), CompileProgress.SILENT);
                return jar;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
