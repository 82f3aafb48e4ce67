"""link: which municipalities and 2020 secondary medical areas a coverage area's printed text names.

Link discovery, not mapping: the result is a table (`data/area_links.csv` in the build) that the
declarative mappings publish. It never guesses. The text is read left to right; each part must
match exactly one known name of the network's prefecture (a secondary medical area, with or without
医療圏 / 保健医療圏 / 圏域 …, a municipality or ward, a Hokkaido tertiary medical area or a district (郡),
which stand for their members, or a phrase naming the whole prefecture or all of its areas), or it stays
unresolved and the area keeps only its printed label. The coverage type decides which kind wins when a name is
both (大阪市).

For the report's own rows two curated tables in data/link/ say what no rule can, each row with its reason and
checked against the printed text: an alias for a misprinted name (高播 is 高幡), and why a part that stays
unresolved cannot be linked (a reason concept of the ontology's rld:UnresolvedAreaReasons).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from .config import Paths
from .errors import RyoikiError, SourceError
from .extract import checked_rows, csv_rows, row_number, rule_lines
from .mapping import load_rdf
from .rdf import SKOS, rld

SEPARATORS = "、，,・ 　－と"
PREFERRED_KIND = {"secondary_medical_area": "secondary_medical_area", "prefecture": "secondary_medical_area"}
REASON_SCHEME = rld("UnresolvedAreaReasons")


@dataclass(frozen=True)
class Entity:
    kind: str  # prefecture | secondary_medical_area | municipality
    code: str
    name: str


# What a name stands for: one entity, or every member of a group (道北 → its five secondary medical areas).
Meaning = tuple[Entity, ...]


@dataclass(frozen=True)
class Resolution:
    links: tuple[tuple[Entity, str], ...]  # (entity, the text that named it)
    unresolved: tuple[str, ...]

    @property
    def status(self) -> str:
        if self.links and not self.unresolved:
            return "resolved"
        return "partial" if self.links else "unresolved"


@dataclass(frozen=True)
class Alias:
    """A row of data/link/area_aliases.csv: in row `no`, the printed `printed` stands for the known `name`."""

    no: int
    printed: str
    name: str
    line: int


@dataclass(frozen=True)
class Explanation:
    """A row of data/link/unresolved_areas.csv: why `printed` in row `no` links to nothing (`reason`, the local
    name of a concept of rld:UnresolvedAreaReasons)."""

    no: int
    printed: str
    reason: str
    line: int

    def explains(self, part: str) -> bool:
        """An unresolved part is explained by the row whose printed text holds it, or that it holds: markup or an
        edit around the printed text makes the part longer (the hostile build of tests/conftest.py adds HTML to
        row 1's area, and its reason must still apply)."""
        return part in self.printed or self.printed in part


@dataclass(frozen=True)
class Curation:
    """The curated rows for the report's own rows (data/link/): aliases and the reasons why parts stay unresolved."""

    aliases: tuple[Alias, ...]
    explanations: tuple[Explanation, ...]
    aliases_path: Path
    explanations_path: Path


class Linked(NamedTuple):
    links: pd.DataFrame  # no, kind, code, matched_text: one row per link (build/data/area_links.csv)
    statuses: pd.DataFrame  # no, area_type, status, unresolved_text, reason (one per unresolved part): per network
    unresolved: pd.DataFrame  # no, text, reason: one row per unresolved part (the mappings publish it)


class Gazetteer:
    """Names of the secondary medical areas, municipalities and groups of them of each prefecture."""

    def __init__(self, paths: Paths) -> None:
        self.names: dict[str, dict[str, set[Meaning]]] = defaultdict(lambda: defaultdict(set))
        self.wards: dict[str, dict[str, Entity]] = defaultdict(dict)  # city code → ward suffix → ward
        self.pref_names: dict[str, str] = {}
        self.areas: dict[str, list[Entity]] = defaultdict(list)  # prefecture → its secondary medical areas
        self.after_names = tuple(sorted((t for _, t in rule_lines(paths.after_names)), key=len, reverse=True))
        self.all_areas_phrases = [
            _count_pattern(paths.all_areas_phrases, line, phrase)
            for line, phrase in rule_lines(paths.all_areas_phrases)
        ]
        self.areas_path = paths.secondary_medical_areas
        whole = [phrase for _, phrase in rule_lines(paths.whole_prefecture_phrases)]
        for r in csv_rows(paths.prefectures):
            code, name = r["pref_code"], r["name_ja"]
            self.pref_names[code] = name
            for phrase in whole:
                self.names[code][fold(phrase.replace("{pref}", name))].add((Entity("prefecture", code, name),))
        areas = {}
        for r in csv_rows(paths.secondary_medical_areas):
            area = areas[r["area_code"]] = Entity("secondary_medical_area", r["area_code"], r["area_name"])
            self.names[r["pref_code"]][fold(r["area_name"])].add((area,))
            self.areas[r["pref_code"]].append(area)
        cities, municipalities = {}, {}
        for r in csv_rows(paths.municipalities):
            entity = municipalities[r["muni_code"]] = Entity("municipality", r["muni_code"], r["name"])
            self.names[r["pref_code"]][fold(r["name"])].add((entity,))
            if r["type"] == "designated_city":
                cities[r["muni_code"]] = r["name"]
            if r["type"] == "designated_city_ward":
                city = r["parent_designated_city_code"]
                self.wards[city][r["name"][len(cities.get(city, "")) :]] = entity
        tertiary = ("tertiary_area_name", "secondary_medical_area_code_2020", "secondary_medical_area_name")
        self._add_groups(paths.hokkaido_tertiary_areas, tertiary, tertiary, areas)
        districts = ("pref_code", "pref_name", "district_name", "muni_code", "muni_name")
        self._add_groups(paths.districts, districts, districts[2:], municipalities)

    def _add_groups(
        self, path: Path, header: tuple[str, ...], columns: tuple[str, ...], known: dict[str, Entity]
    ) -> None:
        """Names that stand for a fixed set of areas or municipalities (a reference table with `header`, one row per
        member: `columns` are the group's name, the member's code and its name); each member must be the reference
        data's."""
        group_column, code_column, name_column = columns
        groups: dict[tuple[str, str], list[Entity]] = defaultdict(list)
        for line, r in checked_rows(path, header):
            code, name = r[code_column], r[name_column]
            entity = known.get(code)
            if entity is None or entity.name != name:
                found = f"is {entity.name}" if entity else "is not in the reference data"
                raise SourceError(path, line, f"member {code} {name}: code {code} {found}")
            pref_code = code[:2]
            if r.get("pref_code", pref_code) != pref_code:
                raise SourceError(path, line, f"member {code} {name} is not in prefecture {r['pref_code']}")
            groups[(pref_code, r[group_column])].append(entity)
        for (pref_code, name), members in groups.items():
            self.names[pref_code][fold(name)].add(tuple(sorted(members, key=lambda e: e.code)))

    def resolve(
        self, text: str, pref_code: str, area_type: str, aliases: Mapping[str, str] | None = None
    ) -> Resolution:
        """The links of one area text; `aliases` (printed → known name, for this row only) come from a curated table."""
        names = self.names[pref_code]
        aliases = {fold(p): fold(n) for p, n in (aliases or {}).items()}
        printed, text = text, fold(text)
        preferred = PREFERRED_KIND.get(area_type)
        pref_name = self.pref_names.get(pref_code, "")
        links: list[tuple[Entity, str]] = []
        unresolved: list[str] = []
        i, n = 0, len(text)
        while i < n:
            if text[i] in SEPARATORS:
                i += 1
                continue
            if text.startswith("（", i):
                i = _after_parenthesis(text, i)
                continue
            start = i
            meaning, length = self._all_areas(text, i, pref_code)
            if meaning is None:
                meaning, length = self._match(text, i, names, aliases, preferred, links)
            if meaning is None and pref_name and text.startswith(pref_name, i):
                i += len(pref_name)  # 山形県村山地域, 鳥取県西部
                meaning, length = self._match(text, i, names, aliases, preferred, links)
            if meaning is None:
                end = _next_separator(text, i)
                unresolved.append(printed[start:end])
                i = end
                continue
            i += length
            while after := next((s for s in self.after_names if text.startswith(s, i)), None):
                i += len(after)
            linked = [e for e, _ in links]
            links.extend((entity, printed[start:i]) for entity in meaning if entity not in linked)
        return Resolution(tuple(links), tuple(unresolved))

    def _all_areas(self, text: str, i: int, pref_code: str) -> tuple[Meaning | None, int]:
        """A phrase naming every secondary medical area of the prefecture (全13医療圏), whose number must be theirs."""
        for pattern in self.all_areas_phrases:
            found = pattern.match(text, i)
            if not found:
                continue
            areas = self.areas.get(pref_code, [])
            if int(found.group(1)) != len(areas):
                raise RyoikiError(
                    f"{found.group(0)} names {int(found.group(1))} secondary medical areas, but "
                    f"{self.pref_names.get(pref_code, pref_code)} has {len(areas)} in {self.areas_path.name}: "
                    "linking them would be a guess"
                )
            return tuple(sorted(areas, key=lambda e: e.code)), found.end() - i
        return None, 0

    def _match(
        self,
        text: str,
        i: int,
        names: dict[str, set[Meaning]],
        aliases: dict[str, str],
        preferred: str | None,
        links: list,
    ) -> tuple[Meaning | None, int]:
        """The longest known name at `text[i:]`, if it stands for exactly one thing."""
        for length in range(min(len(text) - i, 20), 0, -1):
            part = text[i : i + length]
            candidates = names.get(part) or names.get(aliases.get(part, "")) or self._ward_of_previous_city(part, links)
            if not candidates:
                continue
            end = i + length
            if (
                all(len(m) == 1 and m[0].kind == "prefecture" for m in candidates)
                and end < len(text)
                and text[end] not in SEPARATORS + "（"
            ):
                continue  # 山形県村山地域 names 村山, not the whole of 山形県
            if len(candidates) > 1 and preferred:
                candidates = {m for m in candidates if all(e.kind == preferred for e in m)} or candidates
            if len(candidates) == 1:
                return next(iter(candidates)), length
            return None, 0  # ambiguous: never guess
        return None, 0

    def _ward_of_previous_city(self, part: str, links: list[tuple[Entity, str]]) -> set[Meaning]:
        """A bare ward (南区) right after a ward of a designated city (札幌市中央区、南区) is that city's ward."""
        if not part.endswith("区") or not links:
            return set()
        previous = links[-1][0]
        for wards in self.wards.values():
            if previous in wards.values() and part in wards:
                return {(wards[part],)}
        return set()


def fold(text: str) -> str:
    """Spelling variants that do not change a place name (茅ケ崎 / 茅ヶ崎)."""
    return text.replace("ヶ", "ケ")


def _count_pattern(path: Path, line: int, phrase: str) -> re.Pattern[str]:
    """全{n}医療圏 → a pattern whose group 1 is the printed number (ASCII or full-width digits)."""
    before, n, after = phrase.partition("{n}")
    if not n or "{n}" in after:
        raise SourceError(path, line, f"a phrase must hold {{n}} once, found {phrase!r}")
    return re.compile(re.escape(fold(before)) + "([0-9０-９]{1,3})" + re.escape(fold(after)))


def _after_parenthesis(text: str, i: int) -> int:
    end = text.find("）", i)
    return len(text) if end < 0 else end + 1


def _next_separator(text: str, i: int) -> int:
    while i < len(text) and text[i] not in SEPARATORS and not text.startswith("（", i):
        i += 1
    return i


def _curated_rows(path: Path, header: tuple[str, ...]) -> Iterator[tuple[int, int, dict[str, str]]]:
    """A curated table's rows: line, survey row number and cells, every cell given."""
    for line, r in checked_rows(path, header):
        empty = [c for c in header if not r[c].strip()]
        if empty:
            raise SourceError(path, line, f"every row needs a value in each column; {empty[0]} is empty")
        yield line, row_number(path, line, r["no"]), r


def reason_codes(ontology: Path) -> frozenset[str]:
    """The local names of the concepts of rld:UnresolvedAreaReasons: the ontology owns the vocabulary."""
    in_scheme = f"<{SKOS}inScheme>"
    codes = set()
    for triple in load_rdf(ontology):
        subject, predicate, rest = triple.split(" ", 2)
        if predicate == in_scheme and rest == f"{REASON_SCHEME} .":
            codes.add(subject[1:-1].rsplit("#", 1)[1])
    return frozenset(codes)


def load_curation(paths: Paths) -> Curation:
    """The curated tables of data/link/, each row checked for form here and against the report in `resolve_table`."""
    aliases, seen = [], {}
    for line, no, r in _curated_rows(paths.area_aliases, ("no", "printed", "name", "reason")):
        if (no, r["printed"]) in seen:
            raise SourceError(
                paths.area_aliases,
                line,
                f"row {no}'s {r['printed']!r} has an alias already, on line {seen[no, r['printed']]}",
            )
        seen[no, r["printed"]] = line
        aliases.append(Alias(no, r["printed"], r["name"], line))
    reasons = reason_codes(paths.ontology)
    explanations = []
    for line, no, r in _curated_rows(paths.unresolved_areas, ("no", "printed", "reason", "note")):
        if r["reason"] not in reasons:
            raise SourceError(
                paths.unresolved_areas, line, f"unknown reason {r['reason']!r}; one of {', '.join(sorted(reasons))}"
            )
        explanations.append(Explanation(no, r["printed"], r["reason"], line))
    return Curation(tuple(aliases), tuple(explanations), paths.area_aliases, paths.unresolved_areas)


def _check_printed(path: Path, line: int, no: int, printed: str, texts: dict[int, str]) -> None:
    """A curated row must name a row whose printed area text contains what the row says it prints."""
    if no not in texts:
        raise SourceError(path, line, f"there is no row {no}")
    if printed not in texts[no]:
        raise SourceError(
            path, line, f"row {no} prints {texts[no]!r}, which does not contain {printed!r} (update or remove this row)"
        )


def resolve_table(
    table: pd.DataFrame, gazetteer: Gazetteer, curation: Curation | None = None, source: Path | None = None
) -> Linked:
    """Links of every network's coverage area, a per-network status table and the unresolved parts with their
    reasons. `curation` is for the report's own rows (the build): its rows must match what they print. `source`
    is the file the table was read from, named when a row's text is refused."""
    texts = {int(r.no): r.area_text for r in table.itertuples(index=False)}
    prefs = {int(r.no): r.pref_code for r in table.itertuples(index=False)}
    aliases: dict[int, dict[str, str]] = defaultdict(dict)
    explanations: dict[int, list[Explanation]] = defaultdict(list)
    if curation:
        for a in curation.aliases:
            _check_printed(curation.aliases_path, a.line, a.no, a.printed, texts)
            if len(gazetteer.names[prefs[a.no]].get(fold(a.name), ())) != 1:
                raise SourceError(
                    curation.aliases_path, a.line, f"{a.name!r} is not one known name of row {a.no}'s prefecture"
                )
            aliases[a.no][a.printed] = a.name
        for e in curation.explanations:
            _check_printed(curation.explanations_path, e.line, e.no, e.printed, texts)
            explanations[e.no].append(e)
    links, statuses, unresolved, used = [], [], [], set()
    for row in table.itertuples(index=False):
        try:
            res = gazetteer.resolve(row.area_text, row.pref_code, row.area_type, aliases.get(int(row.no)))
        except RyoikiError as e:
            if source is None:
                raise RyoikiError(f"row {row.no}: {e}") from None
            raise SourceError(source, None, str(e), row=int(row.no), column="area_text") from None
        for entity, matched in res.links:
            links.append({"no": row.no, "kind": entity.kind, "code": entity.code, "matched_text": matched})
        reasons = []
        for part in res.unresolved:
            why = next((e for e in explanations.get(int(row.no), []) if e.explains(part)), None)
            if why:
                used.add(why)
            reasons.append(why.reason if why else "")
            unresolved.append({"no": row.no, "text": part, "reason": reasons[-1]})
        statuses.append(
            {
                "no": row.no,
                "area_type": row.area_type,
                "status": res.status,
                "unresolved_text": " | ".join(res.unresolved),
                "reason": " | ".join(reasons),
            }
        )
    stale = [e for es in explanations.values() for e in es if e not in used]
    if stale:
        e = stale[0]
        raise SourceError(
            curation.explanations_path,
            e.line,
            f"row {e.no}: {e.printed!r} is not an unresolved part of {texts[e.no]!r} any more (remove this row)",
        )
    link_df = pd.DataFrame(links, columns=["no", "kind", "code", "matched_text"])
    return Linked(
        link_df.sort_values(["no", "kind", "code"], kind="stable").reset_index(drop=True),
        pd.DataFrame(statuses, columns=["no", "area_type", "status", "unresolved_text", "reason"]),
        pd.DataFrame(unresolved, columns=["no", "text", "reason"]),
    )


def resolution_rates(statuses: pd.DataFrame) -> pd.DataFrame:
    """Per coverage type: how many areas resolve fully, partly, or not at all, and how many of those that do not
    resolve fully have no reason why."""
    counts = statuses.groupby(["area_type", "status"]).size().unstack(fill_value=0)
    for status in ("resolved", "partial", "unresolved"):
        if status not in counts:
            counts[status] = 0
    counts = counts[["resolved", "partial", "unresolved"]]
    counts["total"] = counts.sum(axis=1)
    counts["resolved_pct"] = (100 * counts["resolved"] / counts["total"]).round(1)
    unexplained = statuses["reason"].str.split(" | ", regex=False).map(lambda reasons: "" in reasons)
    without = statuses[(statuses["status"] != "resolved") & unexplained]
    counts["without_reason"] = without.groupby("area_type").size().reindex(counts.index, fill_value=0)
    return counts.sort_values("total", ascending=False)
