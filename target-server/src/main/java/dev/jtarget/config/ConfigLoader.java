package dev.jtarget.config;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import javax.xml.XMLConstants;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParserFactory;
import javax.xml.validation.ValidatorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;

/**
 * Reads a jtarget XML configuration: validates it against {@code conf/jtarget.xsd}, then applies the rules the schema
 * cannot express, and returns the records the server runs from. Every problem found is reported at once, each with
 * file, line and column. Loading is pure: nothing is created, opened for writing or applied, so a server that refuses
 * a file has changed nothing. It only looks at the configured paths, to report a missing device or a file used twice.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /**
     * Loads {@code file}; relative backing-file paths resolve against the current working directory, which becomes
     * {@link ServerConfig#baseDir()}.
     */
    public static ServerConfig load(Path file) throws ConfigException {
        return load(file, Path.of("").toAbsolutePath());
    }

    /** Loads {@code file}, resolving relative backing-file paths against {@code baseDir}. */
    public static ServerConfig load(Path file, Path baseDir) throws ConfigException {
        return load(file, baseDir, ConfigLoader::physicalMemoryBytes);
    }

    /** As {@link #load(Path, Path)}, with the machine's memory size (for {@code arena-size="25%"}) supplied. */
    static ServerConfig load(Path file, Path baseDir, LongSupplier physicalMemoryBytes) throws ConfigException {
        return load(file, baseDir, physicalMemoryBytes, DeviceProbe.SYSTEM);
    }

    /** As {@link #load(Path, Path, LongSupplier)}, with what the configured device paths are supplied as well. */
    static ServerConfig load(Path file, Path baseDir, LongSupplier physicalMemoryBytes, DeviceProbe devices)
            throws ConfigException {
        ConfigTreeBuilder tree = new ConfigTreeBuilder(file);
        boolean wellFormed = parse(file, tree);
        List<ConfigProblem> problems = new ArrayList<>(tree.problems());
        if (!wellFormed || tree.root() == null) {
            throw new ConfigException(problems);
        }
        if (!tree.root().name().equals("jtarget") || !ConfigSchema.NAMESPACE.equals(tree.root().namespace())) {
            // A wrong root (name or namespace) means nothing below it was validated; checking it would only add noise.
            throw new ConfigException(problems);
        }
        ConfigInterpreter interpreter = new ConfigInterpreter(file, baseDir.toAbsolutePath().normalize(),
                physicalMemoryBytes, devices);
        ServerConfig config = interpreter.interpret(tree.root());
        problems.addAll(interpreter.problems());
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return config;
    }

    /** Streams the file through the schema validator into {@code tree}; false when it is not well-formed XML. */
    private static boolean parse(Path file, ConfigTreeBuilder tree) throws ConfigException {
        if (Files.isDirectory(file)) {
            throw new ConfigException(List.of(new ConfigProblem(file, 0, 0, "is a directory, not a configuration file")));
        }
        ValidatorHandler validator = ConfigSchema.newValidatorHandler();
        validator.setContentHandler(tree);
        validator.setErrorHandler(tree);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            XMLReader reader = newReader();
            reader.setContentHandler(validator);
            reader.setErrorHandler(tree);
            InputSource source = new InputSource(in);
            source.setSystemId(file.toUri().toString());
            reader.parse(source);
            return true;
        } catch (SAXParseException e) {
            return false; // already recorded by the tree builder
        } catch (NoSuchFileException e) {
            throw new ConfigException(List.of(new ConfigProblem(file, 0, 0, "no such file")));
        } catch (AccessDeniedException e) {
            throw new ConfigException(List.of(new ConfigProblem(file, 0, 0, "permission denied")));
        } catch (IOException e) {
            throw new ConfigException(List.of(new ConfigProblem(file, 0, 0, "cannot read: " + e.getMessage())));
        } catch (SAXException e) {
            throw new ConfigException(List.of(new ConfigProblem(file, 0, 0, "cannot parse: " + e.getMessage())));
        }
    }

    /**
     * The JDK's own namespace-aware parser with everything that reaches outside the file switched off: a configuration
     * has no business declaring a DOCTYPE or pulling in external entities (XXE).
     */
    private static XMLReader newReader() throws SAXException {
        SAXParserFactory factory = SAXParserFactory.newDefaultNSInstance();
        try {
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setXIncludeAware(false);
            XMLReader reader = factory.newSAXParser().getXMLReader();
            reader.setProperty(ConfigSchema.LOCALE_PROPERTY, ConfigSchema.MESSAGE_LOCALE);
            return reader;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's SAX parser rejects its own security features", e);
        }
    }

    /** Physical memory as the JVM sees it (container limits included), for percentage arena sizes. */
    private static long physicalMemoryBytes() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
    }
}
