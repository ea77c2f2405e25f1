package dev.jtarget.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Records what jtarget logs (INFO and above) while it is open, so a test can look for errors or leaked secrets. */
public final class LogCapture implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger("dev.jtarget");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    public LogCapture() {
        appender.start();
        logger.addAppender(appender);
    }

    /** Every captured line with its stack trace, if any. */
    public List<String> lines() {
        return events().stream().map(LogCapture::render).toList();
    }

    /** The captured lines at ERROR level. */
    public List<String> errors() {
        return events().stream().filter(event -> event.getLevel() == Level.ERROR).map(LogCapture::render).toList();
    }

    private List<ILoggingEvent> events() {
        synchronized (appender) { // the appender appends under its own lock
            return List.copyOf(appender.list);
        }
    }

    private static String render(ILoggingEvent event) {
        String line = event.getLevel() + " " + event.getLoggerName() + " - " + event.getFormattedMessage();
        return event.getThrowableProxy() == null ? line
                : line + "\n" + ThrowableProxyUtil.asString(event.getThrowableProxy());
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
