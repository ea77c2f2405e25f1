package dev.jtarget.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One element of a configuration file as read, with the position of its start tag, so that a rule checked after
 * parsing can still point at the line the user must fix. The schema validator adds defaulted attributes, so a valid
 * element carries every attribute the schema gives a default for.
 */
final class ConfigElement {

    private final ConfigElement parent;
    private final String namespace;
    private final String name;
    private final Map<String, String> attributes;
    private final int line;
    private final int column;
    private final List<ConfigElement> children = new ArrayList<>();
    private boolean schemaValid = true;

    ConfigElement(ConfigElement parent, String namespace, String name, Map<String, String> attributes,
                  int line, int column) {
        this.parent = parent;
        this.namespace = namespace;
        this.name = name;
        this.attributes = Map.copyOf(attributes);
        this.line = line;
        this.column = column;
        if (parent != null) {
            parent.children.add(this);
        }
    }

    ConfigElement parent() {
        return parent;
    }

    String namespace() {
        return namespace;
    }

    String name() {
        return name;
    }

    int line() {
        return line;
    }

    int column() {
        return column;
    }

    /** The attribute's value, or null when absent (only possible on an element the schema rejected). */
    String attribute(String attributeName) {
        return attributes.get(attributeName);
    }

    /** False once the schema reported an error on this element: the semantic rules then leave it alone. */
    boolean schemaValid() {
        return schemaValid;
    }

    void markSchemaInvalid() {
        schemaValid = false;
    }

    /** Schema-valid children with this name, in document order. */
    List<ConfigElement> children(String childName) {
        return children.stream().filter(c -> c.schemaValid && c.name.equals(childName)).toList();
    }

    /** Schema-valid children of any name, in document order. */
    List<ConfigElement> children() {
        return children.stream().filter(c -> c.schemaValid).toList();
    }

    /** True when a child with this name exists, even one the schema rejected. */
    boolean hasChildNamed(String childName) {
        return children.stream().anyMatch(c -> c.name.equals(childName));
    }

    Optional<ConfigElement> child(String childName) {
        return children(childName).stream().findFirst();
    }

    /** True when an element with the same name came before this one under the same parent. */
    boolean repeatsEarlierSibling() {
        return parent != null && parent.children.stream()
                .takeWhile(c -> c != this)
                .anyMatch(c -> c.name.equals(name) && c.namespace.equals(namespace));
    }

    /**
     * How a message names this element: {@code target 'iqn...'}, {@code lun 0 in target 'iqn...'},
     * {@code <chap> in target 'iqn...'} or {@code <portal>}.
     */
    String describe() {
        return switch (name) {
            case "target" -> attribute("name") != null ? "target '" + attribute("name") + "'" : "<target>";
            case "lun" -> (attribute("id") != null ? "lun " + attribute("id") : "<lun>") + context();
            default -> "<" + name + ">" + context();
        };
    }

    private String context() {
        return parent != null && (parent.name.equals("target") || parent.name.equals("lun"))
                ? " in " + parent.describe() : "";
    }
}
