package dev.jtarget.backend.nbd;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;

/**
 * The Netty transport under our NBD client and server: native epoll where it loads (Linux), otherwise NIO. Both carry
 * TCP and unix sockets; they differ only in the channel classes and in how a unix socket address is spelt (epoll uses
 * Netty's {@link DomainSocketAddress}, NIO the JDK's {@link UnixDomainSocketAddress}).
 */
enum NbdTransport {
    EPOLL,
    NIO;

    /** Epoll when {@code preferNative} and the native library loads on this machine, else NIO. */
    static NbdTransport select(boolean preferNative) {
        return preferNative && Epoll.isAvailable() ? EPOLL : NIO;
    }

    EventLoopGroup newEventLoopGroup(int threads, String threadNamePrefix) {
        IoHandlerFactory handlers = this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        // Daemon threads: a backend or server someone forgot to close must not keep the JVM alive.
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadNamePrefix, true), handlers);
    }

    Class<? extends Channel> clientChannel(NbdUri.Transport transport) {
        if (transport == NbdUri.Transport.TCP) {
            return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
        }
        return this == EPOLL ? EpollDomainSocketChannel.class : NioDomainSocketChannel.class;
    }

    Class<? extends ServerChannel> serverChannel(NbdUri.Transport transport) {
        if (transport == NbdUri.Transport.TCP) {
            return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        }
        return this == EPOLL ? EpollServerDomainSocketChannel.class : NioServerDomainSocketChannel.class;
    }

    SocketAddress unixAddress(Path socket) {
        return this == EPOLL ? new DomainSocketAddress(socket.toFile()) : UnixDomainSocketAddress.of(socket);
    }
}
