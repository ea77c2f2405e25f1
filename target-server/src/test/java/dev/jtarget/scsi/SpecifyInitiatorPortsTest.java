package dev.jtarget.scsi;

import static dev.jtarget.scsi.Initiator.NEXUS_A;
import static dev.jtarget.scsi.Initiator.NEXUS_B;
import static dev.jtarget.scsi.Initiator.assertGood;
import static dev.jtarget.scsi.Initiator.assertSense;
import static dev.jtarget.scsi.PrInitiator.NEXUS_C;
import static dev.jtarget.scsi.PrInitiator.assertInvalidParameter;
import static dev.jtarget.scsi.PrInitiator.REGISTER;
import static dev.jtarget.scsi.PrInitiator.REGISTER_AND_IGNORE;
import static dev.jtarget.scsi.PrInitiator.RESERVE;
import static dev.jtarget.scsi.PrInitiator.transportId;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** REGISTER with SPEC_I_PT=1: registering other I_T nexuses named by TransportIDs (SPC-4 §5.9.7, §6.16.3). */
class SpecifyInitiatorPortsTest {
    private static final long KEY = 0xC0FFEE;

    private final ScsiTarget target = Luns.target();
    private final PrInitiator a = PrInitiator.loggedIn(target, NEXUS_A);
    private final PrInitiator b = PrInitiator.loggedIn(target, NEXUS_B);

    @Test
    void registersTheSenderAndEveryNamedNexusOnceWithOneGeneration() {
        assertGood(a.registerSpecifying(REGISTER, 0, KEY, 0, transportId(NEXUS_B), transportId(NEXUS_C),
                transportId(NEXUS_A), transportId(NEXUS_B)));
        assertEquals(List.of(KEY, KEY, KEY), a.keys());
        assertEquals(1, a.generation());
        assertEquals(List.of(NEXUS_A.initiatorPortName(), NEXUS_B.initiatorPortName(),
                NEXUS_C.initiatorPortName()), a.fullStatus());
        b.reserve(KEY, PrType.WRITE_EXCLUSIVE);
    }

    @Test
    void aNexusRegisteredBeforeItLogsInUsesItsRegistrationAfterLogin() {
        assertGood(a.registerSpecifying(REGISTER, 0, KEY, 0, transportId(NEXUS_C)));
        PrInitiator c = PrInitiator.loggedIn(target, NEXUS_C);
        c.reserve(KEY, PrType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY);
        assertGood(a.initiator().write(0, Cdbs.write10(0, 1), new byte[512]));
        assertEquals(ScsiResponse.RESERVATION_CONFLICT,
                b.initiator().write(0, Cdbs.write10(0, 1), new byte[512]).status());
    }

    @Test
    void aRegisteredNamedNexusFailsTheWholeCommand() {
        b.register(0xB);
        assertSense(a.registerSpecifying(REGISTER, 0, KEY, 0, transportId(NEXUS_C), transportId(NEXUS_B)),
                Sense.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(List.of(0xBL), a.keys(), "neither A nor C was registered");
        assertEquals(List.of(NEXUS_B.initiatorPortName()), a.fullStatus());
    }

    @Test
    void theRulesOfTable67() {
        assertGood(a.registerSpecifying(REGISTER, 0, 0, 0, transportId(NEXUS_C)));
        assertEquals(List.of(), a.keys(), "service action key 0 from an unregistered nexus does nothing");
        assertEquals(ScsiResponse.RESERVATION_CONFLICT,
                a.registerSpecifying(REGISTER, 5, KEY, 0, transportId(NEXUS_C)).status());

        a.register(KEY);
        assertInvalidParameter(a.registerSpecifying(REGISTER, KEY, 7, 0, transportId(NEXUS_C)), 20, 3);
        assertInvalidParameter(a.registerSpecifying(REGISTER, KEY, 0, 0, transportId(NEXUS_C)), 20, 3);
        assertEquals(ScsiResponse.RESERVATION_CONFLICT,
                a.registerSpecifying(REGISTER, 9, 7, 0, transportId(NEXUS_C)).status());
        assertInvalidParameter(b.registerSpecifying(REGISTER_AND_IGNORE, 0, KEY, 0, transportId(NEXUS_C)), 20, 3);
        assertInvalidParameter(a.out(RESERVE, PrType.WRITE_EXCLUSIVE, KEY, 0, PrInitiator.SPEC_I_PT), 20, 3);
        assertEquals(List.of(KEY), a.keys());
    }

    @Test
    void theTransportIdListMustFitTheParameterList() {
        assertSense(a.out(REGISTER, null, 0, KEY, PrInitiator.SPEC_I_PT), Sense.ILLEGAL_REQUEST, 0x1A, 0x00);
        byte[] list = new byte[28];
        System.arraycopy(Cdbs.proutParameters(0, KEY, PrInitiator.SPEC_I_PT), 0, list, 0, 24);
        Cdb.put32(list, 24, 24);
        assertSense(a.raw(REGISTER, list), Sense.ILLEGAL_REQUEST, 0x1A, 0x00);
        assertSense(a.raw(REGISTER, Arrays.copyOf(Cdbs.proutParameters(0, KEY, 0), 28)),
                Sense.ILLEGAL_REQUEST, 0x1A, 0x00);

        byte[] truncated = transportId(NEXUS_C);
        Cdb.put16(truncated, 2, truncated.length);
        assertInvalidParameter(a.registerSpecifying(REGISTER, 0, KEY, 0, truncated), 24, -1);
        assertInvalidParameter(a.registerSpecifying(REGISTER, 0, KEY, 0, new byte[] {0x45, 0}), 24, -1);
        assertInvalidParameter(a.registerSpecifying(REGISTER, 0, KEY, 0, transportId(NEXUS_B),
                transportId(0x45, "iqn.2025-01.dev.jtarget:initiator-c,i,0x1234567890abc")), 92, -1);
        assertEquals(List.of(), a.keys());
    }

    @Test
    void reportCapabilitiesSaysSpecIPtIsSupported() {
        assertEquals(0x08, a.in(2, 8).data()[2] & 0x08, "SIP_C");
    }
}
