package dev.jtarget.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** conf/jtarget.xsd is the documented contract: every declaration carries words, and the loader knows every backend. */
class SchemaContractTest {

    private static Document schema() throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newDefaultNSInstance();
        try (InputStream in = Files.newInputStream(ConfigFiles.confDir().resolve("jtarget.xsd"))) {
            return factory.newDocumentBuilder().parse(in);
        }
    }

    private static List<Element> declarations(Document schema, String kind) {
        NodeList nodes = schema.getElementsByTagNameNS(XMLConstants.W3C_XML_SCHEMA_NS_URI, kind);
        List<Element> declared = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            Element e = (Element) nodes.item(i);
            if (e.hasAttribute("name")) {
                declared.add(e);
            }
        }
        return declared;
    }

    private static String documentation(Element declaration) {
        for (Node child = declaration.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element annotation && annotation.getLocalName().equals("annotation")) {
                return annotation.getTextContent().strip();
            }
        }
        return "";
    }

    @Test
    void everyElementAndAttributeIsDocumented() throws Exception {
        Document schema = schema();
        List<Element> declarations = new ArrayList<>(declarations(schema, "element"));
        declarations.addAll(declarations(schema, "attribute"));
        assertTrue(declarations.size() > 20);
        List<String> undocumented = declarations.stream().filter(d -> documentation(d).isEmpty())
                .map(d -> d.getLocalName() + " " + d.getAttribute("name")).toList();
        assertEquals(List.of(), undocumented);
    }

    @Test
    void backendSubstitutionGroupListsExactlyTheBackendsTheLoaderBuilds() throws Exception {
        List<String> backends = declarations(schema(), "element").stream()
                .filter(e -> e.getAttribute("substitutionGroup").equals("backend"))
                .map(e -> e.getAttribute("name")).toList();
        assertEquals(BackendInterpreter.BACKEND_ELEMENTS, backends);
    }

    @Test
    void schemaTargetsTheConfigNamespace() throws Exception {
        assertEquals(ConfigSchema.NAMESPACE, schema().getDocumentElement().getAttribute("targetNamespace"));
    }
}
