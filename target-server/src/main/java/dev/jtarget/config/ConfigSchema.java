package dev.jtarget.config;

import java.net.URL;
import java.util.Locale;
import javax.xml.XMLConstants;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.ValidatorHandler;
import org.xml.sax.SAXException;

/**
 * The compiled configuration schema. The source of truth is {@code conf/jtarget.xsd} in the repository; the build
 * copies it onto the classpath unchanged, so the documented contract and the enforced one cannot drift apart.
 */
final class ConfigSchema {

    static final String NAMESPACE = "urn:jtarget:config:1";

    private static final String RESOURCE = "/dev/jtarget/config/jtarget.xsd";

    /**
     * Xerces formats its messages with {@link java.util.ResourceBundle}, which falls back to the JVM's default locale
     * before its English base bundle unless asked for the root locale. Root gives the English messages that
     * {@link SchemaMessages} understands on every machine.
     */
    static final Locale MESSAGE_LOCALE = Locale.ROOT;

    static final String LOCALE_PROPERTY = "http://apache.org/xml/properties/locale";

    private static final Schema SCHEMA = compile();

    private ConfigSchema() {
    }

    /** A fresh validator; each load needs its own because a validator is stateful and not thread-safe. */
    static ValidatorHandler newValidatorHandler() {
        ValidatorHandler handler = SCHEMA.newValidatorHandler();
        try {
            handler.setProperty(LOCALE_PROPERTY, MESSAGE_LOCALE);
        } catch (SAXException e) {
            throw new IllegalStateException("the JDK's schema validator no longer accepts a message locale", e);
        }
        return handler;
    }

    private static Schema compile() {
        URL xsd = ConfigSchema.class.getResource(RESOURCE);
        if (xsd == null) {
            throw new IllegalStateException(RESOURCE + " is missing from the classpath: the build did not copy conf/jtarget.xsd");
        }
        // The JDK's own implementation, not whatever a dependency might register: the message translation relies on it.
        SchemaFactory factory = SchemaFactory.newDefaultInstance();
        try {
            // The schema is self-contained; refusing external references keeps compilation offline and predictable.
            factory.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            return factory.newSchema(xsd);
        } catch (SAXException e) {
            throw new IllegalStateException("the bundled configuration schema does not compile: " + e.getMessage(), e);
        }
    }
}
