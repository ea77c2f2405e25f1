package dev.jtarget.server;

import java.nio.file.FileStore;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;

/** A filesystem whose size and free space the test sets. */
final class FakeStore extends FileStore {
    volatile long total;
    volatile long free;

    FakeStore(long total) {
        this.total = total;
        this.free = total;
    }

    @Override
    public long getTotalSpace() {
        return total;
    }

    @Override
    public long getUsableSpace() {
        return free;
    }

    @Override
    public long getUnallocatedSpace() {
        return free;
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public String type() {
        return "fake";
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
        return false;
    }

    @Override
    public boolean supportsFileAttributeView(String name) {
        return false;
    }

    @Override
    public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
        return null;
    }

    @Override
    public Object getAttribute(String attribute) {
        throw new UnsupportedOperationException(attribute);
    }
}
