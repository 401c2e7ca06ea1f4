"""Admit: bring people into a company's portal."""

__version__ = "0.1.0"
