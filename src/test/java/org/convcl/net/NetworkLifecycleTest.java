package org.convcl.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.convcl.Backends;
import org.convcl.DeviceTensor;
import org.convcl.Tensor;
import org.convcl.TestBackends;
import org.convcl.opencl.OpenClBackend;
import org.junit.jupiter.api.Test;

/**
 * A network's native objects come back: after runs on host and device tensors, closing the network brings the
 * OpenCL backend's live buffers and prepared convolutions back to where they were, and CPU vs OpenCL agree.
 */
class NetworkLifecycleTest {

    @Test
    void closingTheNetworkReleasesEveryBufferAndPreparedConvolution() {
        try (OpenClBackend backend = (OpenClBackend) Backends.open(TestBackends.opencl().device())) {
            int buffers = backend.liveBufferCount();
            assertEquals(0, backend.livePreparedCount());
            Tensor x = Fixtures.tensor("elementwise.input.npy");
            Tensor expected = Fixtures.tensor("elementwise.output.npy");
            Network net = Network.load(Fixtures.model("elementwise"), "elementwise", backend, Network.Options.DEFAULT);
            assertTrue(backend.livePreparedCount() > 0);
            for (int i = 0; i < 3; i++) NetworkFixtureTest.assertClose("run " + i, expected, net.run(x));
            try (DeviceTensor in = backend.upload(x); DeviceTensor out = net.run(in)) {
                NetworkFixtureTest.assertClose("device run", expected, out.download());
            }
            assertTrue(net.peakActivationBytes() > 0);
            net.close();
            net.close(); // idempotent
            assertEquals(buffers, backend.liveBufferCount(), "live buffers after close");
            assertEquals(0, backend.livePreparedCount(), "live prepared convolutions after close");
            assertThrows(IllegalStateException.class, () -> net.run(x));
        }
    }

    @Test
    void cpuAndOpenClAgreeOnWholeNetworks() {
        for (String name : Fixtures.NAMES) {
            Tensor x = Fixtures.tensor(name + ".input.npy");
            try (Network cpu = Network.load(Fixtures.model(name), name, TestBackends.cpu(), Network.Options.DEFAULT);
                 Network cl = Network.load(Fixtures.model(name), name, TestBackends.opencl(), Network.Options.DEFAULT)) {
                NetworkFixtureTest.assertClose(name + " CPU vs OpenCL", cpu.run(x), cl.run(x));
            }
        }
    }
}
