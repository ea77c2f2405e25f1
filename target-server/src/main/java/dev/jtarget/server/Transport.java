package dev.jtarget.server;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;

/** Native epoll on Linux when its library loads, NIO everywhere else. */
final class Transport {
    private static final boolean EPOLL = !Boolean.getBoolean("jtarget.nio") && Epoll.isAvailable();

    private Transport() {
    }

    static IoHandlerFactory ioHandlerFactory() {
        return EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    static Class<? extends ServerChannel> serverChannelClass() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** The server channel for a Unix domain socket on the same event loops. */
    static Class<? extends ServerChannel> domainServerChannelClass() {
        return EPOLL ? EpollServerDomainSocketChannel.class : NioServerDomainSocketChannel.class;
    }

    /** Each transport names a Unix socket its own way. */
    static SocketAddress domainSocketAddress(Path path) {
        return EPOLL ? new DomainSocketAddress(path.toString()) : UnixDomainSocketAddress.of(path);
    }

    static String name() {
        return EPOLL ? "epoll" : "nio";
    }
}
