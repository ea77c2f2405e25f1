package dev.jtarget.iscsi.login;

/**
 * Everything a login established for a connection and its session (RFC 7143 §13).
 *
 * @param targetName                        empty for a discovery session
 * @param initiatorAlias                    empty when the initiator declared none
 * @param tsih                              0 until the session layer admitted the login
 * @param headerDigest                      CRC32C header digests in both directions
 * @param dataDigest                        CRC32C data digests in both directions
 * @param initiatorMaxRecvDataSegmentLength the largest data segment we may send
 * @param targetMaxRecvDataSegmentLength    the largest data segment we declared we accept
 */
public record SessionParameters(SessionType sessionType, String initiatorName, String initiatorAlias,
                                String targetName, long isid, int tsih, int connectionId, boolean headerDigest,
                                boolean dataDigest, int initiatorMaxRecvDataSegmentLength,
                                int targetMaxRecvDataSegmentLength, int maxBurstLength, int firstBurstLength,
                                boolean initialR2T, boolean immediateData, int maxOutstandingR2T,
                                boolean dataPduInOrder, boolean dataSequenceInOrder, int defaultTime2Wait,
                                int defaultTime2Retain, int errorRecoveryLevel, int maxConnections) {

    public SessionParameters withTsih(int newTsih) {
        return new SessionParameters(sessionType, initiatorName, initiatorAlias, targetName, isid, newTsih,
                connectionId, headerDigest, dataDigest, initiatorMaxRecvDataSegmentLength,
                targetMaxRecvDataSegmentLength, maxBurstLength, firstBurstLength, initialR2T, immediateData,
                maxOutstandingR2T, dataPduInOrder, dataSequenceInOrder, defaultTime2Wait, defaultTime2Retain,
                errorRecoveryLevel, maxConnections);
    }

    public boolean discovery() {
        return sessionType == SessionType.DISCOVERY;
    }

    /**
     * This session's values with the connection-scoped ones (digests, receive limits, CID) of {@code connection}:
     * what applies when a new connection takes the session over, since a non-leading login negotiates only those.
     */
    public SessionParameters withConnectionValuesOf(SessionParameters connection) {
        return new SessionParameters(sessionType, initiatorName, initiatorAlias, targetName, isid, tsih,
                connection.connectionId, connection.headerDigest, connection.dataDigest,
                connection.initiatorMaxRecvDataSegmentLength, connection.targetMaxRecvDataSegmentLength,
                maxBurstLength, firstBurstLength, initialR2T, immediateData, maxOutstandingR2T, dataPduInOrder,
                dataSequenceInOrder, defaultTime2Wait, defaultTime2Retain, errorRecoveryLevel, maxConnections);
    }
}
