package org.convcl.opencl;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ClStatusTest {

    @ParameterizedTest
    @CsvSource({
            "0, CL_SUCCESS",
            "-1, CL_DEVICE_NOT_FOUND",
            "-5, CL_OUT_OF_RESOURCES",
            "-11, CL_BUILD_PROGRAM_FAILURE",
            "-54, CL_INVALID_WORK_GROUP_SIZE",
            "-63, CL_INVALID_GLOBAL_WORK_SIZE",
            "-1001, CL_PLATFORM_NOT_FOUND_KHR",
            "-9999, CL_UNKNOWN_ERROR(-9999)"})
    void namesStatusCodes(int code, String name) {
        assertEquals(name, ClStatus.name(code));
    }

    @Test
    void checkThrowsNamingTheCallAndTheError() {
        ClStatus.ClException e = assertThrows(ClStatus.ClException.class,
                () -> ClStatus.check(-54, "clEnqueueNDRangeKernel"));
        assertEquals(-54, e.status());
        assertTrue(e.getMessage().contains("clEnqueueNDRangeKernel"), e.getMessage());
        assertTrue(e.getMessage().contains("CL_INVALID_WORK_GROUP_SIZE"), e.getMessage());
    }

    @Test
    void checkAcceptsSuccess() {
        assertDoesNotThrow(() -> ClStatus.check(0, "clFinish"));
    }
}
