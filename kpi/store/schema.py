"""The store's tables: their columns, how they are created, and how a name is quoted.

Answers are stored wide (one column per item) because every KHI is an
aggregate over one or two item columns: a columnar scan of 1M rows x 36 small
integer columns takes a fraction of the time of the 36M-row long layout, and
adding an item is still one edit (``init`` adds the missing column).
"""

from __future__ import annotations

from kpi.items import bank


def ident(name: str) -> str:
    """A table or column name for SQL, always quoted (``"name"``).

    Names come from this package, the item bank or the catalogue, never from input;
    quoting them anyway means a name is never read as a keyword or an expression.
    """
    return '"' + name.replace('"', '""') + '"'


# 2: the `superseded` table (one person, one vote, kept at write time).
# 3: set-aside rows keep their person key, uploads count rows erased or expired
#    (a person's answers can be found and erased; the retention rule).
# 4: the `notes` table (the board's notes and actions, kpi.board.notes).
# 5: survey rounds and their links; each response's channel and wording.
SCHEMA_VERSION = 5

ATTRIBUTE_COLUMNS = (
    "completed_by",
    "support_type",
    "age_band",
    "gender",
    "ethnicity",
    "primary_need",
)
# Columns that identify a response: same person, date and respondent type.
RESPONSE_KEY = ("scheme_id", "person_key", "completed_on", "respondent_type")
ACTIVITY_COUNTS = (
    "long_term",
    "short_break",
    "day_support",
    "home_from_hospital",
    "approved_carers",
    "new_arrangements",
    "ended_arrangements",
)


SUPERSEDED_SQL = """
INSERT INTO superseded
SELECT response_id FROM (
  SELECT response_id, row_number() OVER (
      PARTITION BY scheme_id, person_key, respondent_type, quarter_start
      ORDER BY completed_on DESC, response_id DESC) AS rank
  FROM responses
  WHERE (scheme_id, person_key, respondent_type, quarter_start) IN (
      SELECT (scheme_id, person_key, respondent_type, quarter_start)
      FROM responses GROUP BY ALL HAVING count(*) > 1)
) WHERE rank > 1"""


# Where each answer came from (schema 5), added after the items in every store:
# the channel ("upload", "online", "paper") and the wording asked ("standard",
# "easy_read"). Rows stored before are exports read from uploads: upload/standard.
PROVENANCE_COLUMNS = ("channel", "wording")
CHANNELS = ("upload", "online", "paper")
WORDINGS = ("standard", "easy_read")


def item_columns() -> tuple[str, ...]:
    return bank().item_codes


def response_columns() -> tuple[str, ...]:
    """Every column of ``responses``, in table order."""
    return (
        "response_id",
        "upload_id",
        "scheme_id",
        "person_key",
        "respondent_type",
        "completed_on",
        "quarter_start",
        *ATTRIBUTE_COLUMNS,
        "source_row",
        *item_columns(),
        *PROVENANCE_COLUMNS,
    )


def response_table_sql(name: str, extra: str = "") -> str:
    items = ",\n  ".join(f"{ident(code)} TINYINT" for code in item_columns())
    attrs = ",\n  ".join(f"{ident(code)} VARCHAR" for code in ATTRIBUTE_COLUMNS)
    return f"""
CREATE TABLE IF NOT EXISTS {ident(name)} (
  response_id BIGINT NOT NULL,
  upload_id INTEGER NOT NULL,
  scheme_id VARCHAR NOT NULL,
  person_key VARCHAR NOT NULL,
  respondent_type VARCHAR NOT NULL,
  completed_on DATE NOT NULL,
  quarter_start DATE NOT NULL,
  {attrs},
  source_row INTEGER,
  {items}{extra}
)"""


SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS schemes (
  scheme_id VARCHAR PRIMARY KEY,
  name VARCHAR NOT NULL,
  region VARCHAR NOT NULL,
  local_authority VARCHAR,
  cqc_rating VARCHAR,
  cqc_rating_date DATE,
  is_demo BOOLEAN NOT NULL DEFAULT false
)""",
    "CREATE SEQUENCE IF NOT EXISTS upload_ids START 1",
    "CREATE SEQUENCE IF NOT EXISTS response_ids START 1",
    """CREATE TABLE IF NOT EXISTS uploads (
  upload_id INTEGER PRIMARY KEY,
  scheme_id VARCHAR,
  kind VARCHAR NOT NULL,
  file_name VARCHAR,
  sha256 VARCHAR,
  uploaded_by VARCHAR,
  uploaded_at TIMESTAMP NOT NULL,
  layout VARCHAR,
  rows_read INTEGER NOT NULL DEFAULT 0,
  accepted INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,
  corrected INTEGER NOT NULL DEFAULT 0,
  status VARCHAR NOT NULL DEFAULT 'stored',
  note VARCHAR,
  is_demo BOOLEAN NOT NULL DEFAULT false
)""",
    # Rows set aside: where and why. The raw respondent reference is never
    # kept; `row_values` holds the other cells so the row can be fixed.
    """CREATE TABLE IF NOT EXISTS set_aside (
  upload_id INTEGER NOT NULL,
  row_number INTEGER NOT NULL,
  column_name VARCHAR,
  reason VARCHAR NOT NULL,
  row_values VARCHAR
)""",
    """CREATE TABLE IF NOT EXISTS activity_returns (
  upload_id INTEGER NOT NULL,
  scheme_id VARCHAR NOT NULL,
  quarter_start DATE NOT NULL,
  long_term INTEGER, short_break INTEGER, day_support INTEGER,
  home_from_hospital INTEGER, approved_carers INTEGER,
  new_arrangements INTEGER, ended_arrangements INTEGER
)""",
    """CREATE TABLE IF NOT EXISTS activity_history (
  upload_id INTEGER NOT NULL,
  scheme_id VARCHAR NOT NULL,
  quarter_start DATE NOT NULL,
  long_term INTEGER, short_break INTEGER, day_support INTEGER,
  home_from_hospital INTEGER, approved_carers INTEGER,
  new_arrangements INTEGER, ended_arrangements INTEGER,
  replaced_by INTEGER NOT NULL
)""",
    # Responses replaced by a later one of the same person in the same quarter.
    # Why kept at write time: "each person counts once per period, by their latest
    # response" would otherwise cost a window over every response on every read;
    # this table is small (repeat answers in one quarter are rare), so reads skip
    # its rows with an anti-join at no measurable cost.
    "CREATE TABLE IF NOT EXISTS superseded (response_id BIGINT NOT NULL)",
    # A scheme's own column names mapped by hand on the Upload page.
    """CREATE TABLE IF NOT EXISTS column_mappings (
  scheme_id VARCHAR NOT NULL,
  source_header VARCHAR NOT NULL,
  target VARCHAR NOT NULL,
  saved_at TIMESTAMP NOT NULL,
  PRIMARY KEY (scheme_id, source_header)
)""",
)


# Users and roles, and who made each change: `init` creates them and `ensure`
# upgrades a store made before them.
ACCESS_SCHEMA = (
    # One row per person who may sign in, by the OIDC email claim (lower case).
    """CREATE TABLE IF NOT EXISTS users (
  email VARCHAR PRIMARY KEY,
  role VARCHAR NOT NULL,
  scheme_ids VARCHAR[] NOT NULL,
  regions VARCHAR[] NOT NULL,
  added_by VARCHAR NOT NULL,
  added_at TIMESTAMP NOT NULL
)""",
    # Who changed users, the register or uploads, and when (never edited).
    """CREATE TABLE IF NOT EXISTS changes (
  changed_at TIMESTAMP NOT NULL,
  changed_by VARCHAR NOT NULL,
  action VARCHAR NOT NULL,
  subject VARCHAR,
  detail VARCHAR
)""",
    "ALTER TABLE uploads ADD COLUMN IF NOT EXISTS rolled_back_by VARCHAR",
    "ALTER TABLE uploads ADD COLUMN IF NOT EXISTS rolled_back_at TIMESTAMP",
    # Who signed in as each user: the provider (`iss`) and its subject (`sub`),
    # bound at their first sign-in so another account with the same email claim
    # is refused; and when they last signed out (sessions issued before are ended).
    "ALTER TABLE users ADD COLUMN IF NOT EXISTS issuer VARCHAR",
    "ALTER TABLE users ADD COLUMN IF NOT EXISTS subject VARCHAR",
    "ALTER TABLE users ADD COLUMN IF NOT EXISTS signed_out_at TIMESTAMP",
)


# A person's rights over their answers and the retention rule (schema 3): `init`
# runs these after the tables above, so an older store is upgraded in place.
RIGHTS_SCHEMA = (
    # The pseudonymised key of a set-aside row whose reference could be read, so a
    # person's set-aside rows can be found and erased; NULL for rows stored before.
    "ALTER TABLE set_aside ADD COLUMN IF NOT EXISTS person_key VARCHAR",
    # Rows of the upload erased at a person's request, and removed by the retention
    # rule: the upload history says what changed after it was stored.
    "ALTER TABLE uploads ADD COLUMN IF NOT EXISTS erased INTEGER DEFAULT 0",
    "ALTER TABLE uploads ADD COLUMN IF NOT EXISTS expired INTEGER DEFAULT 0",
)


# The board's notes and actions (schema 4): `init` runs these last, so an older store
# is upgraded in place. One row per note, never deleted: an edit overwrites the text
# (the change log keeps who and when), a withdrawal hides it (``withdrawn_at``).
# ``area`` is the board page's area key: "scheme:ID", "region:NAME" or "all".
NOTES_SCHEMA = (
    "CREATE SEQUENCE IF NOT EXISTS note_ids START 1",
    """CREATE TABLE IF NOT EXISTS notes (
  note_id BIGINT PRIMARY KEY,
  khi_code VARCHAR NOT NULL,
  quarter_start DATE NOT NULL,
  area VARCHAR NOT NULL,
  discussed VARCHAR NOT NULL,
  action VARCHAR NOT NULL,
  owner VARCHAR NOT NULL,
  due VARCHAR NOT NULL,
  written_by VARCHAR NOT NULL,
  written_at TIMESTAMP NOT NULL,
  edited_by VARCHAR,
  edited_at TIMESTAMP,
  withdrawn_by VARCHAR,
  withdrawn_at TIMESTAMP
)""",
)


# Survey rounds (schema 5): a round asks one scheme's people (or carers) for one
# quarter; its links carry only a hash of their token (never the token) and, for a
# personal link, the person's pseudonymised key (never the reference).
ROUNDS_SCHEMA = (
    "CREATE SEQUENCE IF NOT EXISTS round_ids START 1",
    """CREATE TABLE IF NOT EXISTS rounds (
  round_id INTEGER PRIMARY KEY,
  upload_id INTEGER NOT NULL,
  scheme_id VARCHAR NOT NULL,
  quarter_start DATE NOT NULL,
  who VARCHAR NOT NULL,
  opened_by VARCHAR,
  opened_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL,
  closed_by VARCHAR,
  closed_at TIMESTAMP
)""",
    # No key constraint: DuckDB checks one eagerly on UPDATE within a transaction,
    # and a 256-bit random token's hash does not repeat.
    """CREATE TABLE IF NOT EXISTS round_links (
  token_hash VARCHAR NOT NULL,
  round_id INTEGER NOT NULL,
  kind VARCHAR NOT NULL,
  person_key VARCHAR,
  created_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL,
  closed_at TIMESTAMP,
  answers INTEGER NOT NULL DEFAULT 0,
  last_answer_at TIMESTAMP
)""",
    *(
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} VARCHAR DEFAULT '{default}'"
        for table in ("responses", "response_history")
        for column, default in (("channel", "upload"), ("wording", "standard"))
    ),
)
