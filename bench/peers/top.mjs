// SPDX-License-Identifier: MIT
//
// top.mjs - the Node.js peer for bench/run: readline + JSON.parse + Map.
// Usage: node top.mjs T0|T1|T2|T3 FILE   (top 20 as "key<TAB>count")
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const [task, path] = process.argv.slice(2);

// T3: roost's word rule (src/parse/tokenize.c; top.py tells it in full):
// the same pattern as top.py, the same folding (roost_fold_cp, not
// toLowerCase), the same 256-byte word buffer.
const SEP = '\\x00-\\x2f\\x3a-\\x40\\x5b-\\x5e\\x60\\x7b-\\x7f\\xa0-\\xa9\\xab-\\xb4\\xb6-\\xb9' +
  '\\xbb-\\xbf\\xd7\\xf7\\u2000-\\u206f\\u3000-\\u303f\\uff00-\\uff0f\\uff1a-\\uff20' +
  '\\ufeff\\u{1f000}-\\u{1faff}\\u2190-\\u2bff\\ufe00-\\ufe0f';
const TOKEN = new RegExp('https?://(?:[^ \\n\\t\\r]+|[ \\n\\t\\r])|(?:@[A-Za-z0-9_]*)+' +
  `|([^${SEP}]+(?:['\\u2019][^${SEP}]+)*)@?`, 'gu');
function foldCp(c) {
  if (c < 0x80) return c >= 0x41 && c <= 0x5a ? c + 32 : c;
  if (c >= 0xc0 && c <= 0xde && c !== 0xd7) return c + 32;
  if (c >= 0x100 && c <= 0x17f) {
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) return c & 1 ? c + 1 : c;
    if (c === 0x178) return 0xff;
    if ([0x130, 0x131, 0x138, 0x149, 0x17f].includes(c)) return c;
    return c & 1 ? c : c + 1;
  }
  if (c >= 0x391 && c <= 0x3ab && c !== 0x3a2) return c + 32;
  if (c >= 0x410 && c <= 0x42f) return c + 32;
  if (c >= 0x400 && c <= 0x40f) return c + 80;
  return c;
}
const FOLD = new Map();
for (let c = 0; c < 0x450; c++) if (foldCp(c) !== c) FOLD.set(String.fromCharCode(c), String.fromCharCode(foldCp(c)));
FOLD.set('\u2019', "'");
function fold(w) {
  let out = '', n = 0;
  for (const ch of w) {
    if (n > 252) break; // a code point is kept while at most 252 bytes precede it
    const f = FOLD.get(ch) ?? ch;
    out += f;
    n += Buffer.byteLength(f);
  }
  return out;
}
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
  } else if (task === 'T3') {
    const t = ((d.extended_tweet && d.extended_tweet.full_text) || d.text || '')
      .replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
    for (const m of t.matchAll(TOKEN)) {
      if (m[1]) counts.set(m[1], (counts.get(m[1]) || 0) + 1);
    }
  }
}
if (task === 'T3') { // fold once per distinct word, not once per post
  const raw = [...counts];
  counts.clear();
  for (const [w, v] of raw) {
    const k = fold(w);
    counts.set(k, (counts.get(k) || 0) + v);
  }
}
if (task === 'T0') {
  console.log(`records\t${n}`);
} else {
  const cmp = (a, b) => (b[1] - a[1]) || (Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  for (const [k, v] of [...counts].sort(cmp).slice(0, 20)) console.log(`${k}\t${v}`);
}
