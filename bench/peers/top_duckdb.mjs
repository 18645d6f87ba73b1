// SPDX-License-Identifier: MIT
//
// top_duckdb.mjs - the DuckDB peer for bench/run (@duckdb/node-api from
// npm), single-threaded, reading the JSONL as JSON objects.
// Usage: node top_duckdb.mjs T0|T1|T2 FILE
import { DuckDBInstance } from '@duckdb/node-api';

const [task, path] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run("SET threads=1");
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
