"""validate.outcomes on the real data: every network's outcome on every criterion, as the tidy table says.

Outcomes are checked against a direct pandas reading of the tidy table, with each criterion's threshold and
assessability read from data/criteria.csv (their one source), and against the assessments in the graph.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyoxigraph as ox
import pytest

from ryoiki_ld.config import Paths
from ryoiki_ld.validate.criteria import load_criteria

from .support import report

RLD = report.RLD
# The tidy table's column for each property a criterion is judged by (mappings/networks.rq). A criterion the
# survey cannot assess is judged by a property the table has no column for.
COLUMN_OF = {
    "disclosingInstitutions": "disclosing",
    "accessingInstitutions": "accessing",
    "hasOwnFunding": "own_funding",
}


def meets(values: pd.Series, threshold: str) -> pd.Series:
    """A criterion's threshold, the SHACL constraint criteria.csv gives, read as pandas reads the column."""
    if m := re.fullmatch(r"sh:minInclusive (\d+)", threshold):
        return values >= int(m[1])
    if m := re.fullmatch(r"sh:in \( (true|false) \)", threshold):
        return values == (m[1] == "true")
    raise AssertionError(f"expected_outcomes does not read the threshold {threshold!r} yet: teach it")


def expected_outcomes(networks: pd.DataFrame) -> pd.DataFrame:
    """What the criteria mean, read straight off the tidy table: unknown → not assessable."""

    def threshold(values: pd.Series, met: pd.Series) -> np.ndarray:
        return np.where(values.isna(), "not_assessable", np.where(met.fillna(False), "met", "not_met"))

    by_criterion = {}
    for c in load_criteria(Paths().criteria):
        if c.assessable_from_survey:
            values = networks[COLUMN_OF[c.based_on]]
            by_criterion[c.key] = threshold(values, meets(values, c.threshold))
        else:
            assert c.based_on not in COLUMN_OF, c.key
            by_criterion[c.key] = "not_assessable"
    frames = [
        pd.DataFrame({"survey": "fy2019", "no": networks.no, "criterion": k, "outcome": v})
        for k, v in by_criterion.items()
    ]
    return pd.concat(frames).sort_values(["no", "criterion"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def networks(built: Path) -> pd.DataFrame:
    return pd.read_csv(built / "data" / "networks.csv", dtype={"own_funding": "boolean"})


@pytest.fixture(scope="module")
def eligibility(built: Path) -> pd.DataFrame:
    return pd.read_csv(built / "validation" / "eligibility.csv")


def test_eligibility_agrees_with_pandas_for_every_network_and_criterion(networks, eligibility):
    assert list(eligibility.columns) == ["survey", "no", "criterion", "outcome"]
    pd.testing.assert_frame_equal(eligibility, expected_outcomes(networks))


def test_outcome_counts_per_criterion(networks, eligibility):
    counts = eligibility.groupby(["criterion", "outcome"]).size().unstack(fill_value=0)
    expected = expected_outcomes(networks).groupby(["criterion", "outcome"]).size().unstack(fill_value=0)
    pd.testing.assert_frame_equal(counts, expected)
    # The "not met" counts are the report's own figures (59, 20, 79); support/report.py says why the others are.
    for key, (met, not_met, not_assessable) in report.OUTCOMES.items():
        assert counts.loc[key].to_dict() == {"met": met, "not_assessable": not_assessable, "not_met": not_met}


@pytest.fixture(scope="module")
def store(built: Path) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(built / "dump" / "ryoiki-ld.nt"), format=ox.RdfFormat.N_TRIPLES)
    return store


def test_assessments_are_in_the_graph_and_answer_the_issue_questions(store, networks, eligibility):
    prefix = f"PREFIX rld: <{RLD}>\n"
    count = next(iter(store.query(prefix + "SELECT (COUNT(*) AS ?n) WHERE { ?a a rld:CriterionAssessment }")))
    assert int(count["n"].value) == 218 * 7
    every = (
        prefix
        + """
        SELECT ?no WHERE {
          ?n a rld:Network ; rld:surveyRowNumber ?no .
          FILTER NOT EXISTS { ?a rld:network ?n ; rld:outcome rld:NotMet }
          FILTER EXISTS { ?a rld:network ?n ; rld:outcome rld:Met }
        }"""
    )
    meeting = sorted(int(s["no"].value) for s in store.query(every))
    wide = eligibility.pivot(index="no", columns="criterion", values="outcome")
    expected = wide[(wide != "not_met").all(axis=1) & (wide == "met").any(axis=1)].index.tolist()
    assert meeting == expected and len(meeting) > 0
    share = (
        prefix
        + """
        SELECT ?code (SUM(IF(?o = rld:Met, 1, 0)) / COUNT(*) AS ?share) WHERE {
          ?a rld:criterion ?c ; rld:outcome ?o ; rld:network/rld:prefecture/rld:prefectureCode ?code .
          ?c <http://www.w3.org/2004/02/skos/core#notation> "ア" .
        } GROUP BY ?code"""
    )
    shares = {s["code"].value: float(s["share"].value) for s in store.query(share)}
    a = eligibility[eligibility.criterion == "a"].merge(networks[["no", "pref_code"]], on="no")
    by_pref = a.groupby(a.pref_code.map("{:02d}".format)).outcome.apply(lambda o: (o == "met").mean())
    assert shares == pytest.approx(by_pref.to_dict())
