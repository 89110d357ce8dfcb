package org.convcl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import java.net.URL;
import org.junit.jupiter.api.Test;

/** The tools' logging configuration: INFO by default, so DEBUG detail (build logs, warnings) stays out of the terminal. */
class CliLoggingTest {
    @Test
    void theToolsLogAtInfoUnlessTold() throws Exception {
        URL config = Main.class.getClassLoader().getResource(Main.LOGBACK_RESOURCE);
        assertNotNull(config, Main.LOGBACK_RESOURCE);
        LoggerContext context = new LoggerContext();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(config);
        String asked = System.getProperty("convcl.log.level", System.getenv("CONVCL_LOG_LEVEL"));
        Level expected = asked == null || asked.isBlank() ? Level.INFO : Level.toLevel(asked);
        assertEquals(expected, context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel());
        if (expected == Level.INFO) {
            Logger library = context.getLogger("org.convcl.opencl.KernelLibrary");
            assertTrue(library.isInfoEnabled());
            assertFalse(library.isDebugEnabled(), "kernel build logs are DEBUG and stay out of the terminal");
        }
        context.stop();
    }
}
