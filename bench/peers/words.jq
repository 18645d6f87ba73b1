# SPDX-License-Identifier: MIT
#
# words.jq - roost's word rule (src/parse/tokenize.c) for bench/run's jq
# T3 peer; top.py tells the rule in full. bench/run prepends this file to
# a filter that selects each post's text and pipes it to `words`.
# Oniguruma takes the same pattern as the other peers; roost_fold_cp is
# written out (ascii_downcase folds ASCII only), and so is roost's
# 256-byte word buffer (cut: a code point is kept while at most 252 bytes
# precede it).
def fold_cp:
  if . < 128 then (if . >= 65 and . <= 90 then . + 32 else . end)
  elif . >= 192 and . <= 222 and . != 215 then . + 32
  elif . >= 256 and . <= 383 then
    (if (. >= 313 and . <= 328) or (. >= 377 and . <= 382) then (if . % 2 == 1 then . + 1 else . end)
     elif . == 376 then 255
     elif . == 304 or . == 305 or . == 312 or . == 329 or . == 383 then .
     elif . % 2 == 1 then . else . + 1 end)
  elif . >= 913 and . <= 939 and . != 930 then . + 32
  elif . >= 1040 and . <= 1071 then . + 32
  elif . >= 1024 and . <= 1039 then . + 80
  elif . == 8217 then 39
  else . end;
def cut:
  reduce explode[] as $c ({n: 0, o: []};
    if .n > 252 then .
    else .o += [$c] | .n += (if $c < 128 then 1 elif $c < 2048 then 2 elif $c < 65536 then 3 else 4 end) end)
  | .o | implode;
def fold:
  if test("^[\\x00-\\x7f]*$") then ascii_downcase
  else explode | map(fold_cp) | implode | if utf8bytelength > 252 then cut else . end end;
# the separators, as a character-class body
def sep: "\\x00-\\x2f\\x3a-\\x40\\x5b-\\x5e\\x60\\x7b-\\x7f\\x{a0}-\\x{a9}\\x{ab}-\\x{b4}\\x{b6}-\\x{b9}\\x{bb}-\\x{bf}\\x{d7}\\x{f7}\\x{2000}-\\x{206f}\\x{3000}-\\x{303f}\\x{ff00}-\\x{ff0f}\\x{ff1a}-\\x{ff20}\\x{feff}\\x{1f000}-\\x{1faff}\\x{2190}-\\x{2bff}\\x{fe00}-\\x{fe0f}";
def words:
  (if test("&") then gsub("&lt;"; "<") | gsub("&gt;"; ">") | gsub("&amp;"; "&") else . end)
  | scan("https?://(?:[^ \\n\\t\\r]+|[ \\n\\t\\r])|(?:@[A-Za-z0-9_]*)+"
         + "|([^\(sep)]+(?:['\\x{2019}][^\(sep)]+)*)@?")
  | .[0] // empty | fold;
