"""Report exporters: plain functions from rows to workbooks, shared by the panel and the CLI."""
