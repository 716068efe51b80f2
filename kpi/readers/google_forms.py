"""Google Forms: the Forms CSV download and Google Sheets' CSV/xlsx, in any locale.

The first column is the submission time, headed in the form owner's language;
rows are appended in submission order; grids come as "Stem [Row]".
Sheets writes the timestamp in the sheet's locale (14/05/2026 or 5/14/2026),
so there is no convention to lean on: evidence or the user decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpi.readers.base import OURS, Layout, key

# "Timestamp" as Google heads it in the languages schemes' forms are set in.
TIMESTAMP = frozenset(key(word) for word in (
    "Timestamp", "Marca temporal", "Horodateur", "Zeitstempel", "Carimbo de data/hora",
    "Informazioni cronologiche", "Tijdstempel", "Sygnatura czasowa", "Stempel waktu",
    "Tidsstämpel", "Tidsstempel", "Aikaleima", "Časová značka", "Marcă temporală",
    "Zaman damgası",
) if len(key(word)) > 5)


@dataclass(frozen=True)
class GoogleForms(Layout):
    def recognise(self, rows: list[list[str]], source: str) -> int | None:
        first = next((c for c in rows[0] if c.strip() and key(c) not in OURS), "")
        return 1 if key(first) in self.completion else None


LAYOUT = GoogleForms(
    "google_forms", "a Google Forms export",
    metadata=frozenset({"emailaddress", "score", "username", *TIMESTAMP}),
    completion=tuple(sorted(TIMESTAMP)),
    submission_order=True,
)
