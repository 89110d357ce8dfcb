package org.convcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Backend selection: configuration parsing, device filters, ordering and the CPU mode. */
class BackendsTest {

    private static DeviceInfo device(String id, String platform, String name, String type, int computeUnits) {
        return new DeviceInfo(DeviceInfo.BackendKind.OPENCL, id, platform, name, type, "vendor", "1.0", "OpenCL 3.0",
                computeUnits, 1000, 1024, 1L << 30, 1L << 28, 1L << 16);
    }

    private static final DeviceInfo POCL = device("0:0", "Portable Computing Language", "pthread-skylake", "CPU", 2);
    private static final DeviceInfo GEFORCE = device("1:0", "NVIDIA CUDA", "NVIDIA GeForce RTX 3060", "GPU", 28);
    private static final DeviceInfo BIG_GPU = device("1:1", "NVIDIA CUDA", "NVIDIA H100", "GPU", 132);
    private static final DeviceInfo FPGA = device("2:0", "Intel FPGA", "fpga emulator", "ACCELERATOR", 1);
    private static final List<DeviceInfo> DEVICES = List.of(POCL, GEFORCE, BIG_GPU, FPGA);

    @Test
    void defaultsAreAutoAnyDeviceNotStrict() {
        Backends.Selection s = Backends.Selection.fromSources(Map.of(), Map.of());
        assertEquals(new Backends.Selection(Backends.Mode.AUTO, null, false), s);
    }

    @Test
    void propertiesOverrideEnvironmentVariables() {
        Backends.Selection s = Backends.Selection.fromSources(
                Map.of("convcl.backend", "CPU", "convcl.strict", "TRUE"),
                Map.of("CONVCL_BACKEND", "opencl", "CONVCL_DEVICE", " skylake ", "CONVCL_STRICT", "false"));
        assertEquals(Backends.Mode.CPU, s.mode());
        assertEquals("skylake", s.device());
        assertTrue(s.strict());
    }

    @Test
    void environmentIsUsedWhenPropertiesAreBlank() {
        Backends.Selection s = Backends.Selection.fromSources(Map.of("convcl.backend", " ", "convcl.device", ""),
                Map.of("CONVCL_BACKEND", "OpenCL", "CONVCL_DEVICE", "1:0"));
        assertEquals(new Backends.Selection(Backends.Mode.OPENCL, "1:0", false), s);
        assertNull(s.withDevice("   ").device());
        assertEquals(Backends.Mode.AUTO, s.withMode(Backends.Mode.AUTO).mode());
    }

    @Test
    void badValuesNameTheKeyAndValue() {
        assertEquals("convcl.backend must be one of auto, opencl, cpu, got 'gpu'", assertThrows(IllegalArgumentException.class,
                () -> Backends.Selection.fromSources(Map.of("convcl.backend", "gpu"), Map.of())).getMessage());
        assertEquals("convcl.strict must be true or false, got 'yes'", assertThrows(IllegalArgumentException.class,
                () -> Backends.Selection.fromSources(Map.of(), Map.of("CONVCL_STRICT", "yes"))).getMessage());
        assertEquals("backend mode must not be null", assertThrows(IllegalArgumentException.class,
                () -> new Backends.Selection(null, null, false)).getMessage());
        assertEquals("convcl.backend must be one of auto, opencl, cpu, got 'null'", assertThrows(IllegalArgumentException.class,
                () -> Backends.parseMode(null)).getMessage());
    }

    @Test
    void filterMatchesIdFirstThenNameOrPlatformSubstring() {
        assertEquals(List.of(GEFORCE), Backends.filter(DEVICES, "1:0"));
        assertEquals(List.of(GEFORCE), Backends.filter(DEVICES, "geforce"));
        assertEquals(List.of(GEFORCE, BIG_GPU), Backends.filter(DEVICES, "NVIDIA"));
        assertEquals(List.of(POCL), Backends.filter(DEVICES, "portable computing"));
        assertEquals(DEVICES, Backends.filter(DEVICES, null));
        assertEquals(List.of(), Backends.filter(DEVICES, "radeon"));
    }

    @Test
    void selectKeepsListOrderPicksEachOnceAndNamesAFilterThatPicksNothing() {
        assertEquals(DEVICES, Backends.select(DEVICES, List.of()));
        assertEquals(List.of(POCL, GEFORCE, BIG_GPU), Backends.select(DEVICES, List.of("nvidia", "0:0", "geforce")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backends.select(DEVICES, List.of("geforce", "radeon")));
        assertEquals("no device matches 'radeon'; the devices are: " + POCL.describe() + "; " + GEFORCE.describe() + "; "
                + BIG_GPU.describe() + "; " + FPGA.describe(), e.getMessage());
        assertEquals(BIG_GPU, Backends.best(Backends.select(DEVICES, List.of("nvidia"))));
    }

    @Test
    void bestFirstPrefersGpusThenAcceleratorsThenCpusThenMoreComputeUnits() {
        DeviceInfo twinA = device("3:0", "p", "twin", "GPU", 132);
        List<DeviceInfo> sorted = List.of(POCL, FPGA, GEFORCE, twinA, BIG_GPU).stream().sorted(Backends.BEST_FIRST).toList();
        assertEquals(List.of(BIG_GPU, twinA, GEFORCE, FPGA, POCL), sorted);
    }

    @Test
    void cpuModeOpensTheJavaBackend() {
        try (Backend b = Backends.open(new Backends.Selection(Backends.Mode.CPU, "cpu", true))) {
            DeviceInfo d = b.device();
            assertEquals(DeviceInfo.BackendKind.CPU, d.backend());
            assertEquals("cpu", d.id());
            assertEquals("CPU", d.type());
            assertEquals("Java CPU (" + Runtime.getRuntime().availableProcessors() + " threads)", d.name());
        }
        assertEquals("convcl.device 'gpu' cannot be used with convcl.backend=cpu (the CPU backend has one device, 'cpu')",
                assertThrows(IllegalArgumentException.class,
                        () -> Backends.open(new Backends.Selection(Backends.Mode.CPU, "gpu", false))).getMessage());
    }

    @Test
    void devicesListTheCpuBackendLast() {
        List<DeviceInfo> all = Backends.devices();
        assertEquals("cpu", all.get(all.size() - 1).id());
        assertEquals(Backends.openClDevices().size() + 1, all.size());
    }

    @Test
    void autoFallsBackToTheCpuOnlyWhenNoOpenClDeviceExists() {
        boolean haveOpenCl = !Backends.openClDevices().isEmpty();
        try (Backend b = Backends.open(Backends.Selection.auto())) {
            assertEquals(haveOpenCl ? DeviceInfo.BackendKind.OPENCL : DeviceInfo.BackendKind.CPU, b.device().backend());
        }
        Backends.Selection strict = new Backends.Selection(Backends.Mode.AUTO, null, true);
        if (haveOpenCl) {
            try (Backend b = Backends.open(strict)) {
                assertEquals(DeviceInfo.BackendKind.OPENCL, b.device().backend());
            }
        } else {
            BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.open(strict));
            assertTrue(e.getMessage().contains(Backends.INSTALL_HINT) && e.getMessage().contains("convcl.strict=true"),
                    e.getMessage());
        }
    }

    @Test
    void aDeviceFilterMatchingNothingIsAnErrorForOpenCl() {
        Backends.Selection s = new Backends.Selection(Backends.Mode.OPENCL, "no-such-device-xyz", false);
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.open(s));
        assertTrue(e.getMessage().contains("no device matches 'no-such-device-xyz'"), e.getMessage());
    }
}
