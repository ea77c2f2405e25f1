package dev.jtarget.server;

import dev.jtarget.backend.delay.DelayedBackend;
import dev.jtarget.config.BackendConfig;
import dev.jtarget.config.CacheConfig;
import dev.jtarget.config.LunConfig;
import dev.jtarget.config.PortalConfig;
import dev.jtarget.config.ServerConfig;
import dev.jtarget.config.TargetConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The server bench/cache-wce.sh measures: one target with two 1 GiB memory LUNs, each behind a backend that delays
 * every write by 2 ms (like dm-delay), LUN 0 with the write cache on (WCE=1) and LUN 1 with it off (WCE=0), sharing
 * one 256 MiB arena. Runs until killed. Arguments: the port to listen on.
 */
final class DelayedLunBenchServer {
    static final String TARGET = "iqn.2026-11.dev.jtarget:bench.delayed";

    private DelayedLunBenchServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        List<LunConfig> luns = List.of(
                new LunConfig(0, true, 512, false, new BackendConfig.Memory(1L << 30)),
                new LunConfig(1, false, 512, false, new BackendConfig.Memory(1L << 30)));
        ServerConfig config = new ServerConfig(Path.of("bench.xml"), Path.of("."),
                List.of(new PortalConfig("127.0.0.1", port)), new CacheConfig(256L << 20, 2), Optional.empty(),
                List.of(new TargetConfig(TARGET, "", Optional.empty(), Optional.empty(), List.of(), luns)));
        TargetServer server = TargetServer.start(config, ServerLimits.DEFAULTS,
                raw -> new DelayedBackend(raw, Duration.ofMillis(2), Duration.ZERO));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        Thread.currentThread().join();
    }
}
