"""The privacy notice for the people asked, generated from the settings.

Why generated: the notice must say what the installation really does (what is
asked, how long it is kept, who sees what, the smallest number shown), so it is
written from ``register.toml`` (``[privacy]`` and ``[settings]``) and the item
bank, never typed separately. Two versions: plain English, and easy read (short
sentences, one idea a line) for people with a learning disability.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import cache

from kpi.items import bank
from kpi.paths import BANK_DIR
from kpi.rights import RetentionRule

__all__ = ["notice_markdown", "notice_pdf", "privacy_settings"]

_NEEDED = ("controller", "operator", "contact", "lawful_basis", "special_category_basis",
           "complaints")


@cache
def privacy_settings() -> dict[str, str]:
    """``register.toml``'s ``[privacy]`` table (every key is needed)."""
    with open(BANK_DIR / "register.toml", "rb") as fh:
        values = tomllib.load(fh).get("privacy", {})
    missing = [k for k in _NEEDED if not str(values.get(k, "")).strip()]
    if missing:
        from kpi.errors import KhiError

        raise KhiError(f"register.toml: [privacy] needs {', '.join(missing)} for the notice.")
    return {k: str(values[k]).strip() for k in _NEEDED}


def _about_you() -> list[str]:
    """The questions about the person, as the survey words them."""
    return [bank().attribute(c).header.rstrip("?") for c in
            ("age_band", "gender", "ethnicity", "primary_need")]


def _domains() -> list[str]:
    seen: list[str] = []
    for item in bank().items:
        if item.domain not in seen:
            seen.append(item.domain)
    return seen


def notice_markdown(easy: bool = False) -> str:
    """The notice as Markdown: plain English, or easy read when ``easy``."""
    p = privacy_settings()
    rule = RetentionRule.from_settings()
    min_base = int(bank().settings.get("min_base", 5))
    parts = [a.lower() for a in _about_you()]
    about = ", ".join(parts[:-1]) + " and " + parts[-1]
    topics = "; ".join(d.lower() for d in _domains())
    if easy:
        return "\n".join([
            "# Your answers to the Shared Lives survey",
            "",
            "## Why we ask",
            "- We ask you some questions about your life.",
            "- Your answers help make Shared Lives better.",
            "- You do not have to answer. Saying no will not change your support.",
            "",
            "## What we keep",
            "- Your answers to the questions.",
            f"- Some things about you, like your {about}.",
            "- We do **not** keep your name.",
            "- Your scheme gives you a number instead of your name.",
            "- We turn that number into a secret code before we keep anything.",
            "",
            "## Who sees it",
            "- Staff at your Shared Lives scheme see numbers for their scheme.",
            "- Councils and boards see numbers for all the people together.",
            f"- Nobody sees a number made from fewer than {min_base} people.",
            "- Nobody sees your name, because we do not have it.",
            "",
            "## How long we keep it",
            f"- We keep your answers for {rule.answers_years} years.",
            f"- Answers with a mistake are kept for {rule.set_aside_days} days so they can be "
            "fixed. Then we delete them.",
            "",
            "## You can ask",
            "- to see your answers,",
            "- to put a wrong answer right,",
            "- for your answers to be deleted.",
            "",
            f"Ask {p['contact']}. Tell them your scheme and your number.",
            "",
            f"If you are not happy, you can tell {p['complaints']}.",
        ]) + "\n"
    return "\n".join([
        "# Privacy notice: the Shared Lives outcomes survey",
        "",
        "## Who is responsible",
        f"The data controller is {p['controller']}. The dashboard that holds the answers is "
        f"run by {p['operator']}.",
        "",
        "## What is kept and why",
        f"Your answers to the survey (about {topics}), the date you answered, whether you use "
        "Shared Lives or are a family carer, who filled in the form, the kind of Shared Lives "
        f"support, and, if you give them, your {about}. They are used to see whether "
        "Shared Lives support is working, for "
        f"you and for everyone, and to improve it. The lawful basis is {p['lawful_basis']}. "
        "Ethnic group and main support need (which can say something about your health) "
        "are special category data, used only to check that support works equally well "
        f"for everyone; the condition for using them is {p['special_category_basis']}.",
        "",
        "Your name is not kept. Your scheme gives each person a reference; before anything "
        "is stored, the reference is turned into a code with a secret key that only this "
        "installation holds, so your answers from different quarters can be linked without "
        "storing the reference. Rows of a file that cannot be stored (for example a date "
        "that does not exist) are kept without the reference so the scheme can fix them.",
        "",
        "## Who can see what",
        "- Staff of your Shared Lives scheme: figures for their own scheme.",
        "- Commissioners and boards: figures for the schemes and regions they are given.",
        "- Administrators: can find, give back and erase one person's answers when asked.",
        f"- Any figure made from fewer than {min_base} people is hidden. Nobody sees a "
        "name, and published figures never name a person.",
        "",
        "## How long it is kept",
        f"Answers are kept for {rule.answers_years} years after the end of the quarter in "
        f"which they were given, then deleted. Rows set aside for fixing are deleted "
        f"{rule.set_aside_days} days after they were uploaded. Backups of the store are "
        "kept as your scheme's backup policy says and deleted with it.",
        "",
        "## Your rights",
        "You can ask to see the answers held about you (a copy is given in words, as a "
        "printable file), to have a wrong answer corrected, to have your answers erased, or "
        "to object to their use. Once erased, your answers are no longer counted in any "
        f"figure. To ask, contact {p['contact']}, giving your scheme and your reference.",
        "",
        f"If you are unhappy with how your answers are used, you can complain to "
        f"{p['complaints']}.",
        "",
        f"_Generated from this installation's settings on {dt.date.today():%d %B %Y}._",
    ]) + "\n"


def notice_pdf(easy: bool = False) -> bytes:
    """The notice as a printable PDF (larger type for the easy-read version)."""
    from fpdf.enums import XPos, YPos

    from kpi.board.layout import FONT_DIR
    from kpi.board.pack_fpdf import plain_document

    pdf, family, shown = plain_document(FONT_DIR)
    size = 14 if easy else 10.5
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title("Privacy notice (easy read)" if easy else "Privacy notice")
    pdf.add_page()
    for line in notice_markdown(easy).splitlines():
        text = shown(line.replace("**", "").strip("_"))
        style, points = "", size
        if line.startswith("# "):
            style, points, text = "B", size + 6, text[2:]
        elif line.startswith("## "):
            style, points, text = "B", size + 2, text[3:]
            pdf.ln(2)
        elif line.startswith("- "):
            text = shown("•  ") + text[2:]
        if not text:
            pdf.ln(points * 0.3)
            continue
        pdf.set_font(family, style, points)
        pdf.multi_cell(0, points * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
