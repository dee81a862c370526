"""The dataset catalog: the one description of every dataset.

Each :class:`Dataset` declares its columns (type, required, allowed values, ranges,
patterns, references), its primary key and its row-level checks. The same declaration
drives validation (:mod:`workbench.validate`), the DuckDB table definitions
(:mod:`workbench.database`) and the data dictionary (:mod:`workbench.describe`). Column
types are described once, in :mod:`workbench.column_types`.
Reconciliation rules for ``workbench check`` are declared here too, next to the data
they reconcile.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import column_types as types
from .errors import UnknownDataset

SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
CONFIDENCE_LEVELS = ("high", "medium", "low")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    required: bool = True
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    references: str | None = None  # "dataset.column"

    def __post_init__(self) -> None:
        types.get(self.type)  # an unknown type fails when the catalog is declared

    @property
    def ctype(self) -> types.ColumnType:
        """The column's type: storage, conversion and messages (:mod:`workbench.column_types`)."""
        return types.get(self.type)

    @property
    def effective_pattern(self) -> str | None:
        """The declared pattern, or the one the type implies (kommunenummer)."""
        return self.pattern or self.ctype.pattern

    @property
    def pattern_message(self) -> str:
        if self.pattern is None and self.ctype.pattern_message:
            return self.ctype.pattern_message
        return f"does not match the pattern {self.effective_pattern}"


@dataclass(frozen=True)
class RowCheck:
    """A rule every row must satisfy, as a DuckDB boolean expression over the columns."""

    name: str
    sql: str
    message: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    curated: bool = True  # curated from the seed documents (vs. loaded by analysts)
    checks: tuple[RowCheck, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"


def _provenance(full: bool = True) -> tuple[Column, ...]:
    source = Column(
        "source_id", "text", "Document (and sak) the figure comes from.",
        references="sources.source_id",
    )
    if not full:
        return (source,)
    return (
        source,
        Column("locator", "text", "Where in the document: sak, slide heading or table."),
        Column("confidence", "text", "How sure the reading is (OCR, ambiguous wording).",
               allowed=CONFIDENCE_LEVELS),
        Column("derived", "bool", "True when computed by us (sum, remainder, conversion "
               "beyond units), not stated in the source; the note says how."),
        Column("note", "text", "Our own words: what the source says, units used, "
               "why a value was chosen.", required=False),
    )


_COUNT_UNITS = ("kommuner", "virksomheter", "systemer", "personer", "prosjekter",
                "leverandorer", "samarbeid", "nok", "brukere", "tjenester")


def _count_table(name: str, title: str, description: str) -> Dataset:
    # adoption_counts and municipal_counts share a shape but answer different questions,
    # so they are separate tables built from one declaration.
    return Dataset(
        name=name, title=title, description=description,
        columns=(
            Column("indicator_id", "text", "Stable identifier of the indicator.",
                   pattern=SLUG_PATTERN),
            Column("indicator", "text", "What is counted, in Norwegian."),
            Column("group_name", "text", "Sub-group the count applies to ('Alle' when none)."),
            Column("year", "int", "Year the count applies to.", min=1990, max=2100),
            Column("as_of", "date", "Exact date of the count when the source gives one.",
                   required=False),
            Column("value", "int", "The count (whole kroner when unit is 'nok').", min=0),
            Column("unit", "text", "Unit of value.", allowed=_COUNT_UNITS),
            Column("denominator", "int", "Total the count is out of, when stated "
                   "(e.g. all kommuner).", required=False, min=0),
            *_provenance(),
        ),
        key=("indicator_id", "group_name", "year"),
        checks=(RowCheck("value_within_denominator",
                         "denominator IS NULL OR value <= denominator",
                         "value must not exceed denominator", ("value", "denominator")),),
    )


DATASETS: dict[str, Dataset] = {}


def _register(*datasets: Dataset) -> None:
    for d in datasets:
        DATASETS[d.name] = d


_register(
    Dataset(
        name="sources",
        title="Kilder",
        description="Registry of source documents: one row per document and per sak a "
                    "figure is taken from.",
        columns=(
            Column("source_id", "text", "Identifier used by every data row.",
                   pattern=SLUG_PATTERN),
            Column("organ", "text", "Body whose papers these are."),
            Column("title", "text", "Meeting or page title."),
            Column("meeting", "text", "Meeting number or name.", required=False),
            Column("date", "date", "Meeting date.", required=False),
            Column("sak", "text", "Sak number (NN/YY) when the row is one sak.",
                   required=False, pattern=r"^[0-9]{1,3}/[0-9]{2}$"),
            Column("sak_title", "text", "Title of the sak.", required=False),
            Column("document", "text", "File name of the document in shared/seeds/ "
                   "or another description of where it is kept."),
            Column("note", "text", "Remarks on the document.", required=False),
        ),
        key=("source_id",),
        curated=True,
    ),
    Dataset(
        name="budget_lines",
        title="Budsjettlinjer",
        description="State-budget amounts as a hierarchy: each line may have a parent "
                    "line whose amount it is part of.",
        columns=(
            Column("line_id", "text", "Unique id of this line in this year.",
                   pattern=SLUG_PATTERN),
            Column("line_key", "text", "Id of the same line across years (for "
                   "year-over-year comparison).", pattern=SLUG_PATTERN),
            Column("parent_id", "text", "line_id of the line this is part of.",
                   required=False, references="budget_lines.line_id"),
            Column("budget_year", "int", "Budget year (first year for envelopes).",
                   min=1990, max=2100),
            Column("label", "text", "Name of the line, in Norwegian."),
            Column("chapter", "int", "Budget chapter (kap.), when known.",
                   required=False, min=1, max=9999),
            Column("post", "int", "Budget post, when known.", required=False,
                   min=1, max=99),
            Column("kind", "text", "proposal (Prop. 1 S), appropriation (adopted "
                   "budget), allocation (distribution of an appropriation), envelope "
                   "(multi-year frame), estimate.",
                   allowed=("proposal", "appropriation", "allocation", "envelope",
                            "estimate")),
            Column("amount_nok", "money", "Amount in whole kroner.", min=0),
            Column("period_start", "int", "First year of a multi-year envelope.",
                   required=False, min=1990, max=2100),
            Column("period_end", "int", "Last year of a multi-year envelope.",
                   required=False, min=1990, max=2100),
            *_provenance(),
        ),
        key=("line_id",),
        checks=(
            RowCheck("period_order",
                     "period_start IS NULL OR period_end IS NULL "
                     "OR period_start <= period_end",
                     "period_end must not be before period_start",
                     ("period_start", "period_end")),
            RowCheck("envelope_has_period",
                     "kind <> 'envelope' OR (period_start IS NOT NULL "
                     "AND period_end IS NOT NULL)",
                     "an envelope needs period_start and period_end",
                     ("kind", "period_start", "period_end")),
            RowCheck("not_own_parent", "parent_id IS NULL OR parent_id <> line_id",
                     "a line cannot be its own parent", ("parent_id",)),
        ),
    ),
    Dataset(
        name="grant_rounds",
        title="Tilskuddsrunder",
        description="Grant rounds in long form: one row per scheme, year and measure, "
                    "so that every figure carries its own source and confidence.",
        columns=(
            Column("programme", "text", "Grant programme, e.g. Helseteknologiordningen."),
            Column("scheme_id", "text", "Identifier of the scheme (tilskuddsordning).",
                   pattern=SLUG_PATTERN),
            Column("scheme", "text", "Name of the scheme, in Norwegian."),
            Column("year", "int", "Year of the grant round.", min=1990, max=2100),
            Column("measure", "text", "What value counts: available_nok (amount "
                   "available), transferred_nok (carried over from earlier years), "
                   "applications, applied_nok, granted_projects, granted_nok, "
                   "applicant_kommuner (kommuner behind the applications).",
                   allowed=("available_nok", "transferred_nok", "applications",
                            "applied_nok", "granted_projects", "granted_nok",
                            "applicant_kommuner")),
            Column("value", "int", "The figure (whole kroner for *_nok measures).",
                   min=0),
            *_provenance(),
        ),
        key=("scheme_id", "year", "measure"),
    ),
    Dataset(
        name="grant_projects",
        title="Tilskuddsprosjekter",
        description="Individual projects in a grant or collaboration programme, e.g. "
                    "Helse Nord «Sammen om helse i nord».",
        columns=(
            Column("programme", "text", "Programme the project belongs to."),
            Column("project_id", "text", "Identifier of the project within the "
                   "programme.", pattern=SLUG_PATTERN),
            Column("project", "text", "Project name as in the source."),
            Column("helsefellesskap", "text", "Helsefellesskap the project belongs to.",
                   required=False),
            Column("region", "text", "Region or RHF, when given.", required=False),
            Column("priority", "int", "Priority rank in the source table.",
                   required=False, min=1),
            Column("amount_nok", "money", "Amount for the project in whole kroner.",
                   min=0),
            Column("cumulative_nok", "money", "Cumulative amount as stated in the "
                   "source table.", required=False, min=0),
            *_provenance(),
        ),
        key=("programme", "project_id"),
    ),
    Dataset(
        name="stated_totals",
        title="Oppgitte summer",
        description="Totals stated in a source for rows of another dataset, kept so "
                    "that reconciliation can compare them with the sum of the rows.",
        columns=(
            Column("total_id", "text", "Identifier of the stated total.",
                   pattern=SLUG_PATTERN),
            Column("dataset", "text", "Dataset whose rows the total sums.",
                   allowed=("grant_projects", "grant_rounds", "adoption_counts",
                            "municipal_counts", "vft_recipients")),
            Column("filter_column", "text", "Column selecting the rows summed."),
            Column("filter_value", "text", "Value of filter_column for those rows."),
            Column("measure_column", "text", "Column that is summed."),
            Column("value", "int", "The stated total (whole kroner for amounts).",
                   min=0),
            *_provenance(),
        ),
        key=("total_id",),
    ),
    Dataset(
        name="vft_recipients",
        title="Mottakere av velferdsteknologi",
        description="Number of recipients of welfare technology (velferdsteknologi) "
                    "per year.",
        columns=(
            Column("year", "int", "Year.", min=1990, max=2100),
            Column("technology", "text", "Technology ('Alle' for all together)."),
            Column("recipients", "int", "Number of recipients.", min=0),
            *_provenance(),
        ),
        key=("year", "technology"),
    ),
    _count_table("adoption_counts", "Utbredelse og tilkobling",
                 "Adoption counts: kommuner using a solution (VKP, kjernejournal), "
                 "EPJ systems integrated, and similar counts."),
    _count_table("municipal_counts", "Kommunetall",
                 "Counts about kommuner: procurement collaborations, demographic "
                 "pressure, projected costs, portfolio size."),
    Dataset(
        name="survey_results",
        title="Spørreundersøkelser (aggregert)",
        description="Aggregated survey results: one row per survey, question, group "
                    "and statistic.",
        columns=(
            Column("survey_id", "text", "Identifier of the survey.",
                   pattern=SLUG_PATTERN),
            Column("survey", "text", "Name of the survey, in Norwegian."),
            Column("question", "text", "Question or dimension (e.g. a benefit "
                   "dimension)."),
            Column("group_name", "text", "Respondent group or solution group ('Alle' when "
                   "none)."),
            Column("statistic", "text", "mean (on the scale), share (0–1), count, n.",
                   allowed=("mean", "share", "count", "n")),
            Column("value", "decimal", "The statistic."),
            Column("n", "int", "Respondents behind the value, when stated.",
                   required=False, min=0),
            Column("scale_min", "int", "Lowest scale value for means.", required=False),
            Column("scale_max", "int", "Highest scale value for means.",
                   required=False),
            *_provenance(),
        ),
        key=("survey_id", "question", "group_name", "statistic"),
        checks=(
            RowCheck("share_range", "statistic <> 'share' OR value BETWEEN 0 AND 1",
                     "a share must be between 0 and 1", ("statistic", "value")),
            RowCheck("mean_on_scale",
                     "statistic <> 'mean' OR scale_min IS NULL OR scale_max IS NULL "
                     "OR value BETWEEN scale_min AND scale_max",
                     "a mean must lie on its scale", ("value", "scale_min",
                                                      "scale_max")),
        ),
    ),
    Dataset(
        name="survey_responses",
        title="Spørreundersøkelser (svar)",
        description="One row per respondent and question, for survey exports loaded "
                    "by analysts.",
        columns=(
            Column("survey_id", "text", "Identifier of the survey.",
                   pattern=SLUG_PATTERN),
            Column("respondent_id", "text", "Respondent identifier within the survey."),
            Column("kommunenummer", "kommunenummer", "Respondent's kommune.",
                   required=False),
            Column("question", "text", "Question identifier or text."),
            Column("answer", "text", "Answer as given.", required=False),
            Column("score", "int", "Answer on the 1–5 scale, when it is one.",
                   required=False, min=1, max=5),
            *_provenance(full=False),
        ),
        key=("survey_id", "respondent_id", "question"),
        curated=False,
    ),
    Dataset(
        name="kommune_indicators",
        title="Kommuneindikatorer",
        description="Per-kommune series (kommunenummer × year × indicator), e.g. "
                    "statistics exports loaded by analysts.",
        columns=(
            Column("kommunenummer", "kommunenummer", "4-digit kommunenummer."),
            Column("year", "int", "Year.", min=1990, max=2100),
            Column("indicator", "text", "Indicator identifier."),
            Column("value", "decimal", "Value of the indicator."),
            *_provenance(full=False),
        ),
        key=("kommunenummer", "year", "indicator"),
        curated=False,
    ),
    Dataset(
        name="kommuner",
        title="Kommuner",
        description="Reference list of kommuner with 4-character kommunenummer.",
        columns=(
            Column("kommunenummer", "kommunenummer", "4-digit kommunenummer."),
            Column("name", "text", "Name of the kommune."),
            Column("fylke", "text", "Fylke the kommune belongs to."),
            Column("fylkesnummer", "text", "2-digit fylkesnummer.",
                   pattern=r"^[0-9]{2}$"),
            Column("valid_from", "int", "First year of the structure the row "
                   "describes.", min=1838, max=2100),
            Column("valid_to", "int", "Last year of that structure, when known.",
                   required=False, min=1838, max=2100),
            *_provenance(full=False),
        ),
        key=("kommunenummer",),
        checks=(RowCheck("fylke_prefix",
                         "substr(kommunenummer, 1, 2) = fylkesnummer",
                         "kommunenummer must start with the fylkesnummer",
                         ("kommunenummer", "fylkesnummer")),),
    ),
)

# Datasets in build order: a dataset's references point to earlier ones (or itself).
BUILD_ORDER: tuple[str, ...] = tuple(DATASETS)


def get(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise UnknownDataset(
            f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}"
        ) from None


# --- reconciliation rules (``workbench check``) -------------------------------------

@dataclass(frozen=True)
class ChildrenSum:
    """Children of a hierarchical line should add up to the parent's amount."""
    name: str
    dataset: str
    id_column: str
    parent_column: str
    amount_column: str
    description: str


@dataclass(frozen=True)
class RunningSum:
    """A stated cumulative column should equal the running sum of the amounts."""
    name: str
    dataset: str
    group_column: str
    order_column: str
    amount_column: str
    cumulative_column: str
    description: str


@dataclass(frozen=True)
class StatedTotals:
    """Totals stated in ``stated_totals`` should equal the sum of the rows they cover."""
    name: str
    description: str
    dataset: str = "stated_totals"


RECONCILIATION_RULES = (
    ChildrenSum("budget_children", "budget_lines", "line_id", "parent_id",
                "amount_nok", "Budget sub-lines against the line they belong to."),
    # project_id carries the row order of the source table (p01, p02, ...); priority
    # cannot order it, being ranked within each helsefellesskap.
    RunningSum("project_cumulative", "grant_projects", "programme", "project_id",
               "amount_nok", "cumulative_nok",
               "Stated cumulative amounts against the running sum in table order."),
    StatedTotals("stated_totals", "Stated totals against the sum of their rows."),
)
