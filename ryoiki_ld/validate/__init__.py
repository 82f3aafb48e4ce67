"""validate: SHACL over the dataset (or anyone's file), the criteria outcomes, and the report formats.

The shapes in `shapes/` are the rules. `inputs` reads what is validated, within the bounds `bounds` checks
before any parser runs, `shacl` runs the shapes (our SPARQL engine or plain pySHACL), `outcomes` turns the
criteria's results into one outcome per network and criterion (and `validate_files` is the command: read,
validate, refuse input in which nothing was validated), `render` writes the report; `criteria` generates
`shapes/criteria.ttl` from `data/criteria.csv`.
"""

from .inputs import SHAPE_SETS, input_format, load_shapes, parse_lines, read_input, read_rdf, reference_triples
from .outcomes import (
    Assessment,
    Criterion,
    NetworkRow,
    Report,
    assessment_frame,
    assessments,
    combined,
    criteria_of,
    eligibility_table,
    networks,
    run,
    run_criteria,
    run_quality,
    validate_files,
    validate_graph,
    with_survey_rows,
)
from .render import RENDERERS, render_github, render_json, render_text, report_ntriples, report_turtle

__all__ = [
    "RENDERERS",
    "SHAPE_SETS",
    "Assessment",
    "Criterion",
    "NetworkRow",
    "Report",
    "assessment_frame",
    "assessments",
    "combined",
    "criteria_of",
    "eligibility_table",
    "input_format",
    "load_shapes",
    "networks",
    "parse_lines",
    "read_input",
    "read_rdf",
    "reference_triples",
    "render_github",
    "render_json",
    "render_text",
    "report_ntriples",
    "report_turtle",
    "run",
    "run_criteria",
    "run_quality",
    "validate_files",
    "validate_graph",
    "with_survey_rows",
]
