"""Mutated copies of the report text, for fuzzing the extractor (tests/test_extract_fuzz.py and
benchmarks/fuzz_extract.py), and the oracle they are judged by: the total the text states.

A mutation is drawn from a `random.Random`, so that Hypothesis (`st.randoms()`) and the benchmark's seeded loop
draw the same kinds: lines deleted, duplicated or swapped, a digit changed (also to a digit of another script),
characters inserted (other-script digits, the symbols and words the extractor keys on, spaces, invalid UTF-8,
any character), a number made huge, characters deleted, the text truncated. Half of the picks fall on the lines
that matter most: table rows and the lines the extractor keys on.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable

# Digits of the report's scripts and of others: full-width and mathematical ones are read via NFKC, the rest
# (Arabic-Indic, Extended Arabic-Indic, Devanagari, Bengali, Thai, superscript, circled) must be refused.
DIGITS = "0123456789０１２３４５６７８９٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९০১২৩৪৫৬৭৮৯๐๑๒๓๔๕๖๗๘๙𝟎𝟏𝟐𝟗²³①⑩Ⅻ"
# What the extractor keys on, and characters that look like nothing.
KEYS = ["◎", "○", "△", "▲", "□", "（", "）", "有", "なし", "不明", "－", ",", "，", "年度", "平成", "令和", "月", "-"]
SPACES = [" ", "\u3000", "\u00a0", "\t", "\u200b", "\r", "\u2028", "\ufeff", "\u0301"]
INVALID_UTF8 = "\udcff"  # written with errors="surrogateescape": the byte 0xFF
# Numbers beyond every column's maximum: past 2**53 (floats), int64, uint64, and past Python's 4,300-digit limit.
HUGE = [str(n) for n in (2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64 + 5, 10**30)] + ["9" * 5000]
ANCHORS = ("地連ＮＷ", "運用開始は", "を対象", "医療圏", "都道府県全域", "二次医療圏", "市町村単位", "その他", "- ")
ROW_START = re.compile(r"[0-9]{1,3} [0-9]{1,2}\S")


def stated_total(text: str) -> int | str | None:
    """The total of 「地連ＮＷ２１８を対象」 as an oracle independent of the extractor reads it: the number when
    every statement of it gives one and the same number in the report's digits (ASCII or NFKC-equivalent);
    "refuse" when a statement's number is in other digits or two statements differ; None when there is none."""
    totals = set()
    for m in re.finditer(r"地連ＮＷ(\S*?)を対象", text.replace("\t", "")):
        digits = unicodedata.normalize("NFKC", m[1])
        if not re.fullmatch(r"[0-9]{1,6}", digits) or not all(
            unicodedata.normalize("NFKC", c) in "0123456789" for c in m[1]
        ):
            return "refuse"
        totals.add(int(digits))
    if len(totals) > 1:
        return "refuse"
    return totals.pop() if totals else None


def numbers_in_notes(notes: list[str]) -> list[str]:
    """Value notes that hold a digit of any script: a number the extractor kept as text instead of reading it."""
    return [n for n in notes if any(unicodedata.category(c) == "Nd" for c in n)]


def _pick_line(rnd: random.Random, lines: list[str]) -> int:
    """A line index; half the time one of the table's rows or of the lines the extractor keys on."""
    if rnd.random() < 0.5:
        key = [i for i, t in enumerate(lines) if ROW_START.match(t) or any(a in t for a in ANCHORS)]
        if key:
            return rnd.choice(key)
    return rnd.randrange(len(lines))


def _pos(rnd: random.Random, text: str) -> int:
    return rnd.randint(0, len(text))


def delete_line(rnd: random.Random, lines: list[str]) -> str:
    i = _pick_line(rnd, lines)
    del lines[i]
    return f"delete line {i + 1}"


def duplicate_line(rnd: random.Random, lines: list[str]) -> str:
    i = _pick_line(rnd, lines)
    lines.insert(i, lines[i])
    return f"duplicate line {i + 1}"


def swap_lines(rnd: random.Random, lines: list[str]) -> str:
    i = _pick_line(rnd, lines)
    j = min(i + rnd.choice([1, 2]), len(lines) - 1) if rnd.random() < 0.7 else rnd.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return f"swap lines {i + 1} and {j + 1}"


def change_digit(rnd: random.Random, lines: list[str]) -> str:
    candidates = [i for i, t in enumerate(lines) if re.search(r"[0-9０-９]", t)]
    i = rnd.choice(candidates) if candidates else _pick_line(rnd, lines)
    spots = [k for k, c in enumerate(lines[i]) if c in "0123456789０１２３４５６７８９"] or [0]
    k, new = rnd.choice(spots), rnd.choice(DIGITS)
    lines[i] = lines[i][:k] + new + lines[i][k + 1 :]
    return f"line {i + 1}: character {k + 1} → {new!r}"


def insert_chars(rnd: random.Random, lines: list[str]) -> str:
    i = _pick_line(rnd, lines)
    kind = rnd.random()
    if kind < 0.3:
        new = "".join(rnd.choice(DIGITS) for _ in range(rnd.randint(1, 3)))
    elif kind < 0.55:
        new = rnd.choice(KEYS)
    elif kind < 0.75:
        new = rnd.choice(SPACES)
    elif kind < 0.8:
        new = INVALID_UTF8
    else:
        new = "".join(chr(rnd.choice([rnd.randint(0x21, 0xD7FF), rnd.randint(0xE000, 0x2FFFF)])) for _ in range(2))
    k = _pos(rnd, lines[i])
    lines[i] = lines[i][:k] + new + lines[i][k:]
    return f"line {i + 1}: insert {new!r} at character {k + 1}"


def huge_number(rnd: random.Random, lines: list[str]) -> str:
    candidates = [i for i, t in enumerate(lines) if ROW_START.match(t) or re.fullmatch(r"[0-9, ]+(有|なし)?", t)]
    i = rnd.choice(candidates) if candidates else _pick_line(rnd, lines)
    numbers = list(re.finditer(r"(?<=\s)[0-9][0-9,]*(?=\s|$)", lines[i]))
    new = rnd.choice(HUGE)
    if rnd.random() < 0.5:  # with thousands separators
        new = ",".join(new[max(k - 3, 0) : k] for k in range(len(new) % 3 or 3, len(new) + 1, 3))
    if numbers:
        m = rnd.choice(numbers)
        lines[i] = lines[i][: m.start()] + new + lines[i][m.end() :]
    else:
        lines[i] += " " + new
    return f"line {i + 1}: a number → {new[:30]}{'…' if len(new) > 30 else ''}"


def delete_chars(rnd: random.Random, lines: list[str]) -> str:
    i = _pick_line(rnd, lines)
    k = rnd.randrange(max(len(lines[i]), 1))
    n = rnd.randint(1, 4)
    old = lines[i][k : k + n]
    lines[i] = lines[i][:k] + lines[i][k + n :]
    return f"line {i + 1}: delete {old!r} at character {k + 1}"


def damage_anchor(rnd: random.Random, lines: list[str]) -> str:
    """One character of a phrase the extractor keys on (地連ＮＷ…を対象, 運用開始は, a coverage type) deleted or replaced."""
    spots = [(i, t.index(a), a) for i, t in enumerate(lines) for a in ANCHORS if a in t]
    if not spots:
        return delete_chars(rnd, lines)
    i, k, anchor = rnd.choice(spots)
    k += rnd.randrange(len(anchor))
    new = rnd.choice(["", "・", "の", " ", rnd.choice(DIGITS)])
    lines[i] = lines[i][:k] + new + lines[i][k + 1 :]
    return f"line {i + 1}: {anchor!r} damaged: character {k + 1} → {new!r}"


def truncate(rnd: random.Random, lines: list[str]) -> str:
    i = rnd.randrange(len(lines))
    k = _pos(rnd, lines[i])
    del lines[i + 1 :]
    lines[i] = lines[i][:k]
    return f"truncate at line {i + 1}, character {k + 1}"


MUTATIONS: list[Callable[[random.Random, list[str]], str]] = [
    delete_line,
    duplicate_line,
    swap_lines,
    change_digit,
    insert_chars,
    huge_number,
    delete_chars,
    damage_anchor,
    truncate,
]


def mutate(text: str, rnd: random.Random, max_mutations: int = 3) -> tuple[str, list[str]]:
    """`text` with 1 to `max_mutations` mutations (truncation rarer than the others), and what each did."""
    lines = text.split("\n")
    done = []
    for _ in range(rnd.randint(1, max_mutations)):
        if not lines:
            break
        weights = [1 if m is truncate else 4 for m in MUTATIONS]
        mutation = rnd.choices(MUTATIONS, weights)[0]
        done.append(mutation(rnd, lines))
    return "\n".join(lines), done


def to_bytes(text: str) -> bytes:
    """The text as the file's bytes; INVALID_UTF8 becomes a byte that is not UTF-8."""
    return text.encode("utf-8", "surrogateescape")
