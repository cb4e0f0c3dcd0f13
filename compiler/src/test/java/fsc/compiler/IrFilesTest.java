package fsc.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import fsc.ir.FscException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IrFilesTest {
    /** A dump that is not UTF-8 names the first bad byte (it said only "Input length = 1"). */
    @Test
    void bytesThatAreNotUtf8AreLocated(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.fsir");
        Files.write(f, new byte[] {'g', 'r', 'a', 'p', 'h', ' ', (byte) 0xff, '@'});
        FscException e = assertThrows(FscException.class, () -> IrFiles.read(f));
        assertEquals(f + ": byte offset 6: not UTF-8 text (an .fsir file is UTF-8)", e.getMessage());
    }
}
