package org.convcl.opencl;

/** How the OpenCL backend reads a setting: the system property when it is set, else the environment variable. */
final class Settings {
    private Settings() {}

    /** {@code property} when it is not blank, else {@code environment} when it is not blank, else null; trimmed. */
    static String value(String property, String environment) {
        String value = property != null && !property.isBlank() ? property : environment;
        return value == null || value.isBlank() ? null : value.trim();
    }
}
