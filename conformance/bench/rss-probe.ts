import { writeFileSync } from 'node:fs';

/**
 * Preloaded into a measured child with `node --import <this file>`: on exit, writes the process's own
 * resource usage (peak RSS in KiB, CPU times in µs) to $BENCH_USAGE_FILE. Chosen over `/usr/bin/time -v`,
 * which a minimal CI image may lack, and over polling `ps`, which misses short peaks.
 */
const file = process.env.BENCH_USAGE_FILE;
if (file !== undefined && file !== '') {
  process.once('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime }));
  });
}
