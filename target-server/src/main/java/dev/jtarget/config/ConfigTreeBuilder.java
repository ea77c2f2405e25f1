package dev.jtarget.config;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xml.sax.Attributes;
import org.xml.sax.Locator;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Receives the validated SAX stream and builds the {@link ConfigElement} tree, collecting every schema error as a
 * {@link ConfigProblem}. Sits behind the schema {@link javax.xml.validation.ValidatorHandler}, which reports an error
 * on a start or end tag before forwarding that tag; errors are therefore held until the tag arrives and then
 * translated with the element they concern, which also marks that element invalid for the semantic rules.
 */
final class ConfigTreeBuilder extends DefaultHandler {

    private final Path file;
    private final List<ConfigProblem> problems = new ArrayList<>();
    private final List<SAXParseException> pending = new ArrayList<>();
    private final Deque<ConfigElement> open = new ArrayDeque<>();
    private Locator locator;
    private ConfigElement root;

    ConfigTreeBuilder(Path file) {
        this.file = file;
    }

    /** The root element, or null when the document had none (it was not well-formed). */
    ConfigElement root() {
        return root;
    }

    List<ConfigProblem> problems() {
        return problems;
    }

    @Override
    public void setDocumentLocator(Locator documentLocator) {
        this.locator = documentLocator;
    }

    @Override
    public void startElement(String uri, String localName, String qName, Attributes attributes) {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < attributes.getLength(); i++) {
            values.put(attributes.getLocalName(i), attributes.getValue(i));
        }
        ConfigElement element = new ConfigElement(open.peek(), uri, localName, values,
                locator.getLineNumber(), locator.getColumnNumber());
        if (root == null) {
            root = element;
        }
        open.push(element);
        reportPending(element);
    }

    @Override
    public void endElement(String uri, String localName, String qName) {
        reportPending(open.pop());
    }

    @Override
    public void endDocument() {
        reportPending(null);
    }

    /** A schema error: held until the tag it is about arrives (see class comment). */
    @Override
    public void error(SAXParseException e) {
        pending.add(e);
    }

    /** Not well-formed XML: parsing cannot go on, so this is the last problem. */
    @Override
    public void fatalError(SAXParseException e) throws SAXException {
        reportPending(open.peek());
        String message = e.getMessage();
        if (message != null && message.contains("disallow-doctype-decl")) {
            message = "a DOCTYPE is not allowed in a jtarget configuration";
        } else {
            message = "not well-formed XML: " + message;
        }
        problems.add(new ConfigProblem(file, Math.max(e.getLineNumber(), 0), Math.max(e.getColumnNumber(), 0), message));
        throw e;
    }

    @Override
    public void warning(SAXParseException e) {
        // The validator's warnings are about the schema itself, not the user's file.
    }

    private void reportPending(ConfigElement element) {
        for (SAXParseException e : pending) {
            String message = SchemaMessages.translate(String.valueOf(e.getMessage()), element);
            if (message != null) {
                problems.add(new ConfigProblem(file, Math.max(e.getLineNumber(), 0), Math.max(e.getColumnNumber(), 0),
                        message));
            }
            if (element != null) {
                element.markSchemaInvalid();
            }
        }
        pending.clear();
    }
}
