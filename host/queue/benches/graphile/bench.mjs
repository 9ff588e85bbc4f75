// graphile-worker on the same workloads as ../queue.rs, with no-op tasks:
// throughput (jobs added in batches of 500 while the worker runs), one job
// per addJob call from 8 concurrent callers, and pickup latency (one job
// added to an idle worker woken by LISTEN/NOTIFY).
//
// `DATABASE_URL` names the PostgreSQL server, `GRAPHILE_SCHEMA` a schema
// that must not exist yet: graphile-worker installs itself there and the
// schema is dropped at the end. The job count is the first argument or
// `GRAPHILE_BENCH_JOBS` (default 40000). Prints one JSON object per line;
// graphile-worker's warnings and errors go to stderr.

import { EventEmitter, once } from "node:events";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

import { Logger, makeWorkerUtils, run } from "graphile-worker";

const connectionString = process.env.DATABASE_URL;
const schema = process.env.GRAPHILE_SCHEMA;
const jobs = Number(process.argv[2] ?? process.env.GRAPHILE_BENCH_JOBS ?? 40000);
if (!connectionString || !schema || !(jobs > 0)) {
  console.error("usage: DATABASE_URL=postgres://... GRAPHILE_SCHEMA=name node bench.mjs [jobs]");
  process.exit(2);
}

// The configurations measured: graphile-worker's defaults at the
// concurrency kiln's bench uses, and the batching settings graphile-worker's
// performance page reports its figures with.
const configurations = [
  { concurrentJobs: 4 },
  {
    concurrentJobs: 24,
    maxPoolSize: 25,
    localQueue: { size: 500 },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
  },
];

const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`graphile-worker ${level}: ${message}`);
});
const utils = await makeWorkerUtils({ connectionString, schema, logger });

try {
  await utils.migrate();
  for (const settings of configurations) {
    const label = describe(settings);
    print({ figure: "throughput", settings: label, jobs, jobs_per_s: await throughput(settings, jobs, 500) });
    print({
      figure: "one_at_a_time",
      settings: label,
      jobs: Math.floor(jobs / 10),
      callers: 8,
      jobs_per_s: await throughput(settings, Math.floor(jobs / 10), 1),
    });
    const { pickup, roundTrip } = await pickupLatency(settings, 500);
    print({
      figure: "pickup",
      settings: label,
      samples: 500,
      p50_ms: pickup[0],
      p99_ms: pickup[1],
      called_p50_ms: roundTrip[0],
      called_p99_ms: roundTrip[1],
    });
  }
} finally {
  await utils.withPgClient((client) => client.query(`DROP SCHEMA IF EXISTS ${escape(schema)} CASCADE`));
  await utils.release();
}

/** Starts a worker running `noop` with these settings; resolves once it listens for new jobs. */
async function startWorker(settings, noop) {
  const events = new EventEmitter();
  const listening = once(events, "pool:listen:success");
  const runner = await run({
    connectionString,
    schema,
    logger,
    events,
    noHandleSignals: true,
    parsedCronItems: [],
    taskList: { noop: async () => noop() },
    preset: { worker: settings },
  });
  await listening;
  return runner;
}

/**
 * Adds `count` jobs while a worker runs them: in batches of `batch` from one
 * caller, or one addJob call each from 8 concurrent callers when `batch` is
 * 1. Jobs per second from the first add until the last job's completion is
 * committed (graphile-worker deletes completed jobs).
 */
async function throughput(settings, count, batch) {
  let ran = 0;
  let allRan;
  const done = new Promise((resolve) => (allRan = resolve));
  const runner = await startWorker(settings, () => {
    if (++ran === count) allRan();
  });
  const start = performance.now();
  const callers = batch === 1 ? 8 : 1;
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      let left = Math.floor(count / callers) + (caller < count % callers ? 1 : 0);
      while (left > 0) {
        const size = Math.min(left, batch);
        if (size === 1) {
          await utils.addJob("noop", {});
        } else {
          await utils.addJobs(Array.from({ length: size }, () => ({ identifier: "noop", payload: {} })));
        }
        left -= size;
      }
    }),
  );
  await done;
  const table = `${escape(schema)}._private_jobs`;
  while (Number((await utils.withPgClient((c) => c.query(`SELECT count(*) AS n FROM ${table}`))).rows[0].n) > 0) {
    await sleep(1);
  }
  const elapsed = (performance.now() - start) / 1000;
  await runner.stop();
  return Math.round(count / elapsed);
}

/**
 * Adds one job at a time to an idle worker and measures addJob resolved →
 * task invoked and addJob called → task invoked; [p50, p99] in ms of each.
 */
async function pickupLatency(settings, samples) {
  let invoked;
  const runner = await startWorker(settings, () => invoked(performance.now()));
  const pickup = [];
  const roundTrip = [];
  for (let i = 0; i < samples; i++) {
    const ran = new Promise((resolve) => (invoked = resolve));
    const calledAt = performance.now();
    await utils.addJob("noop", {});
    const addedAt = performance.now();
    const ranAt = await ran;
    pickup.push(Math.max(0, ranAt - addedAt));
    roundTrip.push(ranAt - calledAt);
    await sleep(2);
  }
  await runner.stop();
  return { pickup: percentiles(pickup), roundTrip: percentiles(roundTrip) };
}

function percentiles(samples) {
  samples.sort((a, b) => a - b);
  const round = (ms) => Math.round(ms * 100) / 100;
  return [round(samples[Math.floor(samples.length / 2)]), round(samples[Math.floor((samples.length * 99) / 100)])];
}

/** `{ a: 1, b: { c: 2 } }` → `"a 1, b.c 2"`. */
function describe(settings, prefix = "") {
  return Object.entries(settings)
    .map(([key, value]) =>
      typeof value === "object" ? describe(value, `${prefix}${key}.`) : `${prefix}${key} ${value}`,
    )
    .join(", ");
}

function escape(identifier) {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function print(row) {
  console.log(JSON.stringify(row));
}
