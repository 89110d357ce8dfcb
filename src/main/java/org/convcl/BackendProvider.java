package org.convcl;

import java.util.List;

/**
 * A family of backends found through {@link java.util.ServiceLoader} (registered in
 * {@code META-INF/services/org.convcl.BackendProvider}), so that this package never touches an
 * implementation's classes: the OpenCL provider may fail to load where no OpenCL library exists.
 */
public interface BackendProvider {

    DeviceInfo.BackendKind kind();

    /**
     * The devices this provider can open, best first is not required. Returns an empty list when the
     * runtime is present but has no platform or device; throws {@link BackendUnavailableException} with
     * the cause when the runtime itself cannot be loaded.
     */
    List<DeviceInfo> devices();

    /** Opens a backend on one of {@link #devices()}. */
    Backend open(DeviceInfo device);
}
