import java.io.File;
import org.jscsi.target.Configuration;
import org.jscsi.target.TargetServer;

/**
 * Starts jSCSI target 2.5.2 for bench/compare.sh. Its own main asks on stdin which local address to bind; this one
 * binds the address given, so the benchmark needs no terminal.
 *
 * <p>Arguments: SCHEMA.xsd CONFIG.xml ADDRESS. Run with the java source launcher and jSCSI's jars on the class path.
 */
public final class JscsiTarget {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: JscsiTarget SCHEMA.xsd CONFIG.xml ADDRESS");
        }
        new TargetServer(Configuration.create(new File(args[0]), new File(args[1]), args[2])).call();
    }
}
