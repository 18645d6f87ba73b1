// SPDX-License-Identifier: MIT
//
// mock_api.mjs - a stand-in for `roost serve` with the same /api/v1 JSON
// shapes, for testing the dashboard before (or without) the C server.
//
// Serves web/ as the binary would (same names, token on every path when
// --token is given) and "ingests" normalized posts from a JSONL file at
// --rate posts per second of wall time. As in the real API, "now" for
// every window is the newest post ingested. /__mock/pause and
// /__mock/resume stop and restart ingestion, so a test can compare the
// page with the API on data that holds still.
//
// Usage: node mock_api.mjs --web DIR --posts FILE [--port 0] [--rate 200]
//        [--token T]     prints "listening PORT" when ready.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]]);
    return acc;
  }, [])
);
const WEB = args.web;
const RATE = Number(args.rate || 200);
const TOKEN = args.token || "";
const all = fs.readFileSync(args.posts, "utf8").split("\n").filter(Boolean)
  .map((l) => JSON.parse(l)).filter((p) => p.id && p.created_at && !p.referenced);

const store = [];           // ingested, in order
let paused = false;
let next = 0;
let lastPush = 0;           // store index already pushed over SSE
const clients = new Set();

const started = Date.now();
let credit = RATE * 2;      // a little history before the first request
setInterval(() => {
  if (paused) return;
  credit += RATE / 10;
  while (credit >= 1 && next < all.length) {
    const p = all[next++];
    store.push(p);
    newest = Math.max(newest, tms(p));
    credit -= 1;
  }
}, 100);

const tms = (p) => Date.parse(p.created_at);
let newest = 0;
const now = () => newest || Date.now();
const WINDOWS = { "1m": 60e3, "5m": 300e3, "1h": 3600e3, "1d": 86400e3 };
const lower = (s) => String(s).toLowerCase();

function windowPosts(win) {
  const ms = WINDOWS[win];
  if (!ms) return null;
  const from = now() - ms;
  return store.filter((p) => tms(p) > from);
}

function top(counter, limit) {
  return [...counter.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit).map(([key, count]) => ({ key, count }));
}

const STOP = new Set(("a about after all also am an and any are as at be been but by can could de " +
  "did do does for from get got had has have he her him his how i if in into is it its just la " +
  "like me more my no not now of on one or our out rt so some than that the their them then " +
  "there they this to up us was we were what when who why will with would you your que el en " +
  "y es un una los las del se por con para o e não um uma da do bir ve bu").split(" "));

function words(p) {
  return lower(p.text).replace(/https?:\/\/\S+|[#@][\p{L}\p{N}_]+/gu, " ")
    .split(/[^\p{L}\p{N}']+/u).filter((w) => w.length > 2 && !STOP.has(w));
}

function keysOf(kind, p) {
  if (kind === "hashtags") return (p.hashtags || []).map(lower);
  if (kind === "mentions") return (p.mentions || []).map(lower);
  if (kind === "authors") return [p.author && p.author.handle].filter(Boolean);
  if (kind === "words") return [...new Set(words(p))];
  return null;
}

function count(posts, kind) {
  const c = new Map();
  for (const p of posts) for (const k of new Set(keysOf(kind, p))) c.set(k, (c.get(k) || 0) + 1);
  return c;
}

function rate(stepMs, winMs) {
  const end = Math.floor(now() / stepMs) * stepMs;
  const n = Math.max(1, Math.floor(winMs / stepMs));
  const first = end - (n - 1) * stepMs;
  const counts = new Array(n).fill(0);
  for (let i = store.length - 1; i >= 0; i--) {
    const t = tms(store[i]);
    if (t < first) break;
    const b = Math.floor((t - first) / stepMs);
    if (b >= 0 && b < n) counts[b]++;
  }
  return counts.map((c, i) => ({ t: new Date(first + i * stepMs).toISOString(), count: c }));
}

function dur(s, def) {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(s || "");
  if (!m) return def;
  return Number(m[1]) * { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2]];
}

function hashtagView(tag, win) {
  const posts = windowPosts(win).filter((p) => (p.hashtags || []).map(lower).includes(lower(tag)));
  const related = count(posts, "hashtags");
  related.delete(lower(tag));
  const authors = new Map();
  for (const p of posts) {
    const a = p.author || {};
    const e = authors.get(a.handle) || { handle: a.handle, name: a.name, followers: a.followers || 0, posts: 0 };
    e.posts++;
    authors.set(a.handle, e);
  }
  return {
    tag, window: win, count: posts.length,
    related: top(related, 10),
    influencers: [...authors.values()].sort((a, b) => b.followers - a.followers).slice(0, 10),
    posts: posts.slice(-30).reverse(),
  };
}

function geoPoint(p) {
  const g = p.geo;
  if (!g) return null;
  if (typeof g.lat === "number" && typeof g.lon === "number") return [g.lat, g.lon];
  if (Array.isArray(g.bbox) && g.bbox.length === 4) return [(g.bbox[1] + g.bbox[3]) / 2, (g.bbox[0] + g.bbox[2]) / 2];
  return null;
}

const bad = (res, msg) => send(res, 400, { error: msg });

function api(u, res) {
  const q = u.searchParams;
  const p = u.pathname;
  const limit = Math.min(Number(q.get("limit") || 50), 1000);
  const win = q.get("window") || "1h";
  let m;
  if (p === "/health") return send(res, 200, { status: "ok", posts: store.length });
  if (p === "/api/v1/posts") {
    const since = q.get("since");
    const tag = q.get("hashtag");
    let ps = store;
    if (since) {
      const i = store.findIndex((x) => x.id === since);
      ps = i >= 0 ? store.slice(i + 1) : store.filter((x) => BigInt(x.id) > BigInt(since));
    }
    if (tag) ps = ps.filter((x) => (x.hashtags || []).map(lower).includes(lower(tag)));
    const out = ps.slice(-limit).reverse();
    return send(res, 200, { posts: out, last_id: store.length ? store[store.length - 1].id : null });
  }
  if ((m = /^\/api\/v1\/top\/(hashtags|mentions|words|authors)$/.exec(p))) {
    const posts = windowPosts(win);
    if (!posts) return bad(res, "window must be 1m, 5m, 1h or 1d");
    return send(res, 200, { window: win, as_of: new Date(now()).toISOString(), items: top(count(posts, m[1]), limit) });
  }
  if (p === "/api/v1/rate") {
    const step = dur(q.get("step"), 2000);
    return send(res, 200, { step_ms: step, points: rate(step, dur(q.get("window"), 300e3)) });
  }
  if ((m = /^\/api\/v1\/hashtag\/([^/]+)$/.exec(p))) {
    if (!WINDOWS[win]) return bad(res, "bad window");
    return send(res, 200, hashtagView(decodeURIComponent(m[1]), win));
  }
  if (p === "/api/v1/search") {
    const term = lower(q.get("q") || "");
    if (!term) return bad(res, "q is required");
    const hits = store.filter((x) => lower(x.text).includes(term)).slice(-limit).reverse();
    return send(res, 200, {
      results: hits.map((post, i) => {
        const at = lower(post.text).indexOf(term);
        const t = post.text;
        return {
          post, rank: -(hits.length - i),
          snippet: "…" + t.slice(Math.max(0, at - 30), at) + "<b>" + t.slice(at, at + term.length) + "</b>" +
            t.slice(at + term.length, at + term.length + 40) + "…",
        };
      }),
    });
  }
  if (p === "/api/v1/geo") {
    const posts = windowPosts(win) || [];
    const pts = [];
    for (let i = posts.length - 1; i >= 0 && pts.length < limit; i--) {
      const g = geoPoint(posts[i]);
      if (g) pts.push({ id: posts[i].id, lat: g[0], lon: g[1], text: posts[i].text });
    }
    return send(res, 200, { points: pts });
  }
  if (p === "/api/v1/poll") {
    const terms = (q.get("terms") || "").split(",").map((s) => s.trim()).filter(Boolean);
    const posts = windowPosts(win) || [];
    return send(res, 200, {
      terms: terms.map((term) => ({
        term, count: posts.filter((x) => lower(x.text).includes(lower(term)) ||
          (x.hashtags || []).map(lower).includes(lower(term))).length,
      })),
    });
  }
  if (p === "/api/v1/queries") return send(res, 200, { queries: [{ name: "langs", sql: "SELECT lang, count(*) FROM posts GROUP BY lang" }] });
  if (p === "/api/v1/queries/langs") {
    const c = new Map();
    for (const x of store) c.set(x.lang || "und", (c.get(x.lang || "und") || 0) + 1);
    return send(res, 200, { name: "langs", columns: ["lang", "posts"], rows: top(c, 8).map((r) => [r.key, r.count]) });
  }
  if (p === "/api/v1/sources") {
    return send(res, 200, { sources: [{ name: "simulate", state: paused ? "paused" : "connected", n_records: store.length, n_reconnects: 0, n_gaps: 0, gap_s: 0 }] });
  }
  return send(res, 404, { error: "no such endpoint" });
}

function send(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(body);
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8", ".json": "application/json" };

const server = http.createServer((req, res) => {
  const u = new URL(req.url, "http://x");
  if (u.pathname === "/__mock/pause") { paused = true; return send(res, 200, { paused }); }
  if (u.pathname === "/__mock/resume") { paused = false; return send(res, 200, { paused }); }
  if (u.pathname.includes("..")) return send(res, 400, { error: "path traversal is not allowed" });
  if (TOKEN && u.searchParams.get("token") !== TOKEN && req.headers.authorization !== "Bearer " + TOKEN) {
    return send(res, 401, { error: "missing or wrong access token" });
  }
  if (u.pathname === "/api/v1/stream") {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
    res.write(": hello\n\n");
    clients.add(res);
    req.on("close", () => clients.delete(res));
    return;
  }
  if (u.pathname === "/health" || u.pathname.startsWith("/api/")) return api(u, res);
  const name = u.pathname === "/" ? "index.html" : u.pathname.slice(1);
  const file = path.join(WEB, name);
  if (name.startsWith(".") || name.includes("node_modules") || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    return send(res, 404, { error: "not found" });
  }
  res.writeHead(200, { "content-type": TYPES[path.extname(name)] || "application/octet-stream" });
  res.end(fs.readFileSync(file));
});

// SSE: new posts and the stats at most every 2 s, coalesced.
setInterval(() => {
  if (!clients.size) { lastPush = store.length; return; }
  const fresh = store.slice(lastPush);
  lastPush = store.length;
  const r = rate(2000, 2000);
  const stats = { rate: { step_ms: 2000, count: r[r.length - 1].count }, top_hashtags: top(count(windowPosts("1h"), "hashtags"), 10), total_posts: store.length };
  for (const c of clients) {
    if (fresh.length) c.write("event: posts\ndata: " + JSON.stringify(fresh.slice(-200)) + "\n\n");
    c.write("event: stats\ndata: " + JSON.stringify(stats) + "\n\n");
  }
}, 2000);

server.listen(Number(args.port || 0), "127.0.0.1", () => {
  console.log("listening " + server.address().port);
});
