"""Every export layout, as the bytes a survey tool writes, stores the same answers.

Each sample below encodes THE SAME three respondents (A, B and C) the way one
tool (or Excel) writes them: its own header rows and metadata columns, its own
date format, labels or numbers, its encoding and delimiter. Ingesting any of
them must store identical rows. Samples are byte literals on purpose (like
datasette-upload-csvs' tests): an encoding bug cannot hide behind a helper.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi import readers
from kpi.ingest import ingest_bytes, parse_date_values
from kpi.items import bank, header_index, normalise_header
from kpi.privacy import installation_secret, person_key
from kpi.store import Store
from tests.builders import registered_store

SCHEME = "SL001"
REGISTER = b"scheme_id,name,region\nSL001,Alderley Shared Lives,North West\n"
SWEMWBS = [f"swemwbs_{i}" for i in range(1, 8)]
COLUMNS = [
    "person_key", "completed_on", "respondent_type", "completed_by", "age_band",
    "friends_count", "lonely_how_often", "community_part", *SWEMWBS, "ons_happy",
]
REFS = {"A": "KHI-ALPHA-7731", "B": "KHI-BRAVO-2208", "C": "KHI-CHARLIE-0042"}
# What every sample must store: (ref, date, type, completed_by, age, friends,
# lonely, community, swemwbs 1-7, ons_happy). B answered "Don't know" to
# community_part and C left the age blank: both stored as missing.
EXPECTED = [
    ("B", dt.date(2026, 4, 3), "carer", "proxy", "75+", 0, 5, None, 3, 3, 3, 3, 3, 3, 3, 10),
    ("A", dt.date(2026, 5, 14), "person", "self", "25-34", 3, 2, 4, 4, 5, 3, 2, 4, 1, 4, 7),
    ("C", dt.date(2026, 6, 1), "person", "with_help", None, 12, 1, 1, 1, 2, 3, 4, 5, 1, 2, 0),
]

STEM = (
    "Below are some statements about feelings and thoughts. Please tick the box that "
    "best describes your experience of each over the last 2 weeks"
)

# Google Forms: "Timestamp" first (Google's own yyyy/mm/dd with the zone), the
# collected e-mail address, a grid question as "Stem [Statement]".
GOOGLE_FORMS = (
    b'"Timestamp","Email address","Your reference","Who is answering?",'
    b'"Who filled in this form?","Age","How many friends do you have, not counting paid staff?",'
    b'"How often do you feel lonely?","I feel part of my local community",'
    b'"Below are some statements about feelings and thoughts. [I\'ve been feeling optimistic '
    b'about the future]","Below are some statements about feelings and thoughts. [I\'ve been '
    b'feeling useful]","Below are some statements about feelings and thoughts. [I\'ve been '
    b'feeling relaxed]","Below are some statements about feelings and thoughts. [I\'ve been '
    b'dealing with problems well]","Below are some statements about feelings and thoughts. '
    b'[I\'ve been thinking clearly]","Below are some statements about feelings and thoughts. '
    b'[I\'ve been feeling close to other people]","Below are some statements about feelings '
    b'and thoughts. [I\'ve been able to make up my own mind about things]",'
    b'"Overall, how happy did you feel yesterday?"\r\n'
    b'"2026/05/14 10:32:11 GMT+1","ann@example.org","KHI-ALPHA-7731","I use Shared Lives",'
    b'"Me","25 to 34","3","Some of the time","Agree","Often","All of the time",'
    b'"Some of the time","Rarely","Often","None of the time","Often","7"\r\n'
    b'"2026/04/03 09:15:00 GMT+1","bob@example.org","KHI-BRAVO-2208","I am a family carer",'
    b'"Someone else for me","75 or over","None","Never","Don\'t know","Some of the time",'
    b'"Some of the time","Some of the time","Some of the time","Some of the time",'
    b'"Some of the time","Some of the time","10"\r\n'
    b'"2026/06/01 16:05:09 GMT+1","cat@example.org","KHI-CHARLIE-0042","I use Shared Lives",'
    b'"Me, with some help","","12","Often or always","Strongly disagree","None of the time",'
    b'"Rarely","Some of the time","Often","All of the time","None of the time","Rarely","0"\r\n'
)

# Microsoft Forms: ID, Start time, Completion time, Email, Name; US dates
# (month first, two-digit year); a Likert question as "Stem.Statement".
MICROSOFT_FORMS = (
    b"ID,Start time,Completion time,Email,Name,Your reference,Who is answering?,"
    b"Who filled in this form?,Age,\"How many friends do you have, not counting paid staff?\","
    b"How often do you feel lonely?,I feel part of my local community,"
    b"How do you feel?.I've been feeling optimistic about the future,"
    b"How do you feel?.I've been feeling useful,How do you feel?.I've been feeling relaxed,"
    b"How do you feel?.I've been dealing with problems well,"
    b"How do you feel?.I've been thinking clearly,"
    b"How do you feel?.I've been feeling close to other people,"
    b"How do you feel?.I've been able to make up my own mind about things,"
    b"\"Overall, how happy did you feel yesterday?\"\r\n"
    b"1,5/14/26 10:30:02,5/14/26 10:32:11,anonymous,,KHI-ALPHA-7731,I use Shared Lives,Me,"
    b"25 to 34,3,Some of the time,Agree,Often,All of the time,Some of the time,Rarely,Often,"
    b"None of the time,Often,7\r\n"
    b"2,4/3/26 9:10:40,4/3/26 9:15:00,anonymous,,KHI-BRAVO-2208,I am a family carer,"
    b"Someone else for me,75 or over,None,Never,Don't know,Some of the time,Some of the time,"
    b"Some of the time,Some of the time,Some of the time,Some of the time,Some of the time,10\r\n"
    b"3,6/1/26 16:01:13,6/1/26 16:05:09,anonymous,,KHI-CHARLIE-0042,I use Shared Lives,"
    b"\"Me, with some help\",,12,Often or always,Strongly disagree,None of the time,Rarely,"
    b"Some of the time,Often,All of the time,None of the time,Rarely,0\r\n"
)

# SurveyMonkey: two header rows. Row 1 has the tool's columns and each
# question's stem once; row 2 "Response" / "Open-Ended Response" under single
# questions and one statement per column under a matrix. US dates with AM/PM.
SURVEYMONKEY = (
    b"Respondent ID,Collector ID,Start Date,End Date,IP Address,Email Address,First Name,"
    b"Last Name,Custom Data 1,Your reference,Who is answering?,Who filled in this form?,Age,"
    b"\"How many friends do you have, not counting paid staff?\","
    b"How often do you feel lonely?,How much do you agree or disagree with each statement?,"
    b"\"" + STEM.encode() + b"\",,,,,,,\"Overall, how happy did you feel yesterday?\"\r\n"
    b",,,,,,,,,Open-Ended Response,Response,Response,Response,Open-Ended Response,Response,"
    b"I feel part of my local community,I've been feeling optimistic about the future,"
    b"I've been feeling useful,I've been feeling relaxed,I've been dealing with problems well,"
    b"I've been thinking clearly,I've been feeling close to other people,"
    b"I've been able to make up my own mind about things,Response\r\n"
    b"114217384921,431982734,05/14/2026 10:30:02 AM,05/14/2026 10:32:11 AM,81.2.69.160,,,,,"
    b"KHI-ALPHA-7731,I use Shared Lives,Me,25 to 34,3,Some of the time,Agree,Often,"
    b"All of the time,Some of the time,Rarely,Often,None of the time,Often,7\r\n"
    b"114217384922,431982734,04/03/2026 09:10:40 AM,04/03/2026 09:15:00 AM,81.2.69.161,,,,,"
    b"KHI-BRAVO-2208,I am a family carer,Someone else for me,75 or over,None,Never,"
    b"Don't know,Some of the time,Some of the time,Some of the time,Some of the time,"
    b"Some of the time,Some of the time,Some of the time,10\r\n"
    b"114217384923,431982734,06/01/2026 04:01:13 PM,06/01/2026 04:05:09 PM,81.2.69.162,,,,,"
    b"KHI-CHARLIE-0042,I use Shared Lives,\"Me, with some help\",,12,Often or always,"
    b"Strongly disagree,None of the time,Rarely,Some of the time,Often,All of the time,"
    b"None of the time,Rarely,0\r\n"
)

# Qualtrics: three header rows (internal names, question text with matrix
# columns as "Stem - Statement", ImportId JSON); ISO dates; numeric choices
# for the SWEMWBS matrix (a "values" export) and labels elsewhere.
_QUALTRICS_META = (
    b"StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished,"
    b"RecordedDate,ResponseId,RecipientLastName,RecipientFirstName,RecipientEmail,"
    b"ExternalReference,LocationLatitude,LocationLongitude,DistributionChannel,UserLanguage"
)
QUALTRICS = (
    _QUALTRICS_META + b",Q1,Q2,Q3,Q4,Q5,Q6,Q7_1,Q8_1,Q8_2,Q8_3,Q8_4,Q8_5,Q8_6,Q8_7,Q9_1\n"
    b"Start Date,End Date,Response Type,IP Address,Progress,Duration (in seconds),Finished,"
    b"Recorded Date,Response ID,Recipient Last Name,Recipient First Name,Recipient Email,"
    b"External Data Reference,Location Latitude,Location Longitude,Distribution Channel,"
    b"User Language,Your reference,Who is answering?,Who filled in this form?,Age,"
    b"\"How many friends do you have, not counting paid staff?\","
    b"How often do you feel lonely?,"
    b"How much do you agree or disagree? - I feel part of my local community,"
    b"\"" + STEM.encode() + b" - I've been feeling optimistic about the future\","
    b"\"" + STEM.encode() + b" - I've been feeling useful\","
    b"\"" + STEM.encode() + b" - I've been feeling relaxed\","
    b"\"" + STEM.encode() + b" - I've been dealing with problems well\","
    b"\"" + STEM.encode() + b" - I've been thinking clearly\","
    b"\"" + STEM.encode() + b" - I've been feeling close to other people\","
    b"\"" + STEM.encode() + b" - I've been able to make up my own mind about things\","
    b"\"Overall, how happy did you feel yesterday? - Happiness\"\n"
    b"\"{\"\"ImportId\"\":\"\"startDate\"\",\"\"timeZone\"\":\"\"Europe/London\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"endDate\"\",\"\"timeZone\"\":\"\"Europe/London\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"status\"\"}\",\"{\"\"ImportId\"\":\"\"ipAddress\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"progress\"\"}\",\"{\"\"ImportId\"\":\"\"duration\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"finished\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"recordedDate\"\",\"\"timeZone\"\":\"\"Europe/London\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"_recordId\"\"}\",\"{\"\"ImportId\"\":\"\"recipientLastName\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"recipientFirstName\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"recipientEmail\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"externalDataReference\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"locationLatitude\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"locationLongitude\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"distributionChannel\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"userLanguage\"\"}\",\"{\"\"ImportId\"\":\"\"QID1_TEXT\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"QID2\"\"}\",\"{\"\"ImportId\"\":\"\"QID3\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"QID4\"\"}\",\"{\"\"ImportId\"\":\"\"QID5_TEXT\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"QID6\"\"}\",\"{\"\"ImportId\"\":\"\"QID7_1\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"QID8_1\"\"}\",\"{\"\"ImportId\"\":\"\"QID8_2\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"QID8_3\"\"}\",\"{\"\"ImportId\"\":\"\"QID8_4\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"QID8_5\"\"}\",\"{\"\"ImportId\"\":\"\"QID8_6\"\"}\","
    b"\"{\"\"ImportId\"\":\"\"QID8_7\"\"}\",\"{\"\"ImportId\"\":\"\"QID9_1\"\"}\"\n"
    b"2026-05-14 10:30:02,2026-05-14 10:32:11,IP Address,81.2.69.160,100,129,True,"
    b"2026-05-14 10:32:12,R_1a2B3c4D5e6F7g8,,,,,51.5072,-0.1276,anonymous,EN,"
    b"KHI-ALPHA-7731,I use Shared Lives,Me,25 to 34,3,Some of the time,Agree,"
    b"4,5,3,2,4,1,4,7\n"
    b"2026-04-03 09:10:40,2026-04-03 09:15:00,IP Address,81.2.69.161,100,260,True,"
    b"2026-04-03 09:15:01,R_2b3C4d5E6f7G8h9,,,,,51.5072,-0.1276,anonymous,EN,"
    b"KHI-BRAVO-2208,I am a family carer,Someone else for me,75 or over,None,Never,"
    b"Don't know,3,3,3,3,3,3,3,10\n"
    b"2026-06-01 16:01:13,2026-06-01 16:05:09,IP Address,81.2.69.162,100,236,True,"
    b"2026-06-01 16:05:10,R_3c4D5e6F7g8H9i0,,,,,51.5072,-0.1276,anonymous,EN,"
    b"KHI-CHARLIE-0042,I use Shared Lives,\"Me, with some help\",,12,Often or always,"
    b"Strongly disagree,1,2,3,4,5,1,2,0\n"
)

# SmartSurvey: UserID, Started, Ended, IP Address, Unique ID, Tracking Link;
# UK dates without seconds; numbered questions ("Q4.") and lower-case labels.
SMARTSURVEY = (
    b"UserID,Started,Ended,IP Address,Unique ID,Tracking Link,1. Your reference,"
    b"2. Who is answering?,3. Who filled in this form?,4. Age,"
    b"\"5. How many friends do you have, not counting paid staff?\","
    b"6. How often do you feel lonely?,7. I feel part of my local community,"
    b"8. I've been feeling optimistic about the future,9. I've been feeling useful,"
    b"10. I've been feeling relaxed,11. I've been dealing with problems well,"
    b"12. I've been thinking clearly,13. I've been feeling close to other people,"
    b"14. I've been able to make up my own mind about things,"
    b"\"15. Overall, how happy did you feel yesterday?\"\n"
    b"119283746,14/05/2026 10:30,14/05/2026 10:32,81.2.69.160,,Default Web Link,"
    b"KHI-ALPHA-7731,i use shared lives,me,25 to 34,3,some of the time,agree,often,"
    b"all of the time,some of the time,rarely,often,none of the time,often,7\n"
    b"119283747,03/04/2026 09:10,03/04/2026 09:15,81.2.69.161,,Default Web Link,"
    b"KHI-BRAVO-2208,i am a family carer,someone else for me,75 or over,none,never,"
    b"don't know,some of the time,some of the time,some of the time,some of the time,"
    b"some of the time,some of the time,some of the time,10\n"
    b"119283748,01/06/2026 16:01,01/06/2026 16:05,81.2.69.162,,Default Web Link,"
    b"KHI-CHARLIE-0042,i use shared lives,\"me, with some help\",,12,often or always,"
    b"strongly disagree,none of the time,rarely,some of the time,often,all of the time,"
    b"none of the time,rarely,0\n"
)

# Our template saved by Excel on Windows ("CSV (Comma delimited)"): Windows-1252,
# curly apostrophes (\x92) in headers and answers, a notes column with "£" and
# "é" (not recognised, so only warned about), UK day-first dates.
TEMPLATE_CP1252 = (
    b"Your reference,Date completed,Who is answering?,Who filled in this form?,Age,"
    b"\"How many friends do you have, not counting paid staff?\","
    b"How often do you feel lonely?,I feel part of my local community,"
    b"I\x92ve been feeling optimistic about the future,I\x92ve been feeling useful,"
    b"I\x92ve been feeling relaxed,I\x92ve been dealing with problems well,"
    b"I\x92ve been thinking clearly,I\x92ve been feeling close to other people,"
    b"I\x92ve been able to make up my own mind about things,"
    b"\"Overall, how happy did you feel yesterday?\",Notes\r\n"
    b"KHI-ALPHA-7731,14/05/2026,I use Shared Lives,Me,25 to 34,3,Some of the time,Agree,"
    b"Often,All of the time,Some of the time,Rarely,Often,None of the time,Often,7,"
    b"Caf\xe9 trip \x96 \xa35\r\n"
    b"KHI-BRAVO-2208,03/04/2026,I am a family carer,Someone else for me,75 or over,None,"
    b"Never,Don\x92t know,Some of the time,Some of the time,Some of the time,"
    b"Some of the time,Some of the time,Some of the time,Some of the time,10,\r\n"
    b"KHI-CHARLIE-0042,01/06/2026,I use Shared Lives,\"Me, with some help\",,12,"
    b"Often or always,Strongly disagree,None of the time,Rarely,Some of the time,Often,"
    b"All of the time,None of the time,Rarely,0,\x93Lovely\x94 said Ren\xe9e\r\n"
)

# UTF-8 with a byte-order mark (Excel's "CSV UTF-8"), item codes as headers
# and numbers as answers, ISO dates, columns in another order.
TEMPLATE_UTF8_BOM = (
    b"\xef\xbb\xbfcompleted_on,respondent_ref,respondent_type,completed_by,age_band,"
    b"ons_happy,friends_count,lonely_how_often,community_part,swemwbs_1,swemwbs_2,"
    b"swemwbs_3,swemwbs_4,swemwbs_5,swemwbs_6,swemwbs_7\n"
    b"2026-05-14,KHI-ALPHA-7731,person,self,25-34,7,3,2,4,4,5,3,2,4,1,4\n"
    b"2026-04-03,KHI-BRAVO-2208,carer,proxy,75+,10,0,5,N/A,3,3,3,3,3,3,3\n"
    b"2026-06-01,KHI-CHARLIE-0042,person,with_help,,0,12,1,1,1,2,3,4,5,1,2\n"
)

# Semicolon-delimited (Excel in much of Europe), numbered headers ("Q3."),
# vendor suffixes, "n - label" answers for the ONS item, a quoted field with a
# line break in it (still one spreadsheet row) and a blank row.
TEMPLATE_SEMICOLON = (
    b"Q1. Your reference;Q2. Date completed;Q3. Who is answering? - Response;"
    b"Q4. Who filled in this form?;Q5. Age;"
    b"Q6. How many friends do you have, not counting paid staff?;"
    b"Q7. How often do you feel lonely?;Q8. I feel part of my local community;"
    b"Q9. I've been feeling optimistic about the future;Q10. I've been feeling useful;"
    b"Q11. I've been feeling relaxed;Q12. I've been dealing with problems well;"
    b"Q13. I've been thinking clearly;Q14. I've been feeling close to other people;"
    b"Q15. I've been able to make up my own mind about things;"
    b"Q16. Overall, how happy did you feel yesterday?;Comments\n"
    b"KHI-ALPHA-7731;14/05/2026;I use Shared Lives;Me;25 to 34;3;Some of the time;Agree;"
    b"Often;All of the time;Some of the time;Rarely;Often;None of the time;Often;7;"
    b"\"Enjoys the allotment;\nand the choir\"\n"
    b"\n"
    b"KHI-BRAVO-2208;03/04/2026;I am a family carer;Someone else for me;75 or over;None;"
    b"Never;Not applicable;Some of the time;Some of the time;Some of the time;"
    b"Some of the time;Some of the time;Some of the time;Some of the time;"
    b"10 - Completely;\n"
    b"KHI-CHARLIE-0042;01/06/2026;I use Shared Lives;Me, with some help;;12;"
    b"Often or always;Strongly disagree;None of the time;Rarely;Some of the time;Often;"
    b"All of the time;None of the time;Rarely;0 - Not at all;\n"
)


def _template_rows() -> list[list[object]]:
    """The three respondents as typed into an Excel sheet (dates as real dates)."""
    return [
        ["KHI-ALPHA-7731", dt.datetime(2026, 5, 14), "I use Shared Lives", "Me", "25 to 34",
         3, "Some of the time", "Agree", "Often", "All of the time", "Some of the time",
         "Rarely", "Often", "None of the time", "Often", 7],
        ["KHI-BRAVO-2208", dt.date(2026, 4, 3), "I am a family carer", "Someone else for me",
         "75 or over", "None", "Never", "Don't know", *["Some of the time"] * 7, 10],
        ["KHI-CHARLIE-0042", dt.datetime(2026, 6, 1, 16, 5), "I use Shared Lives",
         "Me, with some help", None, 12, "Often or always", "Strongly disagree",
         "None of the time", "Rarely", "Some of the time", "Often", "All of the time",
         "None of the time", "Rarely", 0],
    ]


_XLSX_HEADERS = [
    "Your reference", "Date completed", "Who is answering?", "Who filled in this form?", "Age",
    "How many friends do you have, not counting paid staff?", "How often do you feel lonely?",
    "I feel part of my local community", *[bank().item(c).text for c in SWEMWBS],
    "Overall, how happy did you feel yesterday?",
]


def excel_workbook() -> bytes:
    """An xlsx typed by hand: a blank first row, real dates and numbers, a second sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append([])
    sheet.append(_XLSX_HEADERS)
    for row in _template_rows():
        sheet.append(row)
    workbook.create_sheet("Notes").append(["not read: only the first sheet is"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_utf16_tab() -> bytes:
    """Excel's "Unicode Text": UTF-16 with a byte-order mark, tab-delimited."""
    rows = [
        "\t".join(_XLSX_HEADERS),
        *("\t".join("" if v is None else (v.strftime("%d/%m/%Y") if isinstance(v, dt.date)
                                          else str(v)) for v in row)
          for row in _template_rows()),
    ]
    return ("\r\n".join(rows) + "\r\n").encode("utf-16")


SAMPLES = {
    "google_forms": (GOOGLE_FORMS, "Wellbeing survey (Responses) - Form responses 1.csv",
                     "google_forms"),
    "microsoft_forms": (MICROSOFT_FORMS, "Wellbeing survey(1-3).csv", "microsoft_forms"),
    "surveymonkey": (SURVEYMONKEY, "Sheet_1.csv", "surveymonkey"),
    "qualtrics": (QUALTRICS, "KHI+wellbeing_May+2026.csv", "qualtrics"),
    "smartsurvey": (SMARTSURVEY, "smartsurvey-export.csv", "smartsurvey"),
    "template_cp1252": (TEMPLATE_CP1252, "khi survey.csv", "template"),
    "template_utf8_bom": (TEMPLATE_UTF8_BOM, "khi-survey-utf8.csv", "template"),
    "template_semicolon": (TEMPLATE_SEMICOLON, "khi-survey-eu.csv", "template"),
}


def _sample(name: str) -> tuple[bytes, str, str]:
    if name == "excel":
        return excel_workbook(), "responses.xlsx", "excel"
    if name == "template_utf16_tab":
        return template_utf16_tab(), "responses.txt", "template"
    return SAMPLES[name]


def _stored(store: Store) -> list[tuple]:
    """The stored rows as plain Python values (None for missing), oldest first."""
    frame = store.query(
        f"SELECT {', '.join(COLUMNS)} FROM responses ORDER BY completed_on"
    )
    frame["completed_on"] = pd.to_datetime(frame["completed_on"]).dt.date
    return [
        tuple(None if pd.isna(v) else (int(v) if isinstance(v, float | int) else v)
              for v in row)
        for row in frame.astype(object).itertuples(index=False)
    ]


def _expected(store: Store) -> list[tuple]:
    secret = installation_secret(store.path)
    return [(person_key(secret, SCHEME, REFS[who]), *rest) for who, *rest in EXPECTED]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """An empty store with the register loaded (a copy of one built once)."""
    return registered_store(tmp_path / "khi.duckdb", REGISTER)


# Samples whose ambiguous dates no row of their own settles: the scheme says which.
_NOT_SETTLED_BY_THE_FILE = {"microsoft_forms": "month-first", "template_cp1252": "day-first",
                            "template_semicolon": "day-first",
                            "template_utf16_tab": "day-first"}


@pytest.mark.parametrize("name", [*SAMPLES, "excel", "template_utf16_tab"])
def test_every_layout_stores_the_same_answers(store: Store, name: str) -> None:
    data, file_name, layout = _sample(name)
    dates = _NOT_SETTLED_BY_THE_FILE.get(name)
    if dates:
        # 03/04/2026 and 01/06/2026 read either way round, and no row of their own
        # says which (14/05 settles only its own row): asked, nothing stored.
        asked = ingest_bytes(store, data, file_name, SCHEME)
        assert asked.refused and asked.date_question and store.is_empty()
        assert asked.date_question["open_rows"] == [*asked.date_question["open_rows"]][:2]
    result = ingest_bytes(store, data, file_name, SCHEME, uploaded_by="test", dates=dates)
    assert result.layout == layout
    assert result.problems == []
    assert (result.accepted, result.rejected, result.refused) == (3, 0, False)
    assert _stored(store) == _expected(store)
    # The tool's own columns are ignored silently, never "not recognised".
    for metadata in ("IP Address", "Respondent ID", "Email address", "ResponseId", "UserID"):
        assert all(metadata not in w for w in result.warnings)
    assert store.uploads()["layout"].tolist() == [layout]


def test_a_column_we_do_not_know_is_listed_as_not_recognised(store: Store) -> None:
    result = ingest_bytes(store, TEMPLATE_CP1252, "khi survey.csv", SCHEME, dates="day-first")
    assert any("not recognised" in w and "'Notes'" in w for w in result.warnings)
    notes = [c for c in result.columns if c.header == "Notes"]
    assert [c.status for c in notes] == ["not recognised"]


# ----------------------------------------------------------- the readers ---
def test_windows_1252_is_decoded_not_mangled() -> None:
    parsed = readers.read_export(TEMPLATE_CP1252, "x.csv")
    assert parsed.encoding == "cp1252"
    assert parsed.rows.iloc[0, -1] == "Café trip – £5"
    assert parsed.rows.iloc[2, -1] == "\u201cLovely\u201d said Renée"
    assert parsed.headers[8] == "I\u2019ve been feeling optimistic about the future"


def test_utf8_bom_is_not_part_of_the_first_header() -> None:
    parsed = readers.read_export(TEMPLATE_UTF8_BOM, "x.csv")
    assert (parsed.encoding, parsed.headers[0]) == ("utf-8-sig", "completed_on")


def test_semicolons_multiline_cells_and_blank_rows_keep_spreadsheet_row_numbers() -> None:
    parsed = readers.read_export(TEMPLATE_SEMICOLON, "x.csv")
    assert parsed.delimiter == ";"
    # Row 2 holds a cell with a line break; row 3 is blank; B and C are rows 4 and 5.
    assert parsed.row_numbers.tolist() == [2, 4, 5]
    assert parsed.rows.iloc[0, 16] == "Enjoys the allotment;\nand the choir"


def test_tab_delimited_utf16_is_read() -> None:
    parsed = readers.read_export(template_utf16_tab(), "x.txt")
    assert (parsed.encoding, parsed.delimiter, len(parsed.rows)) == ("utf-16", "\t", 3)


def test_surveymonkey_matrix_headers_combine_stem_and_statement() -> None:
    parsed = readers.read_export(SURVEYMONKEY, "x.csv")
    assert (parsed.layout, parsed.header_rows) == ("surveymonkey", 2)
    assert parsed.headers[9] == "Your reference"
    assert parsed.headers[17] == f"{STEM} - I've been feeling useful"
    assert parsed.match_texts[17][0] == "I've been feeling useful"
    assert parsed.headers[parsed.completion_column] == "End Date"
    assert parsed.date_order_hint == "month_first"
    assert parsed.row_numbers.tolist() == [3, 4, 5]
    assert parsed.metadata[:9] == [True] * 9 and not any(parsed.metadata[9:])


def test_qualtrics_has_three_header_rows_and_uses_recorded_date() -> None:
    parsed = readers.read_export(QUALTRICS, "x.csv")
    assert (parsed.layout, parsed.header_rows) == ("qualtrics", 3)
    assert parsed.headers[parsed.completion_column] == "RecordedDate"
    assert parsed.row_numbers.tolist() == [4, 5, 6]
    assert parsed.headers[17] == "Your reference"


@pytest.mark.parametrize(
    ("name", "header"),
    [("google_forms", "Timestamp"), ("microsoft_forms", "Completion time"),
     ("smartsurvey", "Ended")],
)
def test_each_tool_names_its_completion_column(name: str, header: str) -> None:
    parsed = readers.read_export(SAMPLES[name][0], "x.csv")
    assert parsed.headers[parsed.completion_column] == header


def test_explicit_date_completed_column_wins_over_the_tool_timestamp(store: Store) -> None:
    # Google's Timestamp says when the form was typed in; "Date completed" when
    # the person answered (on paper, a week earlier).
    data = (
        b"Timestamp,Your reference,Date completed,Who is answering?,How often do you feel lonely?\n"
        b"2026/05/21 10:00:00 GMT+1,R1,14/05/2026,I use Shared Lives,Never\n"
    )
    result = ingest_bytes(store, data, "x.csv", SCHEME)
    assert result.accepted == 1
    stored = store.query("SELECT completed_on FROM responses")["completed_on"]
    assert pd.Timestamp(stored.iloc[0]).date() == dt.date(2026, 5, 14)


def test_an_xlsx_date_cell_becomes_iso_text_and_numbers_lose_their_dot_zero() -> None:
    parsed = readers.read_export(excel_workbook(), "x.xlsx")
    assert parsed.layout == "excel"
    assert parsed.row_numbers.tolist() == [3, 4, 5]  # a blank first row, then headers
    assert parsed.rows.iloc[0, 1] == "2026-05-14"
    assert parsed.rows.iloc[2, 1] == "2026-06-01 16:05:00"
    assert parsed.rows.iloc[0, 5] == "3"


def test_a_reference_with_leading_zeros_is_kept_as_text() -> None:
    parsed = readers.read_export(b"Your reference,Age\n00123,18 to 24\n", "x.csv")
    assert parsed.rows.iloc[0, 0] == "00123"


def test_ragged_rows_still_read_through_the_python_fallback() -> None:
    data = b"Your reference,Age\nR1,18 to 24,extra\nR2\n"
    parsed = readers.read_export(data, "x.csv")
    assert parsed.rows.iloc[:, :2].values.tolist() == [["R1", "18 to 24"], ["R2", ""]]


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "picture"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"", "empty"),
        (b"\xef\xbb\xbf\r\n", "empty"),
    ],
)
def test_what_is_not_a_spreadsheet_is_refused_by_content(data: bytes, phrase: str) -> None:
    with pytest.raises(readers.RefusedFile, match=phrase) as refused:
        readers.read_export(data, "results.csv")
    message = str(refused.value)
    assert message.endswith(".") and ".." not in message  # one sentence end, shown as is


@pytest.mark.parametrize("kind", ["ole", "pdf", "image", "binary", "docx", "pptx", "ods", "zip",
                                  "badzip"])
def test_every_refusal_reads_as_finished_sentences(kind: str) -> None:
    message = str(readers._refuse_kind(kind))
    assert message.startswith("This file is ") and message.endswith(".")
    assert ".." not in message


# ------------------------------------------------------------- properties ---
_TEXTS = sorted({*(i.text for i in bank().items), *(a.header for a in bank().attributes)})


@settings(max_examples=200, deadline=None)
@given(
    text=st.sampled_from(_TEXTS),
    numbering=st.sampled_from(["", "Q3. ", "3) ", "Question 12: ", "q7 ", "12. ", "Q4a. "]),
    suffix=st.sampled_from(["", " - Response", " - Open-Ended Response", " (required)",
                            ": Response", " - Single choice"]),
    case=st.sampled_from([str, str.upper, str.lower, str.title]),
    curly=st.booleans(),
    end=st.sampled_from(["", "?", ".", " ", "!"]),
)
def test_headers_match_whatever_numbering_suffix_case_and_punctuation(
    text: str, numbering: str, suffix: str, case, curly: bool, end: str
) -> None:
    code = header_index()[normalise_header(text)]
    variant = case(text.rstrip("?") + end)
    if curly:
        variant = variant.replace("'", "\u2019")
    header = f"{numbering}{variant}{suffix}"
    assert normalise_header(header) == normalise_header(text)
    assert header_index()[normalise_header(header)] == code


_DAYS = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2026, 11, 1))


@settings(max_examples=200, deadline=None)
@given(
    provable=_DAYS.filter(lambda d: d.day > 12),
    others=st.lists(_DAYS, max_size=6),
    hint=st.sampled_from([None, "month_first", "day_first"]),
    sep=st.sampled_from(["/", "-", "."]),
    time=st.sampled_from(["", " 10:32", " 10:32:11 AM"]),
)
def test_a_date_written_either_way_round_reads_the_same_when_provable(
    provable: dt.date, others: list[dt.date], hint: str | None, sep: str, time: str
) -> None:
    days = [*others, provable]
    day_first = [f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}{time}" for d in days]
    month_first = [f"{d.month}{sep}{d.day}{sep}{d.year}{time}" for d in days]
    for values, order in ((day_first, "day_first"), (month_first, "month_first")):
        parsed = parse_date_values(values, hint)
        assert parsed.dates[-1] == provable  # its own day above 12 settles it
        assert parsed.undecided or parsed.dates == days  # the others: right or asked
        assert parse_date_values(values, hint, choice=order).dates == days
    assert parse_date_values([d.isoformat() for d in days], hint).dates == days


@settings(max_examples=100, deadline=None)
@given(day=_DAYS.filter(lambda d: d.day <= 12 and d.day != d.month))
def test_an_unprovable_date_is_asked_unless_the_tool_or_the_user_says(day: dt.date) -> None:
    # "Today" is pinned after every reading of every generated day: with the real
    # date, 12/03/2026 read month-first (3 December 2026) becomes a future date in
    # December 2026, which is evidence, and the date is no longer unprovable.
    today = dt.date(2026, 12, 31)
    text = f"{day.day:02d}/{day.month:02d}/{day.year}"
    assert parse_date_values([text], today=today).undecided
    assert parse_date_values([text], choice="day_first", today=today).dates == [day]
    swapped = dt.date(day.year, day.day, day.month)
    assert parse_date_values([text], "month_first", today=today).dates == [swapped]
    assert not parse_date_values([text], "month_first", today=today).undecided


def test_google_timestamp_with_zone_parses() -> None:
    assert parse_date_values(["2026/05/14 10:32:11 GMT+1"]).dates == [dt.date(2026, 5, 14)]


# --------------------------------------------------- which way round dates ---
def _survey_monkey_with_end_dates(*end_dates: str) -> bytes:
    head = (
        b"Respondent ID,Collector ID,Start Date,End Date,IP Address,Your reference,"
        b"Who is answering?,How often do you feel lonely?\r\n"
        b",,,,,Open-Ended Response,Response,Response\r\n"
    )
    rows = b"".join(
        f"{100 + i},9,{d},{d},10.0.0.1,R{i},I use Shared Lives,Never\r\n".encode()
        for i, d in enumerate(end_dates)
    )
    return head + rows


def _stored_dates(store: Store) -> list[dt.date]:
    frame = store.query("SELECT completed_on FROM responses ORDER BY source_row")
    return [pd.Timestamp(d).date() for d in frame["completed_on"]]


def test_surveymonkey_dates_that_could_be_either_way_are_read_month_first(
    store: Store,
) -> None:
    data = _survey_monkey_with_end_dates("04/03/2026 09:15:00 AM", "06/01/2026 04:05:09 PM")
    result = ingest_bytes(store, data, "sm.csv", SCHEME)
    assert result.problems == []
    assert _stored_dates(store) == [dt.date(2026, 4, 3), dt.date(2026, 6, 1)]
    assert any("month/day/year" in w for w in result.warnings)


def test_surveymonkey_dates_that_prove_day_first_stop_the_tools_habit(store: Store) -> None:
    # A re-saved SurveyMonkey file with 14/05: month-first is no longer a safe
    # habit, and 14/05 settles only its own row, so 04/03 is asked, with the rows.
    data = _survey_monkey_with_end_dates("04/03/2026 09:15:00", "14/05/2026 10:32:11")
    asked = ingest_bytes(store, data, "sm.csv", SCHEME)
    assert asked.refused and store.is_empty()
    assert asked.date_question["open_rows"] == [3]
    assert asked.date_question["day_first_rows"] == [4]
    assert "Row 4 ('14/05/2026 10:32:11') can only be day/month/year" in asked.message
    result = ingest_bytes(store, data, "sm.csv", SCHEME, dates="day-first")
    assert result.problems == []
    assert _stored_dates(store) == [dt.date(2026, 3, 4), dt.date(2026, 5, 14)]


def test_template_dates_that_could_be_either_way_are_asked_not_guessed(store: Store) -> None:
    data = (
        b"Your reference,Date completed,Who is answering?\n"
        b"R1,04/03/2026,I use Shared Lives\nR2,06/01/2026,I use Shared Lives\n"
    )
    result = ingest_bytes(store, data, "t.csv", SCHEME)
    assert result.refused and _stored_dates(store) == []
    assert "--dates day-first" in result.message
    assert result.date_question["examples"][0] == ["04/03/2026", "4 March 2026", "3 April 2026"]
    again = ingest_bytes(store, data, "t.csv", SCHEME, dates="day-first")
    assert _stored_dates(store) == [dt.date(2026, 3, 4), dt.date(2026, 1, 6)]
    assert any("you chose it" in w for w in again.warnings)


def test_surveymonkey_rows_set_aside_fixed_and_uploaded_again_keep_their_dates(
    store: Store,
) -> None:
    # Respondent B (3 April, written 04/03/2026 by SurveyMonkey) gives a bad answer.
    bad = SURVEYMONKEY.replace(b"KHI-BRAVO-2208,I am a family carer", b"KHI-BRAVO-2208,Dunno")
    first = ingest_bytes(store, bad, "Sheet_1.csv", SCHEME)
    assert (first.accepted, first.rejected) == (2, 1)
    fixed = first.set_aside.copy()
    assert fixed["End Date"].tolist() == ["04/03/2026 09:15:00 AM"]
    fixed["Who is answering?"] = "I am a family carer"
    again = ingest_bytes(store, fixed.to_csv(index=False).encode(), "fixed.csv", SCHEME)
    assert (again.layout, again.accepted, again.problems) == ("surveymonkey", 1, [])
    assert _stored(store) == _expected(store)
