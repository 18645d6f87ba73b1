// SPDX-License-Identifier: MIT
//
// dashboard.test.mjs - the dashboard in headless Chromium (playwright-core)
// against a running API (`roost serve` or tests/web/mock_api.mjs).
//
// Waits for the live feed and the charts to update, freezes ingestion
// (DASH_PAUSE), lets the page refresh, then checks that the numbers in the
// DOM equal what the API returns; clicks a hashtag and checks its view the
// same way; runs a search; takes desktop and phone screenshots; checks the
// page loads nothing from elsewhere, sets no inline handlers and opens
// external links with rel="noopener noreferrer".
// Prints "ok NAME" / "FAIL NAME: WHY" lines (tests/integration/lib.sh's
// form); t_dashboard.sh counts them.
//
// Environment: DASH_URL (http://127.0.0.1:PORT/), DASH_TOKEN, DASH_OUT
// (screenshot dir), DASH_PAUSE / DASH_RESUME (shell commands),
// DASH_NOVENDOR_URL (the page without web/vendor/: expect tables),
// PLAYWRIGHT_DIR (a dir whose node_modules has playwright-core),
// CHROMIUM (/usr/bin/chromium).
import { createRequire } from "node:module";
import { execSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const require = createRequire(path.join(process.env.PLAYWRIGHT_DIR || process.cwd(), "x.js"));
const { chromium } = require("playwright-core");

const BASE = process.env.DASH_URL;
const TOKEN = process.env.DASH_TOKEN || "";
const OUT = process.env.DASH_OUT || ".";
const tq = TOKEN ? "token=" + encodeURIComponent(TOKEN) : "";
const pageUrl = (base) => base + (tq ? "?" + tq : "");
fs.mkdirSync(OUT, { recursive: true });

let nPass = 0;
let nFail = 0;
const ok = (name) => { console.log("ok " + name); nPass++; };
const fail = (name, why) => { console.log("FAIL " + name + ": " + String(why).slice(0, 400)); nFail++; };
const check = (name, cond, why) => (cond ? ok(name) : fail(name, why));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function apiGet(p, params = {}) {
  const u = new URL(p, BASE);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  if (TOKEN) u.searchParams.set("token", TOKEN);
  const r = await fetch(u);
  if (!r.ok) throw new Error(p + ": HTTP " + r.status);
  return r.json();
}

async function waitFor(name, fn, ms = 20000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(name + " not within " + ms / 1000 + " s" + (last instanceof Error ? ": " + last.message : ""));
}

const run = (cmd) => { if (cmd) execSync(cmd, { stdio: "ignore" }); };
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  /* launch() gives every run a fresh temporary profile (--user-data-dir) */
});

try {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await ctx.newPage();
  const errors = [];
  const foreign = [];
  const denied = [];
  const host = new URL(BASE).host;
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.protocol !== "data:" && u.host !== host) foreign.push(r.url());
  });
  page.on("response", (r) => { if (r.status() === 401) denied.push(r.url()); });

  await page.goto(pageUrl(BASE));

  // ---- live: feed and charts update ----
  let first;
  try {
    first = await waitFor("posts in the live feed", () => page.$eval("#feed li.post", (li) => li.dataset.id));
    ok("live feed shows posts");
  } catch (e) { fail("live feed shows posts", e.message); }
  try {
    await waitFor("a newer post on top", () => page.$eval("#feed li.post", (li, f) => li.dataset.id !== f, first));
    ok("live feed updates (new post on top)");
  } catch (e) { fail("live feed updates", e.message); }
  const feedLen = await page.$$eval("#feed li.post", (l) => l.length);
  check("live feed is bounded", feedLen > 0 && feedLen <= 60, feedLen + " items");
  try {
    const r0 = await page.evaluate(() => window.roost.state.updates.rate);
    await waitFor("two more rate chart updates", () => page.evaluate((r) => window.roost.state.updates.rate >= r + 2, r0));
    const pts = Number(await page.$eval("#rate-card", (c) => c.dataset.points));
    const drawn = await page.$("#rate-chart canvas");
    check("posts-per-2s chart updates", pts > 0 && drawn, pts + " points, canvas " + !!drawn);
  } catch (e) { fail("posts-per-2s chart updates", e.message); }
  try {
    await waitFor("top hashtag bars", () => page.$$eval("#top-hashtags li.bar", (l) => l.length > 0));
    await waitFor("word cloud", () => page.$$eval("#cloud .word", (l) => l.length > 0));
    ok("bar chart and word cloud drawn");
  } catch (e) { fail("bar chart and word cloud drawn", e.message); }
  const conn = await page.evaluate(() => document.body.dataset.conn);
  check("updates arrive over SSE", conn === "live", "connection: " + conn);
  await sleep(1500);
  await page.screenshot({ path: path.join(OUT, "dashboard-tweets.png"), fullPage: true });

  // ---- the numbers shown equal the API's (ingestion frozen) ----
  run(process.env.DASH_PAUSE);
  await sleep(3000);
  const marks = await page.evaluate(() => Object.assign({}, window.roost.state.updates));
  try {
    await waitFor("every panel refreshed after the pause", () => page.evaluate((m) => {
      const u = window.roost.state.updates;
      return ["top", "rate", "words", "poll", "geo"].every((k) => u[k] > m[k]);
    }, marks), 30000);
  } catch (e) { fail("panels refresh", e.message); }

  const domBars = (sel) => page.$$eval(sel + " li.bar", (l) => l.map((li) => ({ key: li.dataset.key, count: Number(li.dataset.count) })));
  const top = await apiGet("/api/v1/top/hashtags", { window: "1h", limit: 10 });
  const topDom = await domBars("#top-hashtags");
  check("top hashtags equal the API's", topDom.length > 0 && same(topDom, top.items.map((i) => ({ key: String(i.key), count: i.count }))),
    JSON.stringify(topDom.slice(0, 3)) + " vs " + JSON.stringify(top.items.slice(0, 3)));

  const rate = await apiGet("/api/v1/rate", { step: "2s", window: "5m" });
  const rateDom = await page.$$eval("#rate-table tbody tr", (l) => l.map((tr) => [tr.dataset.t, Number(tr.cells[1].textContent)]));
  const apiRate = new Map(rate.points.map((p) => [p.t, p.count]));
  const overlap = rateDom.filter(([t]) => apiRate.has(t));
  const diff = overlap.filter(([t, c]) => apiRate.get(t) !== c);
  check("posts per 2 s equal the API's", overlap.length >= Math.min(10, rateDom.length) && diff.length === 0 &&
    rateDom.some(([, c]) => c > 0), overlap.length + " common points, differing: " + JSON.stringify(diff.slice(0, 3)));

  const words = await apiGet("/api/v1/top/words", { window: "1h", limit: 60 });
  const wordsDom = await page.$$eval("#cloud .word", (l) => l.map((s) => [s.dataset.key, Number(s.dataset.count)]));
  const wApi = words.items.map((i) => [String(i.key), i.count]);
  const sortK = (a) => a.slice().sort((x, y) => (x[0] < y[0] ? -1 : 1));
  check("word cloud equals the API's", wordsDom.length > 0 && same(sortK(wordsDom), sortK(wApi)),
    wordsDom.length + " words vs " + wApi.length);

  const terms = await page.$eval("#poll-terms", (i) => i.value.split(",").map((s) => s.trim()).filter(Boolean).join(","));
  const poll = await apiGet("/api/v1/poll", { terms, window: "1h" });
  const pollDom = await domBars("#poll");
  check("poll bars equal the API's", pollDom.length > 0 && same(pollDom, poll.terms.map((t) => ({ key: t.term, count: t.count }))),
    JSON.stringify(pollDom) + " vs " + JSON.stringify(poll.terms));

  const geo = await apiGet("/api/v1/geo", { window: "1h", limit: 500 });
  const geoDom = Number(await page.$eval("#map-card", (c) => c.dataset.points));
  const geoShown = await page.$eval("#geo-n", (e) => e.textContent);
  check("map points equal the API's", geoDom === geo.points.length && geoShown === geo.points.length.toLocaleString("en-US"),
    geoDom + " drawn, API " + geo.points.length);

  // ---- hashtag view ----
  const tag = await page.$eval("#top-hashtags li.bar a", (a) => a.dataset.tag);
  await page.click("#top-hashtags li.bar a");
  try {
    await waitFor("hashtag view", () => page.evaluate(() => document.body.dataset.view === "hashtag" &&
      document.getElementById("ht-count").dataset.count !== undefined));
    const hv = await apiGet("/api/v1/hashtag/" + encodeURIComponent(tag), { window: "1h" });
    const shown = await page.evaluate(() => ({
      hash: location.hash,
      title: document.getElementById("ht-title").textContent,
      count: Number(document.getElementById("ht-count").dataset.count),
      related: [...document.querySelectorAll("#ht-related li.bar")].map((li) => ({ key: li.dataset.key, count: Number(li.dataset.count) })),
      infl: [...document.querySelectorAll("#ht-influencers tbody tr[data-handle]")].map((tr) => [tr.dataset.handle, tr.cells[1].textContent]),
      posts: document.querySelectorAll("#ht-feed li.post").length,
    }));
    check("clicking a hashtag opens its view", shown.hash === "#/hashtag/" + encodeURIComponent(tag) && shown.title === "#" + tag,
      shown.hash + " " + shown.title);
    check("hashtag count equals the API's", shown.count === hv.count, shown.count + " vs " + hv.count);
    check("related hashtags equal the API's", same(shown.related, hv.related.map((r) => ({ key: String(r.key), count: r.count }))),
      JSON.stringify(shown.related.slice(0, 3)) + " vs " + JSON.stringify(hv.related.slice(0, 3)));
    check("influencers equal the API's", shown.infl.length === hv.influencers.length &&
      same(shown.infl, hv.influencers.map((u) => [u.handle, Number(u.followers).toLocaleString("en-US")])),
      JSON.stringify(shown.infl.slice(0, 2)) + " vs " + JSON.stringify(hv.influencers.slice(0, 2)));
    check("hashtag view shows its posts", shown.posts > 0 || hv.posts.length === 0, shown.posts + " posts");
    const nonTag = await page.$$eval("#ht-feed li.post", (l, t) => l.filter((li) =>
      ![...li.querySelectorAll("a.tag")].some((a) => a.dataset.tag.toLowerCase() === t.toLowerCase())).length, tag);
    check("hashtag view's posts carry the tag", nonTag === 0, nonTag + " posts without #" + tag);
  } catch (e) { fail("hashtag view", e.message); }
  run(process.env.DASH_RESUME);
  await sleep(2500);
  await page.screenshot({ path: path.join(OUT, "dashboard-hashtag.png"), fullPage: true });

  // ---- search ----
  try {
    const q = wApi.length ? wApi[0][0] : "the";
    await page.fill("#search-q", q);
    await page.press("#search-q", "Enter");
    await waitFor("search results", () => page.$$eval("#search-results li.post", (l) => l.length > 0));
    const n = await page.$$eval("#search-results li.post", (l) => l.length);
    const api = await apiGet("/api/v1/search", { q, limit: 50 });
    check("search shows the API's results", n > 0 && n === api.results.length, n + " shown vs " + api.results.length);
    await page.screenshot({ path: path.join(OUT, "dashboard-search.png") });
  } catch (e) { fail("search", e.message); }

  // ---- safety ----
  await page.goto(pageUrl(BASE));
  await waitFor("feed again", () => page.$$eval("#feed li.post", (l) => l.length > 0));
  const unsafe = await page.evaluate(() => {
    const bad = [];
    for (const e of document.querySelectorAll("*")) {
      for (const a of e.attributes) if (/^on/i.test(a.name)) bad.push(e.tagName + "[" + a.name + "]");
    }
    for (const a of document.querySelectorAll("a[target=_blank]")) {
      if (!/noopener/.test(a.rel) || !/noreferrer/.test(a.rel)) bad.push("rel " + a.href);
      if (!/^https?:/.test(a.href)) bad.push("href " + a.href);
    }
    return bad;
  });
  check("no inline handlers; external links noopener noreferrer", unsafe.length === 0, unsafe.slice(0, 5).join(", "));
  check("nothing loaded from elsewhere", foreign.length === 0, foreign.slice(0, 3).join(" "));
  check("every request carries the token", denied.length === 0, denied.slice(0, 3).join(" "));
  check("no script errors", errors.length === 0, errors.slice(0, 3).join(" | "));

  // ---- phone ----
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const mp = await phone.newPage();
  await mp.goto(pageUrl(BASE));
  try {
    await waitFor("phone feed", () => mp.$$eval("#feed li.post", (l) => l.length > 0));
    await sleep(2000);
    const wide = await mp.evaluate(() => document.documentElement.scrollWidth);
    check("phone layout has no sideways scroll", wide <= 391, "scrollWidth " + wide);
    await mp.screenshot({ path: path.join(OUT, "dashboard-phone.png") });
    await mp.screenshot({ path: path.join(OUT, "dashboard-phone-full.png"), fullPage: true });
  } catch (e) { fail("phone layout", e.message); }
  await phone.close();

  // ---- without the vendored libraries: tables ----
  if (process.env.DASH_NOVENDOR_URL) {
    const np = await ctx.newPage();
    const nerr = [];
    np.on("pageerror", (e) => nerr.push(e.message));
    await np.goto(pageUrl(process.env.DASH_NOVENDOR_URL));
    try {
      await waitFor("rate table", () => np.$$eval("#rate-table tbody tr", (l) => l.length > 0));
      await waitFor("geo table", () => np.$eval("#map", (m) => m.hidden));
      const vis = await np.evaluate(() => !document.getElementById("rate-table").classList.contains("sr-only") &&
        !document.getElementById("geo-table").classList.contains("sr-only"));
      check("without vendor/: charts and map become tables", vis && nerr.length === 0, nerr.join(" | "));
      await np.screenshot({ path: path.join(OUT, "dashboard-novendor.png"), fullPage: true });
    } catch (e) { fail("without vendor/", e.message); }
  }
} finally {
  await browser.close();
}
console.log("screenshots: " + OUT);
process.exit(nFail ? 1 : 0);
