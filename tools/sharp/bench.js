// Runs the benchmark jobs through Sharp (libvips) on one thread, bytes in memory to
// bytes, and prints one JSON line per job: {job, ms, bytes, width, height}, then the
// process's peak RSS. bin/bench compares these figures with ours.
//
// usage: node bench.js <input.jpg> [iterations]
"use strict";
const fs = require("fs");
const sharp = require("sharp");

sharp.concurrency(1); // per-core figures, like ours
sharp.cache(false); // no result caching between iterations

const [input, iterArg] = process.argv.slice(2);
if (!input) {
  console.error("usage: node bench.js <input.jpg> [iterations]");
  process.exit(2);
}
const iterations = Number(iterArg || 10);
const buf = fs.readFileSync(input);

// The same jobs, in the same order, as handler/benches/pipeline.rs.
const jobs = {
  "w=500": (s) => s.resize({ width: 500, withoutEnlargement: true }).jpeg({ quality: 80 }),
  "w=1200&fm=webp&q=80": (s) => s.resize({ width: 1200, withoutEnlargement: true }).webp({ quality: 80 }),
  "w=500&fm=avif&q=50": (s) => s.resize({ width: 500, withoutEnlargement: true }).avif({ quality: 50 }),
  "w=300&h=300&f=cover&fm=png": (s) => s.resize({ width: 300, height: 300, fit: "cover", withoutEnlargement: true }).png(),
  "bl=5": (s) => s.blur(5).jpeg({ quality: 80 }),
  "r=33": (s) => s.rotate(33).jpeg({ quality: 80 }),
  // Where the shrink-on-load choice matters: 2.3× and 4.3× on the 3840 px input.
  "w=1650": (s) => s.resize({ width: 1650, withoutEnlargement: true }).jpeg({ quality: 80 }),
  "w=890": (s) => s.resize({ width: 890, withoutEnlargement: true }).jpeg({ quality: 80 }),
  // GIF output (bin/bench runs these on GIF inputs, all frames read).
  "fm=gif": (s) => s.gif(),
  "w=40&fm=gif": (s) => s.resize({ width: 40, withoutEnlargement: true }).gif(),
  "w=200&fm=gif": (s) => s.resize({ width: 200, withoutEnlargement: true }).gif(),
  "w=200&t=ff0000&fm=gif": (s) => s.resize({ width: 200, withoutEnlargement: true }).tint("#ff0000").gif(),
};
// Every frame of an animation, as our pipeline reads it.
const inputOptions = buf.subarray(0, 3).toString() === "GIF" ? { animated: true } : {};

async function main() {
  const only = process.env.BENCH_JOBS ? process.env.BENCH_JOBS.split(",") : null;
  for (const [job, build] of Object.entries(jobs)) {
    // Without BENCH_JOBS, the six jobs and the two shrink-on-load ones (the GIF ones want a GIF input).
    if (only ? !only.includes(job) : job.includes("fm=gif")) continue;
    // One warm-up run, then the timed ones.
    let out = await build(sharp(buf, inputOptions)).toBuffer({ resolveWithObject: true });
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
      out = await build(sharp(buf, inputOptions)).toBuffer({ resolveWithObject: true });
    }
    const ms = Number(process.hrtime.bigint() - start) / 1e6 / iterations;
    console.log(JSON.stringify({ job, ms: +ms.toFixed(2), bytes: out.data.length, width: out.info.width, height: out.info.height }));
  }
  console.log(JSON.stringify({ peak_rss_mb: +(process.resourceUsage().maxRSS / 1024).toFixed(1) }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
