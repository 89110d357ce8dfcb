package org.convcl.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.convcl.DeviceInfo;
import org.convcl.TestBackends;
import org.junit.jupiter.api.Test;

/** The first-call probe really runs the layer in child JVMs and reports both timings. */
class FirstCallTest {

    @Test
    void coldAndWarmFirstCallsAreMeasuredInFreshProcesses() throws Exception {
        DeviceInfo device = TestBackends.opencl().device();
        FirstCall.Latency latency = FirstCall.measure(device);
        assertEquals(device, latency.device());
        assertTrue(latency.coldMs() > 0 && Double.isFinite(latency.coldMs()), "cold " + latency.coldMs());
        assertTrue(latency.warmMs() > 0 && Double.isFinite(latency.warmMs()), "warm " + latency.warmMs());
        String text = latency.describe();
        assertTrue(text.contains("conv 128->128 k1x1") && text.contains("empty program cache")
                && text.contains("compiled program on disk"), text);
    }

    @Test
    void aProbeThatFailsSaysWhy() {
        DeviceInfo ghost = new DeviceInfo(DeviceInfo.BackendKind.OPENCL, "9:9", "none", "ghost", "GPU", "none", "0",
                "none", 1, 0, 1, 1, 1, 0);
        IOException e = assertThrows(IOException.class, () -> FirstCall.measure(ghost));
        assertTrue(e.getMessage().contains("first-call probe on 9:9 failed") && e.getMessage().contains("no device with id 9:9"),
                e.getMessage());
    }
}
