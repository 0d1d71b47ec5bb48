"""Exports shared by every capability: the spreadsheet formula guard, the streaming XLSX writer and
the open data of a commune."""
