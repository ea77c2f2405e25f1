package dev.jtarget.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the schema validator's messages ({@code cvc-...}, written for schema authors) into sentences about the
 * configuration. The validator reports an error before it passes the element on, so the element handed in here is
 * the one the error is about: the offending child for a start tag, the element being closed for an end tag.
 * A message never repeats the value of a {@code secret} attribute.
 */
final class SchemaMessages {

    /**
     * A facet error (pattern, enumeration, range, length) is always followed by {@code cvc-attribute.3}, which also
     * names the attribute; only that second message is translated.
     */
    private static final Set<String> FACET_CODES = Set.of(
            "cvc-pattern-valid", "cvc-enumeration-valid", "cvc-minInclusive-valid", "cvc-maxInclusive-valid",
            "cvc-minLength-valid", "cvc-maxLength-valid", "cvc-length-valid", "cvc-datatype-valid.1.2.1",
            "cvc-datatype-valid.1.2.3");

    private static final Pattern INVALID_VALUE = Pattern.compile(
            "The value '(.*)' of attribute '([^']*)' on element '([^']*)' is not valid with respect to its type, '([^']*)'\\.");
    private static final Pattern QUOTED = Pattern.compile("'([^']*)'");
    private static final Pattern EXPECTED = Pattern.compile("One of '\\{(.*)}' is expected");
    private static final Pattern EXPECTED_NAME = Pattern.compile("(?:\"[^\"]*\":)?([\\w.-]+)");

    /** Elements that may appear once; a second one is "repeated" rather than "out of order". */
    private static final Set<String> SINGLE_CHILDREN = Set.of("cache", "peer", "chap", "mutual-chap",
            "clone-per-initiator");

    private static final Map<String, String> CHILD_ORDER = Map.of(
            "jtarget", "<portal>..., <cache>, <peer>, <image>..., <target>...",
            "target", "<chap>, <mutual-chap>, <allow>..., then <lun>... or one <clone-per-initiator>");

    private SchemaMessages() {
    }

    /**
     * The user's message for one validator error, or {@code null} when the error only announces the next one.
     *
     * @param element the element the error is about, or {@code null} when there is none (before the root)
     */
    static String translate(String raw, ConfigElement element) {
        int colon = raw.indexOf(": ");
        String code = raw.startsWith("cvc-") && colon > 0 ? raw.substring(0, colon) : "";
        String detail = code.isEmpty() ? raw : raw.substring(colon + 2);
        if (FACET_CODES.contains(code)) {
            return null;
        }
        if (element == null) {
            return detail;
        }
        return switch (code) {
            case "cvc-attribute.3" -> invalidValue(detail, element);
            case "cvc-complex-type.3.2.2" -> "unknown attribute '" + quoted(detail, 0) + "' on " + element.describe();
            case "cvc-complex-type.4" -> element.describe() + " is missing its '" + quoted(detail, 0) + "' attribute";
            case "cvc-complex-type.2.4.a", "cvc-complex-type.2.4.d" -> unexpectedElement(detail, element);
            case "cvc-complex-type.2.4.b" -> incompleteElement(detail, element);
            case "cvc-complex-type.2.1" -> {
                ConfigElement named = namedInMessage(detail, element);
                yield named.describe() + " must be empty: write it as <" + named.name() + " .../>";
            }
            case "cvc-complex-type.2.3" -> namedInMessage(detail, element).describe() + " cannot contain text, only elements";
            case "cvc-elt.1.a" -> wrongRoot(element);
            default -> detail;
        };
    }

    private static String invalidValue(String detail, ConfigElement element) {
        Matcher m = INVALID_VALUE.matcher(detail);
        if (!m.matches()) {
            return detail;
        }
        String value = m.group(1);
        String attribute = m.group(2);
        return switch (m.group(4)) {
            case "Size" -> "cannot parse size '" + value + "': use bytes or a number with KiB/MiB/GiB/TiB (or K/M/G/T)";
            case "ArenaSize" -> "cannot parse arena-size '" + value
                    + "': use a size such as 256MiB or a percentage of physical memory such as 25%";
            case "ListenAddress" -> "cannot parse listen address '" + value + "': "
                    + PortalConfig.listenForm(element.name().equals("peer") ? PeerConfig.DEFAULT_PORT : 3260);
            case "Duration" -> attribute + " '" + value + "' of " + element.describe()
                    + " is not a duration: use a whole number of ms or s, for example 500ms or 15s";
            case "NbdUri" -> "uri must not be empty: use nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=PATH";
            case "ExportName" -> "export name must be 1 to 4096 characters long";
            case "IscsiName" -> invalidIscsiName(value);
            case "LunId" -> "LUN id '" + value + "' is out of range: use 0 to 16383";
            case "Flushers" -> "flushers must be a whole number from 1 to 64, not '" + value + "'";
            case "BlockSize" -> "block-size must be 512 or 4096, not '" + value + "'";
            case "PhysicalBlockSize" -> "physical-block-size must be a number of bytes of at least 512, not '"
                    + value + "'";
            case "OnOff" -> attribute + " must be 'on' or 'off', not '" + value + "'";
            case "TrueFalse" -> attribute + " must be 'true' or 'false', not '" + value + "'";
            case "Alias" -> "alias must be 1 to 255 characters long";
            case "ChapUser" -> "CHAP user name must be 1 to 255 characters long";
            case "FilePath" -> "path must not be empty";
            case "InitiatorPattern" -> "initiator pattern '" + value
                    + "' must be an initiator name, or one with * as a wildcard, without spaces, at most 223 characters";
            // Not echoing the value: a type added later might hold something sensitive.
            default -> "invalid value for attribute '" + attribute + "' on " + element.describe();
        };
    }

    private static String invalidIscsiName(String value) {
        String message = "'" + value + "' is not a valid iSCSI name"
                + " (expected iqn.YYYY-MM.reversed.domain[:suffix], eui.<16 hex> or naa.<16 or 32 hex>)";
        if (value.length() > 223) {
            return message + "; it is also longer than the 223 bytes iSCSI allows";
        }
        String lowerCase = value.toLowerCase(Locale.ROOT);
        if (value.startsWith("iqn.") && !value.equals(lowerCase) && lowerCase.matches("[a-z0-9.:-]+")) {
            // RFC 3722 folds iSCSI names to lower case; writing them that way avoids two spellings of one target.
            return message + "; write iqn names in lower case";
        }
        return message;
    }

    private static String unexpectedElement(String detail, ConfigElement element) {
        if (!ConfigSchema.NAMESPACE.equals(element.namespace())) {
            return "<" + element.name() + "> is not in the jtarget namespace: it must inherit xmlns=\""
                    + ConfigSchema.NAMESPACE + "\" from <jtarget>";
        }
        ConfigElement parent = element.parent();
        if (parent == null) {
            return detail;
        }
        if (parent.name().equals("lun")) {
            return unexpectedInLun(element, parent);
        }
        String order = CHILD_ORDER.get(parent.name());
        if (order != null && order.contains("<" + element.name() + ">")) {
            if (SINGLE_CHILDREN.contains(element.name()) && element.repeatsEarlierSibling()) {
                return "only one <" + element.name() + "> is allowed in " + parent.describe();
            }
            return "<" + element.name() + "> is out of order in " + parent.describe() + ": its children come in the order "
                   + order;
        }
        List<String> expected = expectedNames(detail);
        return "unknown element <" + element.name() + "> in " + parent.describe()
               + (expected.isEmpty() ? "" : ": expected " + orList(expected));
    }

    /** A lun holds one backend element, then optionally one delay. */
    private static String unexpectedInLun(ConfigElement element, ConfigElement lun) {
        if (element.name().equals("delay")) {
            return element.repeatsEarlierSibling()
                    ? "only one <delay> is allowed in " + lun.describe()
                    : "<delay> in " + lun.describe() + " must come after its backend, as in <lun><file .../><delay .../></lun>";
        }
        return BackendInterpreter.BACKEND_ELEMENTS.contains(element.name())
                ? lun.describe() + " has more than one backend: a lun holds exactly one"
                : "unknown backend <" + element.name() + "> in " + lun.describe() + ": expected "
                  + orList(BackendInterpreter.BACKEND_ELEMENTS);
    }

    private static String incompleteElement(String detail, ConfigElement element) {
        return switch (element.name()) {
            case "lun" -> element.describe() + " has no backend: expected " + orList(BackendInterpreter.BACKEND_ELEMENTS);
            case "target" -> element.describe() + " has no <lun>: a target needs at least one, or a"
                    + " <clone-per-initiator>";
            case "peer" -> "<peer> has no <export>: it needs at least one";
            case "jtarget" -> "the configuration needs at least one <portal> and one <target>";
            default -> {
                List<String> expected = expectedNames(detail);
                yield element.describe() + " is incomplete" + (expected.isEmpty() ? "" : ": expected " + orList(expected));
            }
        };
    }

    private static String wrongRoot(ConfigElement element) {
        String root = "<jtarget xmlns=\"" + ConfigSchema.NAMESPACE + "\">";
        return element.name().equals("jtarget")
                ? "<jtarget> is not in the jtarget namespace: write " + root
                : "the root element is <" + element.name() + ">; a jtarget configuration starts with " + root;
    }

    /** The element a message names: the one it is reported at, or an ancestor when reported at a child. */
    private static ConfigElement namedInMessage(String detail, ConfigElement element) {
        String name = quoted(detail, 0);
        for (ConfigElement e = element; e != null; e = e.parent()) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        return element;
    }

    private static String quoted(String detail, int index) {
        Matcher m = QUOTED.matcher(detail);
        for (int i = 0; i <= index; i++) {
            if (!m.find()) {
                return "?";
            }
        }
        return m.group(1);
    }

    private static List<String> expectedNames(String detail) {
        Matcher m = EXPECTED.matcher(detail);
        List<String> names = new ArrayList<>();
        if (m.find()) {
            for (String item : m.group(1).split(",")) {
                Matcher name = EXPECTED_NAME.matcher(item.strip());
                if (name.matches()) {
                    names.add(name.group(1));
                }
            }
        }
        return names;
    }

    /** {@code <a>}, {@code <a> or <b>}, {@code <a>, <b> or <c>}. */
    static String orList(List<String> names) {
        List<String> tags = names.stream().map(n -> "<" + n + ">").toList();
        if (tags.size() <= 1) {
            return String.join("", tags);
        }
        return String.join(", ", tags.subList(0, tags.size() - 1)) + " or " + tags.getLast();
    }
}
