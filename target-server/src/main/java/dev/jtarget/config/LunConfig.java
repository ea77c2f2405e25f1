package dev.jtarget.config;

/**
 * One logical unit of a target.
 *
 * @param writeCache {@code true} reports WCE=1 and acknowledges writes from the write-back cache
 * @param blockSize  logical block size in bytes: 512 or 4096
 */
public record LunConfig(int id, boolean writeCache, int blockSize, boolean readOnly, BackendConfig backend) {
}
