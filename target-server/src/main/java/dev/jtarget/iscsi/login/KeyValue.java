package dev.jtarget.iscsi.login;

/** One {@code key=value} pair of a Login or Text PDU's data segment (RFC 7143 §6.1). */
record KeyValue(String key, String value) {

    @Override
    public String toString() {
        return key + "=" + value;
    }
}
