package dev.jtarget.scsi;

/**
 * Ends a command with CHECK CONDITION and the given sense. Thrown while parsing and validating a command, or used to
 * fail a command's future; the dispatcher turns it into the response. It is control flow, so it has no stack trace.
 */
final class CheckCondition extends RuntimeException {
    private final transient Sense sense;

    CheckCondition(Sense sense) {
        super(sense.toString(), null, false, false);
        this.sense = sense;
    }

    Sense sense() {
        return sense;
    }
}
