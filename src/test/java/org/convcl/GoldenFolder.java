package org.convcl;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.function.Function;
import java.util.stream.Stream;
import org.convcl.cli.Npy;

/**
 * One case folder written by {@code scripts/golden_files.py}: {@code .npy} arrays and {@code case.properties}. The
 * golden tests read their cases through it.
 */
record GoldenFolder(Path dir, Properties properties) {

    /** Every case folder under a test resource directory (e.g. {@code "/golden"}), in name order, each loaded. */
    static <T> List<T> loadAll(String resource, Function<GoldenFolder, T> load) {
        try (Stream<Path> dirs = Files.list(Path.of(GoldenFolder.class.getResource(resource).toURI()))) {
            return dirs.filter(Files::isDirectory).sorted().map(GoldenFolder::open).map(load).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static GoldenFolder open(Path dir) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(dir.resolve("case.properties"))) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new GoldenFolder(dir, p);
    }

    String name() {
        return dir.getFileName().toString();
    }

    boolean has(String array) {
        return Files.exists(dir.resolve(array + ".npy"));
    }

    Npy.Array array(String array) {
        try {
            return Npy.read(dir.resolve(array + ".npy"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Tensor tensor(String array) {
        return array(array).toTensor(array);
    }

    /** The array's values, or null when the case has no such file (e.g. a layer without bias). */
    float[] dataOrNull(String array) {
        return has(array) ? array(array).data() : null;
    }

    String get(String key) {
        return properties.getProperty(key);
    }

    int[] ints(String key) {
        return Arrays.stream(get(key).split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    }

    /** The layer of a single-convolution case: channels and kernel from {@code weight.npy}, the rest from the flags. */
    ConvSpec layerSpec() {
        Npy.Array w = array("weight");
        w.requireRank("weight", 4);
        int groups = Integer.parseInt(get("groups"));
        int[] stride = ints("stride"), pad = ints("padding"), dilation = ints("dilation");
        return ConvSpec.builder(w.dim(1) * groups, w.dim(0), w.dim(2), w.dim(3))
                .stride(stride[0], stride[1]).dilation(dilation[0], dilation[1]).groups(groups)
                .padding(pad[0], pad[1], pad[2], pad[3]).build();
    }
}
