"""The report's text → rows of the tidy table: the layout (rows, repeated page headers, page numbers), each
row's cells and values, and the corrections from `data/corrections.csv` applied where a rule cannot decide.

The source is a PDF text extraction. What a rule can repair is repaired here (wrapped lines,
repeated page headers, tabs, a name running into the area text); a value the report does not give
stays empty (不明 is not 0) and what was printed instead goes to `value_notes`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..config import InputLimits
from ..errors import SourceError
from ..reading import read_bounded
from .rules import Correction, Rules
from .table import COUNT_COLUMNS, MAXIMUM, format_cell, parse_cell, to_frame

STANDARD_LAYOUT = (*COUNT_COLUMNS, "own_funding")
ERA_BASE = {"平成": 1988, "令和": 2018}
FLAGS = {"有": True, "なし": False}
DASHES = {"－", "-", "―", "—"}

ERA_YEAR = r"(平成|令和)(元|[0-9]{1,2})年"
START_RE = re.compile(rf"{ERA_YEAR}(?:度|([0-9]{{1,2}})月)")
# The only note the report prints after a start year (row 109); any other note there is refused, so that a
# damaged 運用開始は is an error and not a dropped operation start year.
OPERATION_START_RE = re.compile(rf"（運用開始は{ERA_YEAR}度）")
NUMBER_RE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+")
PAGE_NUMBER_RE = re.compile(r"-\s*[0-9]+\s*-")
# The sentence stating how many networks were surveyed (「地連ＮＷ２１８を対象」); the count is checked apart.
STATED_TOTAL_RE = re.compile(r"地連ＮＷ(\S*?)を対象")


@dataclass
class Slot:
    """One printed value cell after the start year: a number (its digits) or what stands in its place."""

    line: int
    printed: str
    digits: str | None
    notes: list[str] = field(default_factory=list)


@lru_cache(maxsize=4096)
def _ascii_digit(c: str) -> str:
    n = unicodedata.normalize("NFKC", c)
    return n if (n == "," or (n in "0123456789" and unicodedata.category(c) == "Nd")) and len(n) == 1 else c


def ascii_digits(text: str) -> str:
    """`text` with each decimal digit or comma whose NFKC form is ASCII (full-width ２１８, １，４１６, mathematical 𝟐)
    as that ASCII character, one for one, so that positions stay; digits of other scripts (١٢, १२) and other
    number characters (①, ², Ⅻ) are left as printed."""
    return "".join(map(_ascii_digit, text))


def any_digits(text: str) -> str:
    """`text` with every decimal digit of any script as its ASCII digit: to recognise what a garbled number was."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def foreign_number(text: str) -> str | None:
    """The first character of a number in `text` that is not an ASCII digit after `ascii_digits` (a digit of
    another script, ①, Ⅻ), described for a message; None if there is none."""
    for c in text:
        if unicodedata.category(c)[0] == "N" and not c.isascii():
            return f"{c!r} ({unicodedata.name(c, f'U+{ord(c):04X}')})"
    return None


def shown(text: str, limit: int = 40) -> str:
    """`text` quoted for a message, cut to `limit` characters (a hostile token may be megabytes long)."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


@dataclass
class Record:
    no: int
    pref_code: str
    pref_name: str
    lines: list[tuple[int, str]]  # the first line holds what follows the prefecture name

    @property
    def rest(self) -> str:
        return self.lines[0][1]


def read_source(path: Path, limits: InputLimits) -> list[str]:
    """The source's lines; tabs (PDF column gaps inside a cell) are removed."""
    raw = read_bounded(path, limits)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise SourceError(path, line, f"not UTF-8 text (byte {e.start}: {raw[e.start : e.start + 1]!r})") from None
    if not text.strip():
        raise SourceError(path, None, "the source is empty")
    return [line.replace("\t", "").strip() for line in text.replace("\r\n", "\n").split("\n")]


class Extractor:
    """Reads one source; `expected` is the number of networks when the caller knows it (`--expected-networks`),
    checked like the total the report states and required when that sentence is missing."""

    def __init__(
        self, source: Path, rules: Rules, expected: int | None = None, limits: InputLimits | None = None
    ) -> None:
        self.source = source
        self.limits = limits or InputLimits()
        self.rules = rules
        self.expected = expected
        self.used: set[Correction] = set()
        self.values_line: dict[int, tuple[int, str]] = {}  # row → (line, what it prints after the start year)
        labels = "|".join(sorted((c.label_ja for c in rules.coverage.values()), key=len, reverse=True))
        self.symbol_re = re.compile(rf"([{''.join(rules.coverage)}])({labels})")

    def error(self, line: int | None, message: str, row: int | None = None, column: str | None = None) -> SourceError:
        return SourceError(self.source, line, message, row=row, column=column)

    def run(self) -> pd.DataFrame:
        lines = read_source(self.source, self.limits)
        records = self.split_records(lines)
        rows: dict[int, dict] = {}
        strays: list[tuple[int, list[tuple[int, str]]]] = []
        for rec in records:
            row, stray = self.parse_record(rec)
            rows[rec.no] = row
            if stray:
                strays.append((rec.no, stray))
        for after_no, stray in strays:
            self.place_stray(rows, after_no, stray)
        self.apply_cell_corrections(rows)
        self.check_total(lines, len(rows))
        unused = [c for c in self.rules.corrections if c not in self.used]
        if unused:
            raise self.stale(unused[0], rows)
        return to_frame([rows[n] for n in sorted(rows)], self.rules.columns)

    def stale(self, c: Correction, rows: dict[int, dict]) -> SourceError:
        """A correction that matches nothing: named by its line and by what the source now prints there."""
        if c.no not in rows:
            now = "the source has no such row"
        elif c.column == "layout":
            line, printed = self.values_line[c.no]
            now = f"source line {line} prints {shown(printed, 80)} after the start year"
        else:
            now = f"its text is printed nowhere (row {c.no} is source lines {rows[c.no]['source_lines']})"
        return SourceError(
            self.rules.corrections_path,
            c.line,
            f"correction for row {c.no}, column {c.column} no longer applies: {now}; it expects "
            f"{shown(c.printed, 80)} (remove or update the correction)",
        )

    # --- layout: rows, page headers, page numbers -------------------------------------------

    def split_records(self, lines: list[str]) -> list[Record]:
        fragments = {f[0]: f for f in self.rules.page_header}
        start = next((i for i, text in enumerate(lines) if text in fragments), None)
        if start is None:
            raise self.error(None, f"no table found: no column header ({' / '.join(fragments)}) occurs")
        pref_alt = "|".join(sorted(map(re.escape, self.rules.prefectures.values()), key=len, reverse=True))
        row_re = re.compile(rf"([0-9]{{1,3}}) ([0-9]{{1,2}})({pref_alt})(?:\s+(.*))?")
        records: list[Record] = []
        i = start
        while i < len(lines):
            text = lines[i]
            if text in fragments:
                i = self.skip_header(lines, i, fragments[text])
                continue
            if PAGE_NUMBER_RE.fullmatch(ascii_digits(text)):
                i += 1
                continue
            m = row_re.fullmatch(ascii_digits(text))
            if not m and row_re.fullmatch(any_digits(text)):
                raise self.error(
                    i + 1,
                    f"garbled row number in {shown(text)}: {foreign_number(text)} is not a digit of the report's scripts",
                )
            if m:
                rec = self.start_record(m, text[m.start(4) :] if m[4] else "", i + 1, records)
                records.append(rec)
            elif records:
                records[-1].lines.append((i + 1, text))
            elif text:
                raise self.error(i + 1, f"text before the first table row: {text!r}")
            i += 1
        if not records:
            raise self.error(start + 1, "the table has no rows")
        return records

    def skip_header(self, lines: list[str], i: int, fragment: tuple[str, ...]) -> int:
        """Skip one printed fragment of the repeated column header; return the next index."""
        first, k = i, 0
        while k < len(fragment):
            if i < len(lines) and not lines[i]:
                i += 1
            elif i < len(lines) and lines[i] == fragment[k]:
                i, k = i + 1, k + 1
            else:
                found = lines[i] if i < len(lines) else "the end of the file"
                raise self.error(
                    i + 1,
                    f"page header starting at line {first + 1} breaks off: expected {fragment[k]!r}, found {found!r}",
                )
        return i

    def start_record(self, m: re.Match, rest: str, lineno: int, records: list[Record]) -> Record:
        """`m` matched the row's first line with its digits as ASCII; `rest` is what follows, as printed."""
        no, code, pref = int(m[1]), m[2].zfill(2), m[3]
        if self.rules.prefectures.get(code) != pref:
            raise self.error(lineno, f"prefecture code {m[2]} does not belong to {pref}", row=no, column="pref_code")
        prev = records[-1] if records else None
        expected = prev.no + 1 if prev else 1
        if no != expected:
            what = f"row {expected} is missing" if no > expected else f"row number {no} repeats or goes back"
            after = f" after row {prev.no}" if prev else ""
            raise self.error(lineno, f"{what}: found row {no}{after}", row=no)
        if prev and code < prev.pref_code:
            raise self.error(
                lineno, f"prefecture {code} comes after {prev.pref_code}; rows are ordered by prefecture", row=no
            )
        return Record(no, code, pref, [(lineno, rest)])

    def check_total(self, lines: list[str], count: int) -> None:
        """The row count must equal the total the report states and the one given as `expected`; without
        either, a row lost at the end of the table could not be told from a row never printed."""
        stated: list[tuple[int, int]] = []  # (line, total)
        for i, text in enumerate(lines):
            for m in STATED_TOTAL_RE.finditer(text):
                digits = ascii_digits(m[1])
                if not re.fullmatch(r"[0-9]{1,6}", digits):
                    foreign = foreign_number(digits)
                    why = f": {foreign} is not a digit of the report's scripts" if foreign else ""
                    raise self.error(i + 1, f"garbled number {shown(m[1])} in the stated total {shown(m[0])}{why}")
                stated.append((i + 1, int(digits)))
        for line, total in stated[1:]:
            if total != stated[0][1]:
                raise self.error(
                    line, f"the report states two totals: {stated[0][1]} networks (line {stated[0][0]}) and {total}"
                )
        if stated and self.expected is not None and stated[0][1] != self.expected:
            raise self.error(
                stated[0][0],
                f"the report says it surveyed {stated[0][1]} networks, but --expected-networks says {self.expected}",
            )
        if stated:
            line, total = stated[0]
            if total != count:
                raise self.error(line, f"the report says it surveyed {total} networks, but its table has {count} rows")
        elif self.expected is None:
            raise self.error(
                None,
                "the sentence stating how many networks were surveyed (「地連ＮＷ２１８を対象」) is missing or damaged, "
                f"so the table's {count} rows cannot be checked for rows lost; give the total with --expected-networks N",
            )
        elif self.expected != count:
            raise self.error(None, f"--expected-networks says {self.expected} networks, but the table has {count} rows")

    # --- one row ------------------------------------------------------------------------

    def parse_record(self, rec: Record) -> tuple[dict, list[tuple[int, str]]]:
        found = next(((i, ln, t, m) for i, (ln, t) in enumerate(rec.lines) if (m := self.symbol_re.search(t))), None)
        if found is None:
            raise self.error(
                rec.lines[0][0],
                f"no coverage-type symbol found: expected one of {' '.join(self.rules.coverage)} followed by its type "
                f"(lines {rec.lines[0][0]}–{rec.lines[-1][0]})",
                row=rec.no,
                column="area_type",
            )
        idx, lineno, text, m = found
        coverage = self.rules.coverage[m[1]]
        if coverage.label_ja != m[2]:
            raise self.error(
                lineno, f"symbol {m[1]} stands for {coverage.label_ja}, not {m[2]}", row=rec.no, column="area_type"
            )
        name, area = self.name_and_area(rec, idx, text[: m.start()].strip())
        post = [(lineno, text[m.end() :]), *rec.lines[idx + 1 :]]
        tail, stray = self.parse_tail(rec, post)
        stray_lines = {ln for ln, _ in stray}
        last = max(ln for ln, t in rec.lines if (t or ln == rec.lines[0][0]) and ln not in stray_lines)
        used_lines = [ln for ln, _ in rec.lines if ln <= last]
        row = {
            "no": rec.no,
            "pref_code": rec.pref_code,
            "pref_name": rec.pref_name,
            "name": name,
            "area_text": area,
            "area_type": coverage.area_type,
            "area_type_raw": m[0] + tail.pop("type_note"),
            "source_lines": line_ranges(used_lines),
            **tail,
        }
        return row, stray

    def name_and_area(self, rec: Record, idx: int, before_symbol: str) -> tuple[str, str]:
        first_line = rec.lines[0][0]
        if idx == 0:
            return self.split_single_line(rec, before_symbol)
        blocks = blocks_of([t for _, t in rec.lines[1:idx]])
        if rec.rest:
            name = rec.rest
        elif blocks:
            name = join_cell(blocks.pop(0))
        else:
            raise self.error(first_line, "no network name found", row=rec.no, column="name")
        if before_symbol:
            blocks.append([before_symbol])
        if len(blocks) != 1:
            raise self.error(
                first_line,
                f"cannot tell the coverage area: expected one block of text before the type symbol, found {len(blocks)}",
                row=rec.no,
                column="area_text",
            )
        return name, join_cell(blocks[0])

    def split_single_line(self, rec: Record, text: str) -> tuple[str, str]:
        """Name and area printed on one line: the area is the last space-separated part, unless
        the name runs into it (no space), which the split at a known area name repairs."""
        name, _, area = text.rpartition(" ")
        cut = self.run_in_cut(area, rec.pref_code)
        if cut:
            name, area = f"{name} {area[:cut]}".strip(), area[cut:]
        if not name or not area:
            raise self.error(
                rec.lines[0][0],
                f"cannot separate the network name from the area text in {text!r}",
                row=rec.no,
                column="name",
            )
        return name, area

    def run_in_cut(self, text: str, pref_code: str) -> int:
        """Where a name ending (協議会, システム, ）) is directly followed by an area name of the prefecture."""
        names = self.rules.area_names[pref_code]
        cuts = [
            m.end()
            for ending in self.rules.name_endings
            for m in re.finditer(re.escape(ending), text)
            if any(text.startswith(n, m.end()) for n in names)
        ]
        return min(cuts, default=0)

    def parse_tail(self, rec: Record, post: list[tuple[int, str]]) -> tuple[dict, list[tuple[int, str]]]:
        """Type note, start year, the five value cells and 有/なし; text after 有/なし is returned as stray."""
        tokens = [(ln, tok) for ln, text in post for tok in text.split()]
        pos = 0

        def parenthesised() -> str:
            nonlocal pos
            if pos >= len(tokens) or not tokens[pos][1].startswith("（"):
                return ""
            parts = []
            while pos < len(tokens):
                parts.append(tokens[pos][1])
                pos += 1
                if parts[-1].endswith("）"):
                    return "".join(parts)
            raise self.error(tokens[-1][0], f"unclosed parenthesis: {''.join(parts)!r}", row=rec.no)

        type_note = parenthesised()
        if pos >= len(tokens):
            raise self.error(post[-1][0], "the row ends before its start year", row=rec.no, column="start_raw")
        start_line, start_tok = tokens[pos]
        start = START_RE.fullmatch(ascii_digits(start_tok))
        if not start or (start[3] and not 1 <= int(start[3]) <= 12):
            foreign = foreign_number(start_tok)
            why = f" ({foreign} is not a digit of the report's scripts)" if foreign else ""
            raise self.error(
                start_line, f"start year not recognised: {shown(start_tok)}{why}", row=rec.no, column="start_raw"
            )
        pos += 1
        note_line = tokens[pos][0] if pos < len(tokens) else start_line
        start_note = parenthesised()
        op = OPERATION_START_RE.fullmatch(ascii_digits(start_note))
        if start_note and not op:
            raise self.error(
                note_line,
                f"note after the start year not recognised: {shown(start_note)}; the only one the report prints "
                "is （運用開始は平成N年度） (the operation start year)",
                row=rec.no,
                column="operation_start_fiscal_year",
            )

        slots: list[Slot] = []
        flag: bool | None = None
        flag_printed = ""
        stray: list[tuple[int, str]] = []
        text_run = False
        while pos < len(tokens):
            ln, tok = tokens[pos]
            if tok.startswith("（"):
                note = parenthesised()
                if not slots:
                    raise self.error(ln, f"note {note!r} before any value", row=rec.no)
                slots[-1].notes.append(note)
                slots[-1].printed += " " + note
                text_run = False
                continue
            pos += 1
            if tok in FLAGS:
                flag, flag_printed = FLAGS[tok], tok
                stray = [(ln, t) for ln, t in post if ln > tokens[pos - 1][0] and t]
                stray_tokens = tokens[pos:]
                if stray_tokens and stray_tokens[0][0] == ln:
                    raise self.error(ln, f"unexpected text after {tok}: {stray_tokens[0][1]!r}", row=rec.no)
                break
            number = ascii_digits(tok)
            if NUMBER_RE.fullmatch(number):
                slots.append(Slot(ln, tok, number.replace(",", "")))
            elif tok == "不明" or tok in DASHES:
                slots.append(Slot(ln, tok, None, [tok]))
            elif any(unicodedata.category(c)[0] == "N" for c in number) or (tok.isascii() and not text_run):
                # Text in place of a number is Japanese (不明, a sentence): 'O' or 'l' is a misread digit.
                foreign = foreign_number(number)
                why = f": {foreign} is not a digit of the report's scripts" if foreign else ""
                raise self.error(ln, f"garbled number {shown(tok)}{why}", row=rec.no)
            elif text_run:
                slots[-1].printed += tok
                slots[-1].notes[-1] += tok
                continue
            else:
                slots.append(Slot(ln, tok, None, [tok]))
                text_run = True
                continue
            text_run = False

        printed = " ".join([s.printed for s in slots] + ([flag_printed] if flag_printed else []))
        self.values_line[rec.no] = (start_line, printed)
        layout = self.layout(rec, slots, flag is not None, printed, start_line)
        values: dict = {c: None for c in STANDARD_LAYOUT}
        notes = []
        for column, slot in zip([c for c in layout if c != "own_funding"], slots, strict=True):
            values[column] = self.count(rec, column, slot)
            notes += [f"{column}: {n}" for n in slot.notes]
        if "own_funding" in layout:
            values["own_funding"] = flag
        return {
            "type_note": type_note,
            "start_fiscal_year": fiscal_year(start),
            "start_raw": start_tok + start_note,
            "operation_start_fiscal_year": fiscal_year(op) if op else None,
            **values,
            "value_notes": " | ".join(notes),
        }, stray

    def count(self, rec: Record, column: str, slot: Slot) -> int | None:
        """The slot's number as `column`'s value; one larger than the column can hold (table.MAXIMUM) is refused."""
        if slot.digits is None:
            return None
        maximum, digits = MAXIMUM[column], slot.digits.lstrip("0") or "0"
        if len(digits) > len(str(maximum)) or int(digits) > maximum:
            raise self.error(
                slot.line,
                f"number {shown(slot.printed)} is out of range: {column} is at most {maximum:,}",
                row=rec.no,
                column=column,
            )
        return int(digits)

    def layout(self, rec: Record, slots: list[Slot], has_flag: bool, printed: str, line: int) -> list[str]:
        """Which columns the printed values fill: the standard five and 有/なし, or a declared layout."""
        if len(slots) == len(COUNT_COLUMNS) and has_flag:
            return list(STANDARD_LAYOUT)
        for c in self.rules.corrections:
            if c.no == rec.no and c.column == "layout" and c.printed == printed:
                layout = c.value.split()
                wanted = len(slots) + (1 if has_flag else 0)
                if (
                    len(layout) != wanted
                    or not set(layout) <= set(STANDARD_LAYOUT)
                    or (has_flag != ("own_funding" in layout))
                ):
                    raise SourceError(
                        self.rules.corrections_path,
                        c.line,
                        f"layout {c.value!r} does not fit the {wanted} printed values {shown(printed, 80)}",
                        row=rec.no,
                    )
                self.used.add(c)
                return layout
        found = f"{len(slots)} value(s)" + ("" if has_flag else " and no 有/なし")
        declared = [c for c in self.rules.corrections if c.no == rec.no and c.column == "layout"]
        hint = (
            f"the layout declared at {self.rules.corrections_path.name}:{declared[0].line} expects "
            f"{shown(declared[0].printed, 80)}"
            if declared
            else f"if the report really prints this, declare a 'layout' row in {self.rules.corrections_path.name}"
        )
        raise self.error(
            line,
            f"expected 5 values and 有/なし after the start year, found {found}: {shown(printed, 80)} ({hint})",
            row=rec.no,
        )

    # --- corrections ------------------------------------------------------------------------

    def place_stray(self, rows: dict[int, dict], after_no: int, stray: list[tuple[int, str]]) -> None:
        """Text printed outside any row (e.g. a cell's note at the page foot) goes where a correction says."""
        text = "".join(t for _, t in stray)
        for c in self.rules.corrections:
            if c.column == "value_notes" and c.printed == text and c.no in rows:
                row = rows[c.no]
                row["value_notes"] = " | ".join(filter(None, [row["value_notes"], c.value]))
                row["source_lines"] += "," + line_ranges([ln for ln, _ in stray])
                self.used.add(c)
                return
        waiting = [c for c in self.rules.corrections if c.column == "value_notes" and c not in self.used]
        hint = (
            f"the note for row {waiting[0].no} declared at {self.rules.corrections_path.name}:{waiting[0].line} "
            f"expects {shown(waiting[0].printed)}"
            if waiting
            else f"if it is a row's note printed out of place, say so in {self.rules.corrections_path.name}"
        )
        raise self.error(
            stray[0][0],
            f"text after the end of row {after_no} belongs to no row: {shown(text, 60)} ({hint})",
            row=after_no,
        )

    def apply_cell_corrections(self, rows: dict[int, dict]) -> None:
        for c in self.rules.corrections:
            if c.column in ("layout", "value_notes") or c in self.used:
                continue
            row = rows.get(c.no)
            if row is None:
                raise self.stale(c, rows)
            current = format_cell(row[c.column])
            if current != c.printed:
                raise SourceError(
                    self.rules.corrections_path,
                    c.line,
                    f"correction for row {c.no}, column {c.column} no longer applies: source lines "
                    f"{row['source_lines']} now read {shown(current, 80)}, the correction expects {shown(c.printed, 80)}",
                )
            row[c.column] = parse_cell(c.column, c.value)
            self.used.add(c)


def fiscal_year(m: re.Match) -> int:
    """Gregorian year in which the fiscal year (April–March) starts; a month gives its fiscal year."""
    era, year, month = m[1], m[2], m[3] if m.re.groups >= 3 else None
    calendar = ERA_BASE[era] + (1 if year == "元" else int(year))
    return calendar - 1 if month and int(month) < 4 else calendar


def join_cell(lines: list[str]) -> str:
    """Join a cell's lines: PDF wraps join directly; one area per line (…医療圏) joins with a space."""
    out = lines[0]
    for nxt in lines[1:]:
        out += (" " if out.endswith("医療圏") else "") + nxt
    return out


def blocks_of(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for t in lines:
        if t:
            blocks[-1].append(t)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def line_ranges(numbers: list[int]) -> str:
    ranges: list[list[int]] = []
    for n in sorted(numbers):
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    return ",".join(f"{a}-{b}" for a, b in ranges)
