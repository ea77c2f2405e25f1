package dev.jtarget.backend.qcow2;

/**
 * The contract with 512-byte clusters: the 8 MiB disk then needs 256 L2 tables (more than the table cache holds, so
 * dirty tables are written back mid-workload and clean ones evicted) and 64 refcount blocks.
 */
class Qcow2SmallClusterContractTest extends Qcow2OverlayContractTest {
    @Override
    int clusterBits() {
        return 9;
    }
}
