"""The report's text → rows of the tidy table: the layout (rows, repeated page headers, page numbers), each
row's cells and values, and the corrections from `data/corrections.csv` applied where a rule cannot decide.

The source is a PDF text extraction. What a rule can repair is repaired here (wrapped lines,
repeated page headers, tabs, a name running into the area text); a value the report does not give
stays empty (不明 is not 0) and what was printed instead goes to `value_notes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import SourceError
from .rules import Correction, Rules
from .table import COUNT_COLUMNS, format_cell, parse_cell, to_frame

STANDARD_LAYOUT = (*COUNT_COLUMNS, "own_funding")
ERA_BASE = {"平成": 1988, "令和": 2018}
FLAGS = {"有": True, "なし": False}
DASHES = {"－", "-", "―", "—"}

ERA_YEAR = r"(平成|令和)(元|[0-9]{1,2})年"
START_RE = re.compile(rf"{ERA_YEAR}(?:度|([0-9]{{1,2}})月)")
OPERATION_START_RE = re.compile(rf"運用開始は{ERA_YEAR}度")
NUMBER_RE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+")
DIGIT_RE = re.compile(r"[0-9０-９]")
PAGE_NUMBER_RE = re.compile(r"-\s*[0-9]+\s*-")
STATED_TOTAL_RE = re.compile(r"地連ＮＷ([0-9０-９]+)を対象")


@dataclass
class Slot:
    """One printed value cell after the start year: a number or what stands in its place."""

    printed: str
    value: int | None
    notes: list[str] = field(default_factory=list)


@dataclass
class Record:
    no: int
    pref_code: str
    pref_name: str
    lines: list[tuple[int, str]]  # the first line holds what follows the prefecture name

    @property
    def rest(self) -> str:
        return self.lines[0][1]


def read_source(path: Path) -> list[str]:
    """The source's lines; tabs (PDF column gaps inside a cell) are removed."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise SourceError(path, None, f"cannot read the source: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise SourceError(path, line, f"not UTF-8 text (byte {e.start}: {raw[e.start : e.start + 1]!r})") from None
    if not text.strip():
        raise SourceError(path, None, "the source is empty")
    return [line.replace("\t", "").strip() for line in text.replace("\r\n", "\n").split("\n")]


class Extractor:
    def __init__(self, source: Path, rules: Rules) -> None:
        self.source = source
        self.rules = rules
        self.used: set[Correction] = set()
        labels = "|".join(sorted((c.label_ja for c in rules.coverage.values()), key=len, reverse=True))
        self.symbol_re = re.compile(rf"([{''.join(rules.coverage)}])({labels})")

    def error(self, line: int | None, message: str, row: int | None = None, column: str | None = None) -> SourceError:
        return SourceError(self.source, line, message, row=row, column=column)

    def run(self) -> pd.DataFrame:
        lines = read_source(self.source)
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
            c = unused[0]
            raise SourceError(
                self.rules.corrections_path,
                c.line,
                f"correction for row {c.no}, column {c.column} matches nothing in the source "
                f"(printed {c.printed!r}); remove it or update it",
            )
        return to_frame([rows[n] for n in sorted(rows)], self.rules.columns)

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
            if PAGE_NUMBER_RE.fullmatch(text):
                i += 1
                continue
            m = row_re.fullmatch(text)
            if m:
                rec = self.start_record(m, i + 1, records)
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

    def start_record(self, m: re.Match, lineno: int, records: list[Record]) -> Record:
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
        return Record(no, code, pref, [(lineno, m[4] or "")])

    def check_total(self, lines: list[str], count: int) -> None:
        for i, text in enumerate(lines):
            m = STATED_TOTAL_RE.search(text)
            if m:
                stated = int(m[1].translate(str.maketrans("０１２３４５６７８９", "0123456789")))
                if stated != count:
                    raise self.error(
                        i + 1, f"the report says it surveyed {stated} networks, but its table has {count} rows"
                    )
                return

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
        start = START_RE.fullmatch(start_tok)
        if not start:
            raise self.error(start_line, f"start year not recognised: {start_tok!r}", row=rec.no, column="start_raw")
        pos += 1
        start_note = parenthesised()
        op = OPERATION_START_RE.search(start_note)

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
            if NUMBER_RE.fullmatch(tok):
                slots.append(Slot(tok, int(tok.replace(",", ""))))
            elif tok == "不明" or tok in DASHES:
                slots.append(Slot(tok, None, [tok]))
            elif DIGIT_RE.search(tok):
                raise self.error(ln, f"garbled number {tok!r}", row=rec.no)
            elif text_run:
                slots[-1].printed += tok
                slots[-1].notes[-1] += tok
                continue
            else:
                slots.append(Slot(tok, None, [tok]))
                text_run = True
                continue
            text_run = False

        printed = " ".join([s.printed for s in slots] + ([flag_printed] if flag_printed else []))
        layout = self.layout(rec, slots, flag is not None, printed, start_line)
        values: dict = {c: None for c in STANDARD_LAYOUT}
        notes = []
        for column, slot in zip([c for c in layout if c != "own_funding"], slots, strict=True):
            values[column] = slot.value
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
                        f"layout {c.value!r} does not fit the {wanted} printed values {printed!r}",
                        row=rec.no,
                    )
                self.used.add(c)
                return layout
        found = f"{len(slots)} value(s)" + ("" if has_flag else " and no 有/なし")
        raise self.error(
            line,
            f"expected 5 values and 有/なし after the start year, found {found}: {printed!r} "
            f"(if the report really prints this, declare a 'layout' row in {self.rules.corrections_path.name})",
            row=rec.no,
        )

    # --- corrections ------------------------------------------------------------------------

    def place_stray(self, rows: dict[int, dict], after_no: int, stray: list[tuple[int, str]]) -> None:
        """Text printed outside any row (e.g. a cell's note at the page foot) goes where a correction says."""
        text = "".join(t for _, t in stray)
        for c in self.rules.corrections:
            if c.column == "value_notes" and c.printed == text:
                row = rows[c.no]
                row["value_notes"] = " | ".join(filter(None, [row["value_notes"], c.value]))
                row["source_lines"] += "," + line_ranges([ln for ln, _ in stray])
                self.used.add(c)
                return
        raise self.error(
            stray[0][0],
            f"text after the end of row {after_no} belongs to no row: {text[:60]!r} "
            f"(if it is a row's note printed out of place, say so in {self.rules.corrections_path.name})",
            row=after_no,
        )

    def apply_cell_corrections(self, rows: dict[int, dict]) -> None:
        for c in self.rules.corrections:
            if c.column in ("layout", "value_notes") or c in self.used:
                continue
            row = rows.get(c.no)
            if row is None:
                raise SourceError(self.rules.corrections_path, c.line, f"no row {c.no} in the source")
            current = format_cell(row[c.column])
            if current != c.printed:
                raise SourceError(
                    self.rules.corrections_path,
                    c.line,
                    f"row {c.no}, column {c.column}: the source now reads {current!r}, the correction expects {c.printed!r}",
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
