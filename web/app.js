/* SPDX-License-Identifier: MIT
 *
 * app.js - the roost dashboard: a Tweets view (live feed, top hashtags,
 * posts per 2 s, word cloud, map, poll, named queries, sources), a Hashtag
 * view and full-text search, over the /api/v1 JSON API.
 *
 * Live updates come over Server-Sent Events (/api/v1/stream: `posts` and
 * `stats`); when the stream is down the page polls instead. All post text
 * goes into the DOM as text nodes, never as HTML; links are checked for
 * http(s) and open with rel="noopener noreferrer". The chart and map
 * libraries (vendor/) are optional: without them the same numbers show as
 * tables. Nothing is loaded from the internet.
 */
"use strict";

(function () {
  var TOKEN = new URLSearchParams(location.search).get("token");
  var FEED_MAX = 60;          /* posts kept in a feed */
  var FEED_AGE_MS = 60000;    /* "last minute", by the posts' own clock */
  var SLOW_MS = 10000;        /* word cloud, map, poll, queries, sources */
  var POLL_MS = 2000;         /* fallback polling and the SSE cadence */
  var POLL_KEY = "roost.poll.terms";
  var DEFAULT_TERMS = "bts, nfl, covid19, happynewyear";

  var $ = function (id) { return document.getElementById(id); };

  var state = {
    view: "tweets",
    tag: "",
    lastId: null,       /* newest post id seen (feed) */
    tagLastId: null,    /* newest post id seen (hashtag view) */
    sse: null,
    sseOpen: false,
    pollTimer: null,
    rateBusy: false,
    uplot: null,
    land: null,         /* projected land rings, once loaded */
    geo: [],
    total: null,
    updates: { feed: 0, rate: 0, top: 0, words: 0, geo: 0, poll: 0, tag: 0 },
  };
  /* For tests and the curious: what the page has drawn. */
  window.roost = { state: state };

  /* ---- API ----------------------------------------------------------------- */

  function url(path, params) {
    var q = new URLSearchParams();
    Object.keys(params || {}).forEach(function (k) {
      if (params[k] !== undefined && params[k] !== null && params[k] !== "") {
        q.set(k, params[k]);
      }
    });
    if (TOKEN) {
      q.set("token", TOKEN);
    }
    var s = q.toString();
    return path + (s ? "?" + s : "");
  }

  function api(path, params) {
    return fetch(url(path, params), { cache: "no-store" }).then(function (r) {
      if (!r.ok) {
        return r.text().then(function (t) {
          var msg = t;
          try { msg = JSON.parse(t).error || t; } catch (e) { /* not JSON */ }
          throw new Error(r.status + " " + msg);
        });
      }
      return r.json();
    });
  }

  /* ---- DOM helpers --------------------------------------------------------- */

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) {
      e.className = cls;
    }
    if (text !== undefined && text !== null) {
      e.textContent = String(text);
    }
    return e;
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  function fmt(n) {
    if (typeof n !== "number" || !isFinite(n)) {
      return "–";
    }
    return n.toLocaleString("en-US");
  }

  function safeHref(u) {
    if (typeof u !== "string") {
      return null;
    }
    try {
      var p = new URL(u, location.href);
      return p.protocol === "http:" || p.protocol === "https:" ? p.href : null;
    } catch (e) {
      return null;
    }
  }

  function extLink(href, text, cls) {
    var a = el("a", cls, text);
    var h = safeHref(href);
    if (h) {
      a.href = h;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    return a;
  }

  function tagHref(tag) {
    return "#/hashtag/" + encodeURIComponent(tag);
  }

  function tagLink(tag) {
    var a = el("a", "tag", "#" + tag);
    a.href = tagHref(tag);
    a.dataset.tag = tag;
    return a;
  }

  function showError(node, err) {
    clear(node);
    node.appendChild(el("p", "error", "unavailable: " + err.message));
  }

  /* ---- posts ---------------------------------------------------------------- */

  var TOKEN_RE = /(#[\p{L}\p{N}_\p{M}]+)|(https?:\/\/[^\s]+)/gu;

  /* Post text as text nodes, hashtags as in-page links, URLs as safe links. */
  function richText(text) {
    var frag = document.createDocumentFragment();
    var s = String(text || "");
    var last = 0;
    var m;
    TOKEN_RE.lastIndex = 0;
    while ((m = TOKEN_RE.exec(s)) !== null) {
      if (m.index > last) {
        frag.appendChild(document.createTextNode(s.slice(last, m.index)));
      }
      if (m[1]) {
        frag.appendChild(tagLink(m[1].slice(1)));
      } else {
        frag.appendChild(extLink(m[2], m[2], "url"));
      }
      last = m.index + m[0].length;
    }
    if (last < s.length) {
      frag.appendChild(document.createTextNode(s.slice(last)));
    }
    return frag;
  }

  function timeOf(p) {
    var t = Date.parse(p && p.created_at);
    return isFinite(t) ? t : 0;
  }

  /* Snowflakes and other numeric ids compare as numbers; others as text. */
  function idCmp(a, b) {
    a = String(a);
    b = String(b);
    if (/^\d+$/.test(a) && /^\d+$/.test(b) && a.length !== b.length) {
      return a.length - b.length;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function postItem(p) {
    var li = el("li", "post");
    li.dataset.id = String(p.id);
    li.dataset.t = String(timeOf(p));
    var head = el("div", "post-head");
    var au = p.author || {};
    var who = el("span", "who");
    who.appendChild(el("b", null, au.name || au.handle || "unknown"));
    if (au.handle) {
      who.appendChild(el("span", "handle", " @" + au.handle));
    }
    head.appendChild(who);
    var meta = el("span", "meta");
    if (p.platform) {
      meta.appendChild(el("span", "pill", p.platform));
    }
    if (p.lang) {
      meta.appendChild(el("span", "pill", p.lang));
    }
    var when = p.created_at ? new Date(p.created_at) : null;
    var tm = el("time", null, when && isFinite(when) ? when.toISOString().slice(11, 19) : "");
    if (p.created_at) {
      tm.dateTime = p.created_at;
    }
    if (p.url && safeHref(p.url)) {
      var a = extLink(p.url, "", "time-link");
      a.appendChild(tm);
      meta.appendChild(a);
    } else {
      meta.appendChild(tm);
    }
    head.appendChild(meta);
    li.appendChild(head);
    var body = el("p", "text");
    body.appendChild(richText(p.text));
    li.appendChild(body);
    var tags = (p.hashtags || []).filter(function (t) {
      return typeof t === "string" && String(p.text || "").indexOf("#" + t) < 0;
    });
    var urls = (p.urls || []).map(function (u) {
      return typeof u === "string" ? u : u && (u.expanded_url || u.expanded || u.url);
    }).filter(function (u) {
      return safeHref(u) && String(p.text || "").indexOf(u) < 0;
    });
    if (tags.length || urls.length) {
      var ents = el("p", "ents");
      tags.forEach(function (t) { ents.appendChild(tagLink(t)); });
      urls.forEach(function (u) { ents.appendChild(extLink(u, u.replace(/^https?:\/\//, ""), "url")); });
      li.appendChild(ents);
    }
    return li;
  }

  /* Add posts to a feed: newest on top, at most FEED_MAX, only the last
     minute by the newest post's clock (a replayed stream has old times). */
  function addToFeed(list, posts, emptyNode) {
    var have = {};
    Array.prototype.forEach.call(list.children, function (li) { have[li.dataset.id] = true; });
    var fresh = posts.filter(function (p) { return p && p.id !== undefined && !have[String(p.id)]; });
    fresh.sort(function (a, b) { return timeOf(a) - timeOf(b) || idCmp(a.id, b.id); });
    fresh.forEach(function (p) {
      /* insert in time order, newest first */
      var t = timeOf(p);
      var li = postItem(p);
      var at = list.firstChild;
      while (at && Number(at.dataset.t) > t) {
        at = at.nextSibling;
      }
      list.insertBefore(li, at);
    });
    var newest = list.firstChild ? Number(list.firstChild.dataset.t) : 0;
    var items = Array.prototype.slice.call(list.children);
    items.forEach(function (li, i) {
      if (i >= FEED_MAX || (newest && newest - Number(li.dataset.t) > FEED_AGE_MS)) {
        list.removeChild(li);
      }
    });
    if (emptyNode) {
      emptyNode.hidden = list.children.length > 0;
    }
    return fresh.length;
  }

  function newestId(posts, cur) {
    posts.forEach(function (p) {
      if (p && p.id !== undefined && (cur === null || idCmp(p.id, cur) > 0)) {
        cur = String(p.id);
      }
    });
    return cur;
  }

  function hasTag(p, tag) {
    var t = tag.toLowerCase();
    return (p.hashtags || []).some(function (h) { return String(h).toLowerCase() === t; });
  }

  function onPosts(posts) {
    if (!Array.isArray(posts) || posts.length === 0) {
      return;
    }
    state.lastId = newestId(posts, state.lastId);
    if (addToFeed($("feed"), posts, $("feed-empty"))) {
      state.updates.feed++;
    }
    if (state.view === "hashtag" && state.tag) {
      var mine = posts.filter(function (p) { return hasTag(p, state.tag); });
      if (mine.length) {
        state.tagLastId = newestId(mine, state.tagLastId);
        addToFeed($("ht-feed"), mine, $("ht-feed-empty"));
      }
    }
  }

  function loadFeed() {
    var params = { limit: 50 };
    if (state.lastId !== null) {
      params.since = state.lastId;
    }
    return api("/api/v1/posts", params).then(function (r) {
      onPosts(r.posts || []);
      if (r.last_id !== undefined && r.last_id !== null &&
          (state.lastId === null || idCmp(r.last_id, state.lastId) > 0)) {
        state.lastId = String(r.last_id);
      }
    });
  }

  /* ---- bars (top lists, poll) ----------------------------------------------- */

  /* items: [{key, count}]; link(key) gives an in-page href or null. */
  function renderBars(list, items, opts) {
    opts = opts || {};
    clear(list);
    if (!items.length) {
      list.appendChild(el("li", "empty", opts.empty || "nothing yet"));
      return;
    }
    var max = items.reduce(function (m, it) { return Math.max(m, it.count || 0); }, 0) || 1;
    var sum = items.reduce(function (m, it) { return m + (it.count || 0); }, 0) || 1;
    items.forEach(function (it) {
      var li = el("li", "bar");
      li.dataset.key = it.key;
      li.dataset.count = String(it.count);
      var label = opts.link ? el("a", "label") : el("span", "label");
      label.textContent = (opts.prefix || "") + it.key;
      if (opts.link) {
        label.href = opts.link(it.key);
        label.dataset.tag = it.key;
      }
      var track = el("span", "track");
      var fill = el("span", "fill");
      fill.style.width = (100 * (it.count || 0) / max).toFixed(1) + "%";
      track.appendChild(fill);
      var num = el("span", "num", fmt(it.count));
      if (opts.share) {
        num.appendChild(el("small", null, " " + (100 * (it.count || 0) / sum).toFixed(0) + "%"));
      }
      li.appendChild(label);
      li.appendChild(track);
      li.appendChild(num);
      list.appendChild(li);
    });
  }

  function keyCount(items) {
    return (items || []).map(function (it) {
      return { key: String(it.key !== undefined ? it.key : it.term), count: Number(it.count) || 0 };
    });
  }

  function loadTop() {
    var win = $("top-window").value;
    return api("/api/v1/top/hashtags", { window: win, limit: 10 }).then(function (r) {
      renderBars($("top-hashtags"), keyCount(r.items), { prefix: "#", link: tagHref });
      $("top-hashtags").dataset.window = win;
      state.updates.top++;
    }, function (e) { showError($("top-hashtags"), e); });
  }

  function loadMentions() {
    return api("/api/v1/top/mentions", { window: "1h", limit: 8 }).then(function (r) {
      renderBars($("top-mentions"), keyCount(r.items), { prefix: "@" });
    }, function (e) { showError($("top-mentions"), e); });
  }

  /* ---- posts per 2 s -------------------------------------------------------- */

  function renderRate(r) {
    var pts = (r.points || []).map(function (p) {
      return { t: Date.parse(p.t), iso: p.t, count: Number(p.count) || 0 };
    }).filter(function (p) { return isFinite(p.t); });
    var tb = $("rate-table").tBodies[0];
    clear(tb);
    pts.forEach(function (p) {
      var tr = el("tr");
      tr.dataset.t = p.iso;
      tr.appendChild(el("td", null, p.iso));
      tr.appendChild(el("td", "num", String(p.count)));
      tb.appendChild(tr);
    });
    var counts = pts.map(function (p) { return p.count; });
    var last = counts.length ? counts[counts.length - 1] : NaN;
    $("rate-last").textContent = fmt(last);
    $("rate-peak").textContent = fmt(counts.length ? Math.max.apply(null, counts) : NaN);
    $("rate-mean").textContent = counts.length
      ? (counts.reduce(function (a, b) { return a + b; }, 0) / counts.length).toFixed(1) : "–";
    if (state.total === null || !state.sseOpen) {
      $("rate-now").textContent = fmt(last);
    }
    drawRate(pts);
    $("rate-card").dataset.points = String(pts.length);
    state.updates.rate++;
  }

  function drawRate(pts) {
    var box = $("rate-chart");
    if (typeof window.uPlot !== "function") {
      /* no chart library: the table is the chart */
      $("rate-table").classList.remove("sr-only");
      box.hidden = true;
      return;
    }
    var data = [pts.map(function (p) { return p.t / 1000; }), pts.map(function (p) { return p.count; })];
    var w = Math.max(200, box.clientWidth);
    if (!state.uplot) {
      state.uplot = new window.uPlot({
        width: w,
        height: 220,
        legend: { show: false },
        tzDate: function (ts) { return window.uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: function (u, lo, hi) { return [0, Math.max(5, hi * 1.15)]; } } },
        axes: [
          { stroke: "#8b98a9", grid: { stroke: "#2a3442" }, ticks: { stroke: "#2a3442" },
            values: function (u, splits) {
              return splits.map(function (s) { return new Date(s * 1000).toISOString().slice(11, 19); });
            } },
          { stroke: "#8b98a9", grid: { stroke: "#2a3442" }, ticks: { stroke: "#2a3442" }, size: 48 },
        ],
        series: [{}, { label: "posts / 2 s", stroke: "#4fb3ff", width: 2, fill: "rgba(79,179,255,0.15)", points: { show: false } }],
      }, data, box);
      if (window.ResizeObserver) {
        new ResizeObserver(function () {
          state.uplot.setSize({ width: Math.max(200, box.clientWidth), height: 220 });
        }).observe(box);
      }
    } else {
      state.uplot.setData(data);
    }
  }

  function loadRate() {
    if (state.rateBusy) {
      return Promise.resolve();
    }
    state.rateBusy = true;
    return api("/api/v1/rate", { step: "2s", window: "5m" }).then(renderRate, function (e) {
      $("rate-last").textContent = "unavailable";
      console.warn("rate:", e.message);
    }).then(function () { state.rateBusy = false; });
  }

  /* ---- word cloud ------------------------------------------------------------ */

  function loadWords() {
    return api("/api/v1/top/words", { window: "1h", limit: 60 }).then(function (r) {
      var items = keyCount(r.items);
      var box = $("cloud");
      clear(box);
      if (!items.length) {
        box.appendChild(el("p", "empty", "no words yet"));
        return;
      }
      var max = Math.max.apply(null, items.map(function (i) { return i.count; })) || 1;
      var min = Math.min.apply(null, items.map(function (i) { return i.count; }));
      /* shuffle deterministically by key so big words spread out */
      var shown = items.slice().sort(function (a, b) { return hash(a.key) - hash(b.key); });
      shown.forEach(function (it) {
        var f = max === min ? 0.5 : Math.sqrt((it.count - min) / (max - min));
        var s = el("span", "word", it.key);
        s.style.fontSize = (0.8 + 1.9 * f).toFixed(2) + "rem";
        s.style.opacity = (0.55 + 0.45 * f).toFixed(2);
        s.title = it.key + ": " + fmt(it.count);
        s.dataset.key = it.key;
        s.dataset.count = String(it.count);
        box.appendChild(s);
      });
      state.updates.words++;
    }, function (e) { showError($("cloud"), e); });
  }

  function hash(s) {
    var h = 2166136261;
    for (var i = 0; i < s.length; i++) {
      h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    }
    return h >>> 0;
  }

  /* ---- map ------------------------------------------------------------------- */

  function loadLand() {
    if (!window.topojson) {
      return Promise.reject(new Error("no map library"));
    }
    return fetch(url("vendor/land-110m.json")).then(function (r) {
      if (!r.ok) {
        throw new Error("no map data");
      }
      return r.json();
    }).then(function (topo) {
      state.land = window.topojson.feature(topo, topo.objects.land);
    });
  }

  function drawMap() {
    var cv = $("map-canvas");
    var box = $("map");
    var w = Math.max(240, box.clientWidth);
    var h = Math.round(w / 2);
    var dpr = window.devicePixelRatio || 1;
    cv.width = Math.round(w * dpr);
    cv.height = Math.round(h * dpr);
    cv.style.height = h + "px";
    var g = cv.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = "#0f1620";
    g.fillRect(0, 0, w, h);
    /* equirectangular: x from longitude, y from latitude */
    var px = function (lon) { return (lon + 180) / 360 * w; };
    var py = function (lat) { return (90 - lat) / 180 * h; };
    if (state.land) {
      g.fillStyle = "#243141";
      g.strokeStyle = "#34465c";
      g.lineWidth = 0.6;
      g.beginPath();
      state.land.features.forEach(function (f) {
        var polys = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
        polys.forEach(function (poly) {
          poly.forEach(function (ring) {
            ring.forEach(function (c, i) {
              /* rings crossing the antimeridian jump: start a new subpath */
              if (i === 0 || Math.abs(c[0] - ring[i - 1][0]) > 180) {
                g.moveTo(px(c[0]), py(c[1]));
              } else {
                g.lineTo(px(c[0]), py(c[1]));
              }
            });
            g.closePath();
          });
        });
      });
      g.fill("evenodd");
      g.stroke();
    }
    g.fillStyle = "rgba(255,176,59,0.85)";
    g.strokeStyle = "rgba(255,176,59,0.35)";
    state.geo.forEach(function (p) {
      g.beginPath();
      g.arc(px(p.lon), py(p.lat), 2.6, 0, 2 * Math.PI);
      g.fill();
      g.beginPath();
      g.arc(px(p.lon), py(p.lat), 6, 0, 2 * Math.PI);
      g.stroke();
    });
  }

  function loadGeo() {
    return api("/api/v1/geo", { window: "1h", limit: 500 }).then(function (r) {
      state.geo = (r.points || []).filter(function (p) {
        return typeof p.lat === "number" && typeof p.lon === "number";
      });
      $("geo-n").textContent = fmt(state.geo.length);
      $("map-card").dataset.points = String(state.geo.length);
      var tb = $("geo-table").tBodies[0];
      clear(tb);
      state.geo.slice(0, 200).forEach(function (p) {
        var tr = el("tr");
        tr.appendChild(el("td", "num", p.lat.toFixed(2)));
        tr.appendChild(el("td", "num", p.lon.toFixed(2)));
        tr.appendChild(el("td", null, p.text || ""));
        tb.appendChild(tr);
      });
      if (state.land || !window.topojson) {
        drawMapOrTable();
      }
      state.updates.geo++;
    }, function (e) { $("geo-n").textContent = "unavailable"; console.warn("geo:", e.message); });
  }

  function drawMapOrTable() {
    if (state.land) {
      drawMap();
    } else {
      $("map").hidden = true;
      $("geo-table").classList.remove("sr-only");
    }
  }

  /* ---- poll ----------------------------------------------------------------- */

  function pollTerms() {
    var v = $("poll-terms").value;
    return v.split(",").map(function (s) { return s.trim(); }).filter(Boolean).slice(0, 12);
  }

  function loadPoll() {
    var terms = pollTerms();
    if (!terms.length) {
      renderBars($("poll"), [], { empty: "enter terms to track" });
      return Promise.resolve();
    }
    return api("/api/v1/poll", { terms: terms.join(","), window: "1h" }).then(function (r) {
      renderBars($("poll"), keyCount(r.terms), { share: true });
      state.updates.poll++;
    }, function (e) { showError($("poll"), e); });
  }

  /* ---- tables (named queries, sources) -------------------------------------- */

  function cellText(v) {
    if (v === null || v === undefined) {
      return "";
    }
    if (typeof v === "object") {
      return JSON.stringify(v);
    }
    return typeof v === "number" ? fmt(v) : String(v);
  }

  /* rows: arrays (with columns) or objects (columns from the keys). */
  function table(columns, rows) {
    if (!columns || !columns.length) {
      columns = [];
      rows.forEach(function (r) {
        if (r && typeof r === "object" && !Array.isArray(r)) {
          Object.keys(r).forEach(function (k) {
            if (columns.indexOf(k) < 0) {
              columns.push(k);
            }
          });
        }
      });
    }
    var t = el("table", "data");
    var tr = el("tr");
    var first = rows[0];
    columns.forEach(function (c, i) {
      var v = first === undefined ? null : Array.isArray(first) ? first[i] : first[c];
      tr.appendChild(el("th", typeof v === "number" ? "num" : null, c));
    });
    t.appendChild(el("thead")).appendChild(tr);
    var tb = t.appendChild(el("tbody"));
    rows.slice(0, 100).forEach(function (r) {
      var row = el("tr");
      columns.forEach(function (c, i) {
        var v = Array.isArray(r) ? r[i] : r[c];
        row.appendChild(el("td", typeof v === "number" ? "num" : null, cellText(v)));
      });
      tb.appendChild(row);
    });
    var wrap = el("div", "table-wrap");
    wrap.appendChild(t);
    return wrap;
  }

  function loadQueries() {
    var box = $("queries");
    return api("/api/v1/queries").then(function (r) {
      var qs = Array.isArray(r) ? r : r.queries || [];
      if (!qs.length) {
        clear(box);
        box.appendChild(el("p", "empty", "No named queries."));
        return;
      }
      return Promise.all(qs.slice(0, 8).map(function (q) {
        var name = typeof q === "string" ? q : q.name;
        return api("/api/v1/queries/" + encodeURIComponent(name)).then(function (res) {
          return { q: q, name: name, res: res };
        }, function (e) { return { q: q, name: name, err: e }; });
      })).then(function (all) {
        clear(box);
        all.forEach(function (x) {
          var sec = el("section", "query");
          var h = el("h3", null, x.name);
          sec.appendChild(h);
          var sql = typeof x.q === "object" && (x.q.sql || x.q.query || x.q.text);
          if (sql) {
            sec.appendChild(el("code", "sql", sql));
          }
          if (x.err) {
            sec.appendChild(el("p", "error", "unavailable: " + x.err.message));
          } else {
            var rows = x.res.rows || x.res.results || x.res.items || [];
            sec.appendChild(rows.length ? table(x.res.columns, rows) : el("p", "empty", "no rows yet"));
          }
          box.appendChild(sec);
        });
      });
    }, function (e) { showError(box, e); });
  }

  function loadSources() {
    var box = $("sources");
    return api("/api/v1/sources").then(function (r) {
      var ss = Array.isArray(r) ? r : r.sources || [];
      clear(box);
      if (!ss.length) {
        box.appendChild(el("p", "empty", "No sources (serving a store)."));
        return;
      }
      box.appendChild(table(null, ss));
      Array.prototype.forEach.call(box.querySelectorAll("td"), function (td) {
        var v = td.textContent;
        if (/^(connected|running|ok|up)$/i.test(v)) {
          td.className = "good";
        } else if (/^(backoff|reconnecting|error|failed|down|disconnected)$/i.test(v)) {
          td.className = "bad";
        }
      });
    }, function (e) { showError(box, e); });
  }

  /* ---- hashtag view ------------------------------------------------------------ */

  function loadHashtag() {
    var tag = state.tag;
    if (!tag) {
      return Promise.resolve();
    }
    var win = $("ht-window").value;
    return api("/api/v1/hashtag/" + encodeURIComponent(tag), { window: win }).then(function (r) {
      if (tag !== state.tag) {
        return;
      }
      $("ht-count").textContent = fmt(Number(r.count));
      $("ht-count").dataset.count = String(r.count);
      renderBars($("ht-related"), keyCount(r.related), { prefix: "#", link: tagHref, empty: "no related hashtags" });
      var tb = $("ht-influencers").tBodies[0];
      clear(tb);
      (r.influencers || []).forEach(function (u) {
        var tr = el("tr");
        tr.dataset.handle = u.handle;
        var who = el("td");
        who.appendChild(el("b", null, u.name || u.handle));
        who.appendChild(el("span", "handle", " @" + u.handle));
        tr.appendChild(who);
        tr.appendChild(el("td", "num", fmt(Number(u.followers))));
        tr.appendChild(el("td", "num", fmt(Number(u.posts))));
        tb.appendChild(tr);
      });
      if (!(r.influencers || []).length) {
        var tr = el("tr");
        var td = el("td", "empty", "nobody yet");
        td.colSpan = 3;
        tr.appendChild(td);
        tb.appendChild(tr);
      }
      var posts = r.posts || [];
      state.tagLastId = newestId(posts, state.tagLastId);
      addToFeed($("ht-feed"), posts, $("ht-feed-empty"));
      state.updates.tag++;
    }, function (e) {
      $("ht-count").textContent = "unavailable";
      showError($("ht-related"), e);
    });
  }

  /* new posts of the tag, when the stream is not delivering them */
  function pollHashtagPosts() {
    if (!state.tag || state.tagLastId === null) {
      return Promise.resolve();
    }
    var tag = state.tag;
    return api("/api/v1/posts", { hashtag: tag, since: state.tagLastId, limit: 50 }).then(function (r) {
      if (tag === state.tag) {
        state.tagLastId = newestId(r.posts || [], state.tagLastId);
        addToFeed($("ht-feed"), r.posts || [], $("ht-feed-empty"));
      }
    }, function () { /* shown by the next full refresh */ });
  }

  function openHashtag(tag) {
    if (tag !== state.tag) {
      state.tag = tag;
      state.tagLastId = null;
      clear($("ht-feed"));
      clear($("ht-related"));
      clear($("ht-influencers").tBodies[0]);
      $("ht-count").textContent = "–";
      delete $("ht-count").dataset.count;
    }
    $("ht-title").textContent = tag ? "#" + tag : "Pick a hashtag";
    if (!tag) {
      $("ht-feed-empty").hidden = false;
      return;
    }
    loadHashtag();
  }

  /* ---- search ------------------------------------------------------------------ */

  /* FTS snippets mark hits with <b>..</b>, [..] or <mark>..</mark>: show
     the marks as <mark> elements and everything else as text. */
  function snippetNode(s) {
    var frag = document.createDocumentFragment();
    var parts = String(s || "").split(/(<\/?(?:b|mark|em)>)/);
    var on = false;
    parts.forEach(function (part) {
      if (/^<(b|mark|em)>$/.test(part)) {
        on = true;
      } else if (/^<\/(b|mark|em)>$/.test(part)) {
        on = false;
      } else if (part) {
        frag.appendChild(on ? el("mark", null, part) : document.createTextNode(part));
      }
    });
    return frag;
  }

  function runSearch(q) {
    var list = $("search-results");
    clear(list);
    $("search-info").textContent = q ? "“" + q + "”" : "";
    if (!q) {
      return Promise.resolve();
    }
    return api("/api/v1/search", { q: q, limit: 50 }).then(function (r) {
      var res = r.results || [];
      $("search-info").textContent = "“" + q + "” · " + res.length + " result" + (res.length === 1 ? "" : "s");
      if (!res.length) {
        list.appendChild(el("li", "empty", "no matches"));
      }
      res.forEach(function (x) {
        var li = postItem(x.post || {});
        if (x.snippet) {
          var sn = el("p", "snippet");
          sn.appendChild(snippetNode(x.snippet));
          li.appendChild(sn);
        }
        list.appendChild(li);
      });
    }, function (e) {
      list.appendChild(el("li", "error", "search failed: " + e.message));
    });
  }

  /* ---- live: SSE with a polling fallback -------------------------------------- */

  function setConn(mode) {
    var c = $("conn");
    c.textContent = mode;
    c.className = "conn " + mode.replace(/\s.*/, "");
    document.body.dataset.conn = mode;
  }

  function onStats(s) {
    if (!s || typeof s !== "object") {
      return;
    }
    var total = s.total_posts !== undefined ? s.total_posts : s.total !== undefined ? s.total : s.posts;
    if (typeof total === "number") {
      state.total = total;
      $("total").textContent = fmt(total);
    }
    var rate = s.rate;
    if (rate && typeof rate === "object") {
      rate = rate.count !== undefined ? rate.count : rate.last;
    }
    if (typeof rate === "number") {
      $("rate-now").textContent = fmt(rate);
    }
    /* the stream says the aggregates changed: redraw them from the API, so
       what is shown is exactly what the API returns */
    loadRate();
    if (state.view === "tweets") {
      loadTop();
    } else if (state.view === "hashtag") {
      loadHashtag();
    }
  }

  function startPolling() {
    if (state.pollTimer) {
      return;
    }
    setConn("polling");
    var tick = function () {
      loadFeed().then(function () {
        setConn("polling");
      }, function () { setConn("offline"); });
      loadRate();
      if (state.view === "tweets") {
        loadTop();
      } else if (state.view === "hashtag") {
        pollHashtagPosts();
        loadHashtag();
      }
      api("/health").then(function (h) {
        var t = h && (h.total_posts !== undefined ? h.total_posts : h.posts);
        if (typeof t === "number") {
          $("total").textContent = fmt(t);
        }
      }, function () {});
    };
    tick();
    state.pollTimer = setInterval(tick, POLL_MS);
  }

  function stopPolling() {
    if (state.pollTimer) {
      clearInterval(state.pollTimer);
      state.pollTimer = null;
    }
  }

  function startStream() {
    if (!window.EventSource || /[?&]poll=1\b/.test(location.search)) {
      startPolling();
      return;
    }
    var es = new EventSource(url("/api/v1/stream"));
    state.sse = es;
    var fallback = setTimeout(function () {
      if (!state.sseOpen) {
        startPolling();
      }
    }, 5000);
    es.onopen = function () {
      state.sseOpen = true;
      clearTimeout(fallback);
      stopPolling();
      setConn("live");
      loadFeed().catch(function () {}); /* what arrived while we were away */
    };
    es.addEventListener("posts", function (ev) {
      try { onPosts(JSON.parse(ev.data)); } catch (e) { console.warn("posts event:", e.message); }
    });
    es.addEventListener("stats", function (ev) {
      try { onStats(JSON.parse(ev.data)); } catch (e) { console.warn("stats event:", e.message); }
    });
    es.onerror = function () {
      state.sseOpen = false;
      if (es.readyState === EventSource.CLOSED) {
        /* refused for good (e.g. 404, too many clients): poll from now on */
        startPolling();
      } else {
        setConn("reconnecting");
        fallback = setTimeout(function () {
          if (!state.sseOpen) {
            startPolling();
          }
        }, 3000);
      }
    };
  }

  function slowRefresh() {
    loadWords();
    loadGeo();
    loadPoll();
    loadMentions();
    loadQueries();
    loadSources();
    if (!state.sseOpen) {
      return;
    }
    /* a stream that stopped sending stats still gets its charts refreshed */
    loadRate();
    if (state.view === "tweets") {
      loadTop();
    }
  }

  /* ---- routing ------------------------------------------------------------------ */

  function route() {
    var h = location.hash.replace(/^#\/?/, "");
    var view = "tweets";
    if (/^hashtag(\/|$)/.test(h)) {
      view = "hashtag";
      var tag = "";
      try { tag = decodeURIComponent(h.slice(8)); } catch (e) { tag = ""; }
      openHashtag(tag.replace(/^#/, ""));
    } else if (/^search/.test(h)) {
      view = "search";
      var q = new URLSearchParams(h.replace(/^search\??/, "")).get("q") || "";
      $("search-q").value = q;
      runSearch(q);
    }
    state.view = view;
    ["tweets", "hashtag", "search"].forEach(function (v) {
      $("view-" + v).hidden = v !== view;
    });
    Array.prototype.forEach.call(document.querySelectorAll("nav a"), function (a) {
      a.classList.toggle("on", a.dataset.view === view);
    });
    if (view === "tweets" && state.uplot) {
      state.uplot.setSize({ width: Math.max(200, $("rate-chart").clientWidth), height: 220 });
    }
    if (view === "tweets" && state.land) {
      drawMap();
    }
    document.body.dataset.view = view;
  }

  /* ---- start -------------------------------------------------------------------- */

  function start() {
    $("poll-terms").value = localStorage.getItem(POLL_KEY) !== null ? localStorage.getItem(POLL_KEY) : DEFAULT_TERMS;
    $("poll-form").addEventListener("submit", function (e) {
      e.preventDefault();
      localStorage.setItem(POLL_KEY, pollTerms().join(", "));
      $("poll-terms").value = pollTerms().join(", ");
      loadPoll();
    });
    $("search-form").addEventListener("submit", function (e) {
      e.preventDefault();
      location.hash = "#/search?q=" + encodeURIComponent($("search-q").value.trim());
    });
    $("top-window").addEventListener("change", loadTop);
    $("ht-window").addEventListener("change", loadHashtag);
    window.addEventListener("hashchange", route);
    var resizeTimer = null;
    window.addEventListener("resize", function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () {
        if (state.land && state.view === "tweets") {
          drawMap();
        }
      }, 150);
    });
    route();
    loadFeed().catch(function (e) {
      $("feed-empty").textContent = "posts unavailable: " + e.message;
    });
    loadTop();
    loadRate();
    slowRefresh();
    loadLand().then(drawMapOrTable, function (e) {
      console.warn("map:", e.message);
      drawMapOrTable();
    });
    startStream();
    setInterval(slowRefresh, SLOW_MS);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
