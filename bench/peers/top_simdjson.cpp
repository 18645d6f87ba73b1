// SPDX-License-Identifier: MIT
//
// top_simdjson.cpp - the practical ceiling for JSON parsing in bench/run:
// a simdjson On-Demand program doing the same tasks on the same JSONL.
// Usage: top_simdjson T0|T1|T2|T3 FILE  (top 20 as "key<TAB>count")
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

using namespace simdjson;

static std::string lower_ascii(std::string_view s)
{
    std::string o(s);
    for (auto &c : o) {
        if (c >= 'A' && c <= 'Z') {
            c = char(c + 32);
        }
    }
    return o;
}

// The same word rule as roost's tokenizer (src/parse/tokenize.c): words
// are runs of letters, digits, '_' and inner apostrophes; URLs and
// @mentions are skipped; '#' is dropped; ASCII, Latin-1, Latin Ext-A,
// Greek and Cyrillic capitals are folded.
static bool is_sep(uint32_t c)
{
    if (c < 0x80) {
        return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_');
    }
    return c == 0xA0 || (c >= 0xA1 && c <= 0xBF && c != 0xAA && c != 0xB5 &&
                         c != 0xBA) ||
           c == 0xD7 || c == 0xF7 || (c >= 0x2000 && c <= 0x206F) ||
           (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFF0F) ||
           (c >= 0xFF1A && c <= 0xFF20) || c == 0xFEFF ||
           (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2190 && c <= 0x2BFF) ||
           (c >= 0xFE00 && c <= 0xFE0F);
}

static uint32_t fold(uint32_t c)
{
    if (c < 0x80) {
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    }
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) {
        return c + 32;
    }
    if (c >= 0x100 && c <= 0x17F) {
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
            return (c & 1) ? c + 1 : c;
        }
        if (c == 0x178) {
            return 0xFF;
        }
        if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 ||
            c == 0x17F) {
            return c;
        }
        return (c & 1) ? c : c + 1;
    }
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) {
        return c + 32;
    }
    if (c >= 0x410 && c <= 0x42F) {
        return c + 32;
    }
    if (c >= 0x400 && c <= 0x40F) {
        return c + 80;
    }
    return c;
}

static size_t dec(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0 && n >= 2) {
        *cp = (uint32_t(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if ((s[0] & 0xF0) == 0xE0 && n >= 3) {
        *cp = (uint32_t(s[0] & 0x0F) << 12) | (uint32_t(s[1] & 0x3F) << 6) |
              (s[2] & 0x3F);
        return 3;
    }
    if ((s[0] & 0xF8) == 0xF0 && n >= 4) {
        *cp = (uint32_t(s[0] & 0x07) << 18) | (uint32_t(s[1] & 0x3F) << 12) |
              (uint32_t(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        return 4;
    }
    *cp = ' ';
    return 1;
}

static void put(std::string &w, uint32_t c)
{
    if (w.size() + 4 > 256) {
        return; // roost builds words in 256 bytes and drops the rest
    }
    if (c < 0x80) {
        w += char(c);
    } else if (c < 0x800) {
        w += char(0xC0 | (c >> 6));
        w += char(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        w += char(0xE0 | (c >> 12));
        w += char(0x80 | ((c >> 6) & 0x3F));
        w += char(0x80 | (c & 0x3F));
    } else {
        w += char(0xF0 | (c >> 18));
        w += char(0x80 | ((c >> 12) & 0x3F));
        w += char(0x80 | ((c >> 6) & 0x3F));
        w += char(0x80 | (c & 0x3F));
    }
}

static void words(std::string text,
                  std::unordered_map<std::string, long> &counts)
{
    for (const char *e : { "&amp;", "&lt;", "&gt;" }) {
        const char *r = e[1] == 'a' ? "&" : e[1] == 'l' ? "<" : ">";
        size_t p = 0;
        while ((p = text.find(e, p)) != std::string::npos) {
            text.replace(p, std::strlen(e), r);
            p += 1;
        }
    }
    const unsigned char *s = (const unsigned char *)text.data();
    size_t n = text.size(), i = 0;
    std::string w;
    while (i <= n) {
        uint32_t c = ' ';
        size_t k = 1;
        if (i < n) {
            // roost takes a URL only with a byte after "http(s)://"
            if (w.empty() && ((n - i > 7 && text.compare(i, 7, "http://") == 0) ||
                              (n - i > 8 && text.compare(i, 8, "https://") == 0) ||
                              s[i] == '@')) {
                bool mention = s[i] == '@';
                size_t j = i + 1;
                while (j < n && s[j] != ' ' && s[j] != '\n' && s[j] != '\t' &&
                       s[j] != '\r') {
                    if (mention && is_sep(s[j])) {
                        break;
                    }
                    j++;
                }
                i = j;
                continue;
            }
            k = dec(s + i, n - i, &c);
        }
        uint32_t after = i + k < n ? s[i + k] : ' ';
        if (after >= 0x80) {
            dec(s + i + k, n - i - k, &after); // the character, as roost
        }
        bool apos = (c == '\'' || c == 0x2019) && !w.empty() && i + k < n &&
                    !is_sep(after);
        if (i < n && (!is_sep(c) || apos)) {
            put(w, apos ? '\'' : fold(c));
        } else if (!w.empty()) {
            counts[w]++;
            w.clear();
        }
        i += k;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        return 2;
    }
    std::string task = argv[1];
    padded_string json;
    if (padded_string::load(argv[2]).get(json)) {
        return 1;
    }
    ondemand::parser parser;
    ondemand::document_stream stream;
    if (parser.iterate_many(json, 1 << 24).get(stream)) {
        return 1;
    }
    std::unordered_map<std::string, long> counts;
    long n = 0;
    for (auto doc : stream) {
        n++;
        if (task == "T0") {
            ondemand::value v;
            if (doc.get_value().get(v)) {
                return 1;
            }
            continue;
        }
        ondemand::object obj;
        if (doc.get_object().get(obj)) {
            continue;
        }
        if (task == "T1") {
            ondemand::array tags;
            auto ext = obj.find_field_unordered("extended_tweet");
            bool done = false;
            if (!ext.error()) {
                auto t = ext["entities"]["hashtags"].get_array();
                if (!t.error()) {
                    for (auto h : t.value_unsafe()) {
                        std::string_view s;
                        if (!h["text"].get_string().get(s)) {
                            counts[lower_ascii(s)]++;
                        }
                    }
                    done = true;
                }
            }
            if (!done) {
                auto t = obj.find_field_unordered("entities")["hashtags"]
                             .get_array();
                if (!t.error()) {
                    for (auto h : t.value_unsafe()) {
                        std::string_view s;
                        if (!h["text"].get_string().get(s)) {
                            counts[lower_ascii(s)]++;
                        }
                    }
                }
            }
        } else if (task == "T3") {
            std::string_view t;
            bool got = false;
            auto ext = obj.find_field_unordered("extended_tweet");
            if (!ext.error() && !ext["full_text"].get_string().get(t)) {
                got = true;
            }
            if (!got && obj.find_field_unordered("text").get_string().get(t)) {
                continue;
            }
            auto u = obj.find_field_unordered("user");
            if (u.error()) {
                continue; /* not a status */
            }
            words(std::string(t), counts);
        } else if (task == "T2") {
            std::string_view s;
            auto u = obj.find_field_unordered("user");
            if (!u.error() && !u["screen_name"].get_string().get(s)) {
                counts[lower_ascii(s)]++;
            }
        }
    }
    if (task == "T0") {
        std::printf("records\t%ld\n", n);
        return 0;
    }
    std::vector<std::pair<std::string, long>> v(counts.begin(), counts.end());
    std::sort(v.begin(), v.end(), [](auto &a, auto &b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    for (size_t i = 0; i < v.size() && i < 20; i++) {
        std::printf("%s\t%ld\n", v[i].first.c_str(), v[i].second);
    }
    return 0;
}
