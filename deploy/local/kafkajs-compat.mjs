// Checks that kafkajs (2.2.4) works against the running broker the way the platform uses it.
//
//   node deploy/local/kafkajs-compat.mjs            # broker from KAFKA_BROKERS or 127.0.0.1:$KAFKA_PORT
//   KAFKA_BROKERS=127.0.0.1:9092 node deploy/local/kafkajs-compat.mjs
//
// Required checks (exit 1 if any fails):
//   1. admin.createTopics creates a 3-partition topic
//   2. a producer with acks=-1 (all in-sync replicas) gets every send acknowledged
//   3. a consumer in a group receives every message and commits its offsets
//   4. the committed offsets are visible to the admin API (OffsetFetch)
//   5. a second consumer in the same group resumes after the committed offsets:
//      it gets only the messages produced later, none of the first batch again
// Informational (reported, do not fail the run): idempotent producer, deleteTopics, and
// a table of the API versions kafkajs will send next to the range the broker accepts.
// kafkajs picks min(its newest implemented version, broker max) and never looks at the
// broker's minimum, so a broker that drops old versions (KIP-896) breaks it silently.
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';

const { Kafka, logLevel, Partitioners } = kafkajs;
const require = createRequire(import.meta.url);

const brokers = (process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`).split(',');
const runId = `${Date.now().toString(36)}-${process.pid}`;
const topic = `kafkajs-compat-${runId}`;
const groupId = `kafkajs-compat-group-${runId}`;
const FIRST_BATCH = 30;
const SECOND_BATCH = 20;
const PHASE_TIMEOUT_MS = 30_000;
const REQUIRED_CHECKS = 5;

const kafka = new Kafka({
  clientId: 'kafkajs-compat',
  brokers,
  logLevel: logLevel.NOTHING,
  // Short backoff: an unreachable broker should fail the run in seconds, not minutes.
  retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
});

const results = [];
let failed = false;

async function check(name, fn, { required = true } = {}) {
  const started = Date.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true, required });
    console.log(`PASS ${name}${detail ? ` — ${detail}` : ''} (${Date.now() - started} ms)`);
    return true;
  } catch (err) {
    results.push({ name, ok: false, required });
    if (required) failed = true;
    const label = required ? 'FAIL' : 'WARN';
    console.log(`${label} ${name} — ${err?.name ?? 'Error'}: ${err?.message ?? err}`);
    if (err?.type) console.log(`     kafka error type: ${err.type}`);
    return false;
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

function batch(prefix, count) {
  return Array.from({ length: count }, (_, i) => ({
    key: `device-${i % 7}`,
    value: JSON.stringify({ batch: prefix, seq: i }),
  }));
}

// Runs a consumer in the group until `expected` messages arrived, commits, disconnects.
// Resolves with the received values. Keeps listening briefly after the expected count
// so that duplicates (a re-read of already committed messages) would be noticed.
async function consumeInGroup(expected, label) {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
  });
  const received = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done;
    const allIn = new Promise((resolve) => (done = resolve));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        received.push(JSON.parse(message.value.toString()));
        // Commit the next offset to read, as kafkajs' own auto-commit does.
        await consumer.commitOffsets([
          { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
        ]);
        if (received.length >= expected) done();
      },
    });
    const timer = setTimeout(() => done(), PHASE_TIMEOUT_MS);
    await allIn;
    clearTimeout(timer);
    await new Promise((r) => setTimeout(r, 1_500));
  } finally {
    await consumer.disconnect();
  }
  assert(
    received.length >= expected,
    `${label}: received ${received.length} of ${expected} messages within ${PHASE_TIMEOUT_MS} ms`,
  );
  return received;
}

// Uses kafkajs internals (stable for the pinned 2.2.4) to read the broker's ApiVersions.
async function apiVersionTable() {
  const src = (m) => require(`kafkajs/src/${m}`);
  const ConnectionPool = src('network/connectionPool');
  const Broker = src('broker');
  const socketFactory = src('network/socketFactory');
  const { createLogger, LEVELS } = src('loggers');
  const { requests } = src('protocol/requests');
  const apiKeys = src('protocol/requests/apiKeys');
  const [host, port] = brokers[0].split(':');
  const logger = createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} });
  const connectionPool = new ConnectionPool({
    host,
    port: Number(port),
    logger,
    socketFactory: socketFactory(),
    connectionTimeout: 3000,
    requestTimeout: 5000,
    clientId: 'kafkajs-compat',
  });
  const broker = new Broker({ connectionPool, logger });
  await broker.connect();
  try {
    const below = [];
    for (const [name, definition] of Object.entries(requests)) {
      const implemented = definition.versions.map(Number);
      if (implemented.length === 0) continue;
      const range = broker.versions[apiKeys[name]];
      if (!range) continue;
      const sends = Math.min(Math.max(...implemented), range.maxVersion);
      const ok = sends >= range.minVersion;
      if (!ok) below.push(name);
      console.log(
        `     ${name.padEnd(27)} sends v${sends}  broker v${range.minVersion}-v${range.maxVersion}${ok ? '' : '  BELOW BROKER MINIMUM'}`,
      );
    }
    assert(below.length === 0, `below the broker minimum: ${below.join(', ')}`);
    return 'every implemented API is within the broker range';
  } finally {
    await broker.disconnect();
  }
}

async function main() {
  const version = require('kafkajs/package.json').version;
  console.log(`kafkajs ${version} against ${brokers.join(',')}; topic ${topic}`);

  await check('API versions kafkajs sends vs broker range (informational)', apiVersionTable, {
    required: false,
  });

  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();

  try {
    const created = await check('admin.createTopics (3 partitions, RF 1)', async () => {
      const ok = await admin.createTopics({
        topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      assert(ok === true, `createTopics returned ${ok}`);
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = meta.topics[0].partitions.length;
      assert(partitions === 3, `topic has ${partitions} partitions`);
      return 'created, 3 partitions with leaders';
    });
    if (!created) return;

    const produced = await check(`producer.send acks=-1 (${FIRST_BATCH} messages)`, async () => {
      const res = await producer.send({ topic, acks: -1, messages: batch('first', FIRST_BATCH) });
      assert(res.every((r) => r.errorCode === 0), `error codes ${JSON.stringify(res)}`);
      const offsets = await admin.fetchTopicOffsets(topic);
      const total = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
      assert(total === FIRST_BATCH, `topic holds ${total} messages`);
      return `acknowledged by ${res.length} partition leader(s)`;
    });
    if (!produced) return;

    const consumed = await check('group consumer receives all and commits', async () => {
      const got = await consumeInGroup(FIRST_BATCH, 'first consumer');
      assert(got.length === FIRST_BATCH, `received ${got.length}, expected exactly ${FIRST_BATCH}`);
      return `${got.length} messages, offsets committed per message`;
    });
    if (!consumed) return;

    await check('committed offsets visible via admin.fetchOffsets', async () => {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const end = await admin.fetchTopicOffsets(topic);
      for (const p of entry.partitions) {
        const high = end.find((e) => e.partition === p.partition).high;
        assert(p.offset === high, `partition ${p.partition}: committed ${p.offset}, end ${high}`);
      }
      return entry.partitions.map((p) => `p${p.partition}=${p.offset}`).join(' ');
    });

    await check('second consumer in the group resumes from the committed offsets', async () => {
      await producer.send({ topic, acks: -1, messages: batch('second', SECOND_BATCH) });
      const got = await consumeInGroup(SECOND_BATCH, 'second consumer');
      const replayed = got.filter((m) => m.batch === 'first').length;
      assert(replayed === 0, `re-read ${replayed} already committed messages`);
      assert(got.length === SECOND_BATCH, `received ${got.length}, expected exactly ${SECOND_BATCH}`);
      return `got only the ${SECOND_BATCH} new messages`;
    });

    await check(
      'idempotent producer (informational)',
      async () => {
        const idem = kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          createPartitioner: Partitioners.DefaultPartitioner,
        });
        await idem.connect();
        try {
          await idem.send({ topic, acks: -1, messages: batch('idempotent', 5) });
        } finally {
          await idem.disconnect();
        }
        return 'InitProducerId + sequenced produce accepted';
      },
      { required: false },
    );
  } finally {
    await check('admin.deleteTopics (informational)', () => admin.deleteTopics({ topics: [topic] }), {
      required: false,
    });
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

try {
  await main();
} catch (err) {
  failed = true;
  console.log(`FAIL could not talk to the broker — ${err?.name ?? 'Error'}: ${err?.message ?? err}`);
}
const passed = results.filter((r) => r.required && r.ok).length;
console.log(
  failed || passed !== REQUIRED_CHECKS
    ? `RESULT: FAIL (${passed} of ${REQUIRED_CHECKS} required checks passed)`
    : `RESULT: PASS (all ${REQUIRED_CHECKS} required checks)`,
);
failed ||= passed !== REQUIRED_CHECKS;
process.exit(failed ? 1 : 0);
