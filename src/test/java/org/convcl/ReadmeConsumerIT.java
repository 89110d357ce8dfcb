package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user of {@code org.convcl:convcl} gets (run by failsafe after {@code package}): the library jar holds no
 * part of the command-line tool and names its module, the sources and javadoc jars sit beside it, and the README's
 * Java example compiles and runs in a JVM of its own against the library jar, JOCL and slf4j-api alone, printing
 * what {@link ReadmeExampleTest#assertPrinted} expects.
 */
class ReadmeConsumerIT {
    private static Path libraryJar() {
        String path = System.getProperty("convcl.libraryJar");
        assertNotNull(path, "the pom passes convcl.libraryJar");
        Path jar = Path.of(path);
        assertTrue(Files.isRegularFile(jar), "no library jar at " + jar);
        return jar;
    }

    /** The jar (or classes folder) {@code type} was loaded from. */
    private static Path origin(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void theLibraryJarHoldsNoToolAndNamesItsModule() throws IOException {
        Path jar = libraryJar();
        try (JarFile file = new JarFile(jar.toFile())) {
            List<String> tool = file.stream().map(e -> e.getName())
                    .filter(n -> n.startsWith("org/convcl/cli/") || n.startsWith("suites/") || n.matches("logback.*\\.xml"))
                    .toList();
            assertEquals(List.of(), tool, "tool entries in " + jar);
            assertNotNull(file.getEntry("kernels/conv2d_dsblock.cl"), "the kernels are packaged");
            assertNotNull(file.getEntry("org/convcl/Backends.class"));
            assertEquals("org.convcl", file.getManifest().getMainAttributes().getValue("Automatic-Module-Name"));
        }
        String base = jar.getFileName().toString().replaceFirst("\\.jar$", "");
        for (String classifier : new String[] {"sources", "javadoc"}) {
            Path sibling = jar.resolveSibling(base + "-" + classifier + ".jar");
            assertTrue(Files.isRegularFile(sibling) && Files.size(sibling) > 0, "no " + sibling);
        }
    }

    @Test
    void theReadmeExampleCompilesAndRunsAgainstTheLibraryJarAlone(@TempDir Path dir) throws Exception {
        String classpath = String.join(File.pathSeparator, libraryJar().toString(),
                origin(org.jocl.CL.class).toString(), origin(org.slf4j.LoggerFactory.class).toString());
        Path source = dir.resolve("ReadmeExample.java");
        Files.writeString(source, "import org.convcl.*;\n\npublic class ReadmeExample {\n"
                + "    public static void main(String[] args) {\n"
                + ReadmeExampleTest.readmeBlock(Path.of("README.md")) + "    }\n}\n");

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        boolean compiled = javac.getTask(diagnostics, null, null,
                List.of("--release", "17", "-classpath", classpath, "-d", dir.toString()), null,
                javac.getStandardFileManager(null, null, StandardCharsets.UTF_8).getJavaFileObjects(source.toFile())).call();
        assertTrue(compiled, "the README block does not compile against " + classpath + ":\n" + diagnostics);

        Path stdout = dir.resolve("stdout.txt"), stderr = dir.resolve("stderr.txt");
        Process run = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dconvcl.strict=" + TestBackends.strict(), "-cp", dir + File.pathSeparator + classpath, "ReadmeExample")
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        boolean done = run.waitFor(5, TimeUnit.MINUTES);
        if (!done) run.destroyForcibly();
        String out = Files.readString(stdout), err = Files.readString(stderr);
        assertTrue(done, "the example did not finish in 5 minutes; stdout: " + out + "\nstderr: " + err);
        assertEquals(0, run.exitValue(), "stdout: " + out + "\nstderr: " + err);
        String device = ReadmeExampleTest.assertPrinted(out);
        if (TestBackends.strict()) assertTrue(device.startsWith("opencl "), "strict: the example ran on " + device);
        System.out.print(out);
    }
}
