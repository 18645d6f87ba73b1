// SPDX-License-Identifier: MIT
//
// top.mjs - the Node.js peer for bench/run: readline + JSON.parse + Map.
// Usage: node top.mjs T0|T1|T2 FILE   (top 20 as "key<TAB>count")
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const [task, path] = process.argv.slice(2);
const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
const counts = new Map();
let n = 0;
for await (const line of rl) {
  if (!line.trim()) continue;
  const d = JSON.parse(line);
  n++;
  if (task === 'T0' || !d.user || !d.id_str) continue;
  if (task === 'T1') {
    const ents = (d.extended_tweet && d.extended_tweet.entities) || d.entities || {};
    for (const h of ents.hashtags || []) {
      const k = h.text.toLowerCase();
      counts.set(k, (counts.get(k) || 0) + 1);
    }
  } else if (task === 'T2') {
    const k = d.user.screen_name.toLowerCase();
    counts.set(k, (counts.get(k) || 0) + 1);
  }
}
if (task === 'T0') {
  console.log(`records\t${n}`);
} else {
  const cmp = (a, b) => (b[1] - a[1]) || (Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  for (const [k, v] of [...counts].sort(cmp).slice(0, 20)) console.log(`${k}\t${v}`);
}
