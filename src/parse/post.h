/* SPDX-License-Identifier: MIT
 *
 * post.h - the one normalized post model, for every wire format.
 *
 * A record from any platform (X v1.1, X API v2, Bluesky Jetstream,
 * Mastodon) normalizes into zero or more struct roost_post and zero or more
 * struct roost_ctl (control events: deletes, limits, disconnects...). One
 * record may give several posts: a search envelope, a v2 `data` array, and
 * every referenced post (retweeted, quoted, replied-to when included), each
 * emitted as its own post with `referenced` set.
 *
 * Ownership: all strings are views into the record's input bytes or into
 * the normalizer's arena; they stay valid until roost_norm_reset() (or
 * _fini) and while the input bytes live.
 * Thread: a struct roost_norm is owned by one thread.
 *
 * Field names used by roost_post_write_json() are documented in
 * docs/post-model.md and are stable.
 */
#ifndef ROOST_PARSE_POST_H
#define ROOST_PARSE_POST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "parse/json.h"

enum roost_format {
    ROOST_FMT_AUTO = 0,
    ROOST_FMT_X1,        /* Twitter/X API v1.1 (stream, search, REST) */
    ROOST_FMT_X2,        /* X API v2 (data + includes) */
    ROOST_FMT_JETSTREAM, /* Bluesky Jetstream events */
    ROOST_FMT_MASTODON,  /* Mastodon REST statuses and streaming events */
    ROOST_FMT_TEXT,      /* a plain text line: a text-only post */
    ROOST_FMT_UNKNOWN,   /* valid JSON that is no known format */
    ROOST_FMT_GITHUB,    /* issue 4: GitHub events API (fmt_github.c) */
};

enum roost_platform {
    ROOST_PLATFORM_UNKNOWN = 0,
    ROOST_PLATFORM_X,
    ROOST_PLATFORM_BLUESKY,
    ROOST_PLATFORM_MASTODON,
    ROOST_PLATFORM_TEXT,
    ROOST_PLATFORM_GITHUB, /* issue 4: GitHub events */
};

#define ROOST_UNKNOWN_COUNT INT64_MIN /* a count the payload did not carry */
#define ROOST_NO_INDEX UINT32_MAX     /* an entity without known offsets */

/* A hashtag, mention, URL or cashtag. */
struct roost_entity {
    struct roost_str text;     /* without sigil; URLs: as written (t.co) */
    struct roost_str expanded; /* URLs: expanded URL; mentions: user id/DID */
    uint32_t start;            /* code point offset in post text, or NONE */
    uint32_t end;              /* exclusive */
};

struct roost_author {
    struct roost_str id;
    struct roost_str handle; /* screen_name / username / acct / handle */
    struct roost_str name;
    struct roost_str description;
    struct roost_str location;
    struct roost_str lang;
    struct roost_str profile_image_url;
    int64_t followers; /* ROOST_UNKNOWN_COUNT when absent */
    int64_t following;
    int64_t posts;
    int64_t created_at_ms; /* 0 when absent */
    bool verified;
};

enum roost_ref_type {
    ROOST_REF_REPLY = 0,
    ROOST_REF_RETWEET, /* retweet / reblog / repost */
    ROOST_REF_QUOTE,
};

struct roost_ref {
    uint8_t type;                /* enum roost_ref_type */
    struct roost_str id;         /* referenced post id (or AT-URI) */
    struct roost_str author_id;  /* when known */
    struct roost_str author_handle;
};

struct roost_media {
    struct roost_str id;
    struct roost_str type; /* photo, video, animated_gif, image, gifv... */
    struct roost_str url;  /* the media file or preview */
    struct roost_str alt;
};

struct roost_geo {
    bool has_point;
    double lat, lon;
    bool has_bbox;
    double bbox[4]; /* west, south, east, north */
    struct roost_str place_id;
    struct roost_str place_name;
    struct roost_str place_full_name;
    struct roost_str place_type;
    struct roost_str country;
    struct roost_str country_code;
};

struct roost_post {
    uint8_t format;   /* enum roost_format */
    uint8_t platform; /* enum roost_platform */
    bool referenced;  /* emitted because another post referenced it */
    bool truncated;   /* the payload itself said text is truncated */
    bool sensitive;
    bool has_geo;
    bool entities_delivered; /* the payload carried its own entities: they
                                are authoritative; none are extracted */
    struct roost_str id;    /* as a string, always (id_str, never rounded) */
    int64_t created_at_ms;  /* UTC epoch ms; 0 when absent */
    struct roost_str lang;  /* BCP 47 / ISO 639-1 as delivered */
    struct roost_str text;  /* full text: plain, HTML entities decoded */
    struct roost_str source; /* client name (HTML stripped) */
    struct roost_str url;    /* permalink when known */
    struct roost_author author;
    struct roost_ref *refs;
    uint32_t n_refs;
    struct roost_entity *hashtags;
    uint32_t n_hashtags;
    struct roost_entity *mentions;
    uint32_t n_mentions;
    struct roost_entity *urls;
    uint32_t n_urls;
    struct roost_entity *cashtags;
    uint32_t n_cashtags;
    struct roost_media *media;
    uint32_t n_media;
    struct roost_geo geo; /* valid when has_geo */
    int64_t retweets; /* counts: ROOST_UNKNOWN_COUNT when absent */
    int64_t likes;
    int64_t replies;
    int64_t quotes;
    struct roost_str *rules; /* matching rule tags (or ids when untagged) */
    uint32_t n_rules;
    struct roost_str conversation_id;
};

enum roost_ctl_kind {
    ROOST_CTL_DELETE = 0,     /* a post was deleted */
    ROOST_CTL_SCRUB_GEO,      /* remove geo from a user's posts up to id */
    ROOST_CTL_LIMIT,          /* n posts matched but were not delivered */
    ROOST_CTL_DISCONNECT,     /* the server is closing the stream */
    ROOST_CTL_WARNING,        /* stall warning, follows over limit... */
    ROOST_CTL_STATUS_WITHHELD,
    ROOST_CTL_USER_WITHHELD,
    ROOST_CTL_IDENTITY,       /* Bluesky identity event (handle change) */
    ROOST_CTL_ACCOUNT,        /* Bluesky account event (status change) */
    ROOST_CTL_USER_DELETE,    /* Bluesky/Mastodon: an account was removed */
    ROOST_CTL_GAP,            /* roost's own: a source lost its connection */
    ROOST_CTL_OTHER,          /* a known non-post event we keep but skip */
};

struct roost_ctl {
    uint8_t kind;     /* enum roost_ctl_kind */
    uint8_t platform; /* enum roost_platform */
    struct roost_str post_id; /* DELETE, STATUS_WITHHELD, SCRUB_GEO up_to */
    struct roost_str user_id;
    struct roost_str code;    /* disconnect/warning code, event name */
    struct roost_str reason;  /* human-readable message */
    int64_t count;            /* LIMIT: undelivered count; GAP: ditto */
    int64_t ts_ms;            /* when the event happened, 0 if unknown */
    int64_t end_ms;           /* GAP: when the stream was back */
    struct roost_str first_id; /* GAP: first id/cursor after (post_id:
                                  the last before) */
};

/*
 * Gap records. A network source that loses its stream appends one record
 * of its own to the archive when it is back:
 *
 *   {"roost_gap":{"source":"x1","platform":"x","start_ms":..,"end_ms":..,
 *     "last_id":"..","first_id":"..","undelivered":N,"reason":".."}}
 *
 * It normalizes to a ROOST_CTL_GAP control event (user_id = the source
 * name, platform = the platform the source reads, "unknown" for records
 * written before it was recorded, post_id = last id before, first_id =
 * first id after, count = undelivered posts the platform reported,
 * reason = why).
 */

/*
 * What a caller needs of each post (roost_norm.want). A normalizer may
 * leave what is not wanted empty (strings NULL, counts
 * ROOST_UNKNOWN_COUNT, times 0) and save decoding it; it may also fill
 * more. Ids, the author's id and handle, `referenced` and refs are always
 * filled. Batch verbs that count one thing use it (`roost top`); the
 * pipeline and the sinks want everything.
 */
enum roost_norm_want {
    ROOST_WANT_AUTHOR = 1u << 0,   /* author id and handle (always) */
    ROOST_WANT_TEXT = 1u << 1,     /* text */
    ROOST_WANT_ENTITIES = 1u << 2, /* hashtags, mentions, URLs, cashtags,
                                      media (and the text when they must
                                      be extracted from it) */
    ROOST_WANT_PROFILE = 1u << 3,  /* author name, description, location,
                                      image, counts, created_at, verified */
    ROOST_WANT_DETAIL = 1u << 4,   /* created_at, lang, flags, source,
                                      counts, url, geo, matching rules */
    ROOST_WANT_ALL = (1u << 5) - 1,
};

/* Per-thread normalizer state and the output of the last record(s). */
struct roost_norm {
    struct roost_arena arena; /* private */
    struct roost_post *posts; /* read-only */
    uint32_t n_posts;         /* read-only */
    uint32_t cap_posts;       /* private */
    struct roost_ctl *ctls;   /* read-only */
    uint32_t n_ctls;          /* read-only */
    uint32_t cap_ctls;        /* private */
    bool extract_missing;     /* extract entities from text when absent */
    unsigned want;            /* enum roost_norm_want bits; init: ALL */
    const char *in_lo;        /* private: input bytes of the record, */
    const char *in_hi;        /* private: for zero-copy string views */
    struct roost_json_doc sub; /* private: nested JSON (Mastodon payload) */
};

void roost_norm_init(struct roost_norm *n);
void roost_norm_fini(struct roost_norm *n);
/* roost_norm_reset - drop all posts and control events. */
void roost_norm_reset(struct roost_norm *n);

/*
 * roost_format_detect - which wire format a parsed record is.
 * Returns ROOST_FMT_UNKNOWN for valid JSON of no known shape.
 */
enum roost_format roost_format_detect(const struct roost_json_doc *d);

/*
 * roost_norm_record - normalize one parsed record, appending its posts and
 * control events to n (call roost_norm_reset() between records unless
 * batching). `raw` is the record's bytes the doc was parsed from.
 *
 * Returns: 0; ROOST_EPARSE when the record is valid JSON but not a post or
 * control event of the requested format (diag says why); ROOST_ENOMEM or
 * ROOST_ELIMIT when the arena refused. On error nothing is appended.
 */
int roost_norm_record(struct roost_norm *n, const struct roost_json_doc *d,
                      const char *raw, size_t raw_len, enum roost_format fmt,
                      struct roost_diag *diag);

/*
 * roost_norm_event - normalize the data of one Server-Sent Event (the
 * Mastodon streaming API): "update" and "status.update" carry a status,
 * "delete" carries a post id; any other event becomes a ROOST_CTL_OTHER
 * control event whose code is the event name. An empty event name means
 * a plain record (roost_norm_record).
 */
int roost_norm_event(struct roost_norm *n, struct roost_str event,
                     const struct roost_json_doc *d, const char *raw,
                     size_t raw_len, enum roost_format fmt,
                     struct roost_diag *diag);

/*
 * roost_is_text_record - whether a record that is not JSON should be read
 * as a plain-text post (socket word counts): it does not start with '{',
 * '[' or '"', and it is valid UTF-8 without control characters but tab.
 */
bool roost_is_text_record(const char *p, size_t len);

/* roost_norm_text_line - a plain text line becomes a text-only post. */
int roost_norm_text_line(struct roost_norm *n, const char *line, size_t len,
                         uint64_t line_no);

/*
 * roost_post_write_json - append p as one JSON object (no newline) with the
 * stable field names of docs/post-model.md.
 */
int roost_post_write_json(const struct roost_post *p, struct roost_buf *out);
int roost_ctl_write_json(const struct roost_ctl *c, struct roost_buf *out);

const char *roost_format_name(enum roost_format f);
/* roost_format_parse - "auto", "v1", "v2", "jetstream", "mastodon",
 * "github". */
int roost_format_parse(const char *name, enum roost_format *out);
const char *roost_platform_name(enum roost_platform p);
const char *roost_ctl_kind_name(enum roost_ctl_kind k);

/* roost_time_parse - "Sun Jun 06 23:50:12 +0000 2021" or ISO 8601 to
 * epoch ms UTC. Returns 0 or ROOST_EPARSE. */
int roost_time_parse(const char *s, size_t len, int64_t *ms);
/* roost_time_format - ISO 8601 UTC with milliseconds, 24 chars + NUL. */
void roost_time_format(int64_t ms, char out[32]);

#endif /* ROOST_PARSE_POST_H */
