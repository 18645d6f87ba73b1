// SPDX-License-Identifier: MIT
//
// top_duckdb.mjs - the DuckDB peer for bench/run (@duckdb/node-api from
// npm), single-threaded, reading the JSONL as JSON objects.
// Usage: node top_duckdb.mjs T0|T1|T2|T3|T4 FILE
import { DuckDBInstance } from '@duckdb/node-api';

const [task, path] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run("SET threads=1");
// T3: roost's word rule (src/parse/tokenize.c; top.py tells it in full)
// as top.py's pattern in RE2, roost_fold_cp as translate() (lower() folds
// more scripts), and roost's 256-byte word buffer as a cut at 252 bytes.
const SEP = String.raw`\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f\x{a0}-\x{a9}\x{ab}-\x{b4}` +
  String.raw`\x{b6}-\x{b9}\x{bb}-\x{bf}\x{d7}\x{f7}\x{2000}-\x{206f}\x{3000}-\x{303f}` +
  String.raw`\x{ff00}-\x{ff0f}\x{ff1a}-\x{ff20}\x{feff}\x{1f000}-\x{1faff}\x{2190}-\x{2bff}` +
  String.raw`\x{fe00}-\x{fe0f}`;
const TOKEN = String.raw`https?://(?:[^ \n\t\r]+|[ \n\t\r])|(?:@[A-Za-z0-9_]*)+` +
  String.raw`|([^${SEP}]+(?:['\x{2019}][^${SEP}]+)*)@?`;
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
let foldFrom = '\u2019', foldTo = "'";
for (let c = 0; c < 0x450; c++) {
  if (foldCp(c) !== c) { foldFrom += String.fromCharCode(c); foldTo += String.fromCharCode(foldCp(c)); }
}
const lit = (s) => `'${s.replace(/'/g, "''")}'`;
const src = `read_ndjson_objects('${path.replace(/'/g, "''")}', maximum_object_size=16777216)`;
const sql = {
  T0: `SELECT 'records', count(*) FROM ${src}`,
  T1: `SELECT lower(json_extract_string(h.value, '$.text')) AS k, count(*) AS c
       FROM ${src} t, json_each(coalesce(json_extract(t."json", '$.extended_tweet.entities.hashtags'),
                                         json_extract(t."json", '$.entities.hashtags'))) h
       WHERE json_extract(t."json", '$.user') IS NOT NULL GROUP BY k ORDER BY c DESC, k LIMIT 20`,
  T2: `SELECT lower(json_extract_string(t."json", '$.user.screen_name')) AS k, count(*) AS c
       FROM ${src} t WHERE json_extract(t."json", '$.user') IS NOT NULL AND json_extract(t."json", '$.id_str') IS NOT NULL
       GROUP BY k ORDER BY c DESC, k LIMIT 20`,
  T3: `WITH p AS (
         SELECT coalesce(nullif(json_extract_string(t."json", '$.extended_tweet.full_text'), ''),
                         json_extract_string(t."json", '$.text'), '') AS s
         FROM ${src} t WHERE json_extract(t."json", '$.user') IS NOT NULL AND json_extract(t."json", '$.id_str') IS NOT NULL),
       w AS (SELECT unnest(regexp_extract_all(replace(replace(replace(s, '&lt;', '<'), '&gt;', '>'), '&amp;', '&'),
                                              ${lit(TOKEN)}, 1)) AS w FROM p),
       r AS (SELECT translate(w, ${lit(foldFrom)}, ${lit(foldTo)}) AS f, count(*) AS c FROM w WHERE w <> '' GROUP BY w),
       k AS (SELECT CASE WHEN strlen(f) <= 252 THEN f
                    ELSE left(f, len(list_filter(range(1, length(f) + 1), lambda i: strlen(left(f, i - 1)) <= 252))) END AS k, c FROM r)
       SELECT k, sum(c)::BIGINT AS c FROM k GROUP BY k ORDER BY c DESC, k LIMIT 20`,
}[task];
if (task === 'T4') {
  // Load into a table first (the "queryable store"), then run T1 on it.
  await con.run(`CREATE TABLE t AS SELECT json FROM ${src}`);
  const q = `SELECT lower(json_extract_string(h.value, '$.text')) AS k, count(*) AS c
       FROM t, json_each(coalesce(json_extract(t."json", '$.extended_tweet.entities.hashtags'),
                                  json_extract(t."json", '$.entities.hashtags'))) h
       WHERE json_extract(t."json", '$.user') IS NOT NULL GROUP BY k ORDER BY c DESC, k LIMIT 20`;
  const r4 = await con.runAndReadAll(q);
  for (const row of r4.getRows()) console.log(`${row[0]}\t${row[1]}`);
  process.exit(0);
}
const reader = await con.runAndReadAll(sql);
for (const row of reader.getRows()) console.log(`${row[0]}\t${row[1]}`);
