import java.time.Duration;
import java.util.Collection;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.common.Node;

/**
 * Readiness probe for the local broker, run by services.sh in single-file source mode:
 *   java -cp '<kafka libs>/*' KafkaReady.java <bootstrap> <seconds>
 *
 * An open TCP port is not enough: a KRaft broker accepts connections before it has
 * caught up with the metadata log and been unfenced. Ready here means the broker
 * lists itself as a live node (fenced brokers are left out of metadata answers) and
 * answers a topic listing. Retries until the deadline; exit 0 = ready, 1 = not ready.
 */
public class KafkaReady {
    public static void main(String[] args) throws InterruptedException {
        String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:9092";
        long deadline = System.nanoTime()
                + TimeUnit.SECONDS.toNanos(args.length > 1 ? Long.parseLong(args[1]) : 30);

        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "circular-ready-probe");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");

        Admin admin = Admin.create(props);
        String lastProblem = "no answer";
        try {
            while (System.nanoTime() < deadline) {
                try {
                    Collection<Node> nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                    if (nodes.isEmpty()) {
                        lastProblem = "no live (unfenced) broker in the metadata yet";
                    } else {
                        admin.listTopics(new ListTopicsOptions().listInternal(true))
                                .names().get(5, TimeUnit.SECONDS);
                        System.out.println("ready: " + nodes);
                        return;
                    }
                } catch (Exception e) {
                    lastProblem = String.valueOf(e.getCause() != null ? e.getCause() : e);
                }
                Thread.sleep(500);
            }
        } finally {
            admin.close(Duration.ofSeconds(2));
        }
        System.err.println("not ready: " + lastProblem);
        System.exit(1);
    }
}
