"""Moved to :mod:`kpi.board.pack_fpdf`; this name stays for one release."""

from kpi.board.pack_fpdf import layout, plain_document

__all__ = ["layout", "plain_document"]
