package dev.jtarget.backend.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NbdUriTest {
    @Test
    void parsesTcpUrisWithAndWithoutPortAndIpv6Hosts() {
        assertEquals(NbdUri.tcp("peer.example", 10809, "disk0"), NbdUri.parse("nbd://peer.example/disk0"));
        assertEquals(NbdUri.tcp("10.0.0.2", 20000, "vol/a b"), NbdUri.parse("nbd://10.0.0.2:20000/vol/a%20b"));
        assertEquals(NbdUri.tcp("::1", 10810, "x"), NbdUri.parse("nbd://[::1]:10810/x"));
        assertEquals(NbdUri.tcp("host", 10809, ""), NbdUri.parse("nbd://host"), "no path: the default export");
        assertEquals(NbdUri.tcp("host", 10809, ""), NbdUri.parse("nbd://host/"));
    }

    @Test
    void parsesUnixSocketUris() {
        assertEquals(NbdUri.unix(Path.of("/run/nbd/peer.sock"), "disk0"),
                NbdUri.parse("nbd+unix:///disk0?socket=/run/nbd/peer.sock"));
        assertEquals(NbdUri.unix(Path.of("/tmp/a b.sock"), ""), NbdUri.parse("nbd+unix://?socket=/tmp/a%20b.sock"));
    }

    @Test
    void toStringParsesBackToAnEqualUriEvenWithOddExportNames() {
        for (NbdUri uri : new NbdUri[] {
            NbdUri.tcp("::1", 10810, "odd name?#%&/x"),
            NbdUri.tcp("host", 1, ""),
            NbdUri.unix(Path.of("/tmp/s.sock"), "disk 0"),
        }) {
            assertEquals(uri, NbdUri.parse(uri.toString()), uri.toString());
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/disk0                          | no scheme",
        "http://host/disk                | expected nbd://",
        "nbds://host/disk                | TLS",
        "nbd:///disk                     | no valid host",
        "nbd://host:99999/disk           | outside 1..65535",
        "nbd://host/disk?socket=/x       | takes none",
        "nbd+unix:///disk                | needs ?socket=",
        "nbd+unix:///disk?socket=rel.sock | not absolute",
        "nbd+unix://host/disk?socket=/s  | names a host",
        "nbd+unix:///disk?sock=/s        | unknown parameter",
        "nbd://host/a b                  | malformed",
    })
    void rejectsBadUrisSayingWhatIsWrong(String text, String complaint) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> NbdUri.parse(text));
        assertTrue(error.getMessage().contains(complaint), error.getMessage());
    }
}
